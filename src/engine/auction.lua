-- licita's reverse-auction engine on Redis: one script, several operations, each atomic.
-- The rules are those of src/domain/auction.rs (the pure state machine); a differential
-- test feeds the same random bids to both and compares every decision.
--
-- KEYS (one hash tag per auction, so the script runs unchanged on Redis Cluster):
--   1 meta   hash: fmt (c|r), start, ends (µs), soft, ext (µs), maxext, extn, rounds,
--                  turn (µs), dk (a|p), dv (centavos or basis points), mbb (0|1), ceil, n,
--                  seq, closed (0|1), halt (c while a cancellation commits, p while a pause or
--                  a resumption does), paused (µs, while its tender is suspended), pv (how
--                  many pauses and resumptions SQL had when this was loaded); per position (0-based) p<pos> its current price
--                  (centavos) and t<pos> when it gave it (µs); per participant r:<RFC> its
--                  position. One hash, so a bid reads the whole state with one command and
--                  writes it with another.
--   2 idem   hash: RFC \n key -> the sequence number of the bid it answered (the stream
--                  entry holds the answer and the request hash)
--   3 bids   stream: one entry per accepted bid, id "<seq>-1"; persisters read it
--   4 snap   hash: round -> the round whose start prices follow; position -> price then
-- ARGV[1] operation: init | reload | place | close | now | halt | resume ; ARGV[2] now in µs, or "" for Redis server time

local op = ARGV[1]

-- Integers as text: tostring would write 1.8e+15 for a time in µs.
local function s(x) return string.format('%d', x) end

-- Tells every instance's live streams that this auction changed: on the deployment's
-- channel (`<prefix>:changes`, the prefix read from KEYS[1] = "{<prefix>:a:<id>}:meta"),
-- "<id> <seq>" after a bid, "<id> 0" after anything else. Nobody need listen.
local function announce(seq)
  local prefix, id = string.match(KEYS[1], '^{(.*):a:([^:{}]+)}:meta$')
  if prefix then
    redis.call('PUBLISH', prefix .. ':changes', id .. ' ' .. seq)
  end
end

local function now_us()
  if ARGV[2] ~= '' then return tonumber(ARGV[2]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- init: loads an auction from SQL (at scheduling, or when Redis comes back empty).
-- reload: loads it again over its live state (it was paused or resumed in SQL), only while
-- that state holds no bid beyond SQL's (the same seq): else {'busy'}, and nothing changes.
-- ARGV[3] is JSON: {meta = {...}, prices = [...], ats = [...], rfcs = [...],
-- idem = {k = v}, snap = {round = r, prices = [...]}, bids = [answer...]}, every number
-- as text.
if op == 'init' or op == 'reload' then
  local state = cjson.decode(ARGV[3])
  if op == 'reload' then
    local seq = redis.call('HGET', KEYS[1], 'seq')
    if seq and seq ~= state.meta.seq then return {'busy', seq} end
    redis.call('DEL', KEYS[1], KEYS[4])
  elseif redis.call('EXISTS', KEYS[1]) == 1 then
    return {'exists'}
  end
  local args = {}
  local function put(k, v) table.insert(args, k); table.insert(args, v) end
  for k, v in pairs(state.meta) do put(k, v) end
  for pos, v in ipairs(state.prices) do put('p' .. s(pos - 1), v) end
  for pos, v in ipairs(state.ats) do put('t' .. s(pos - 1), v) end
  for pos, v in ipairs(state.rfcs) do put('r:' .. v, s(pos - 1)) end
  redis.call('HSET', KEYS[1], unpack(args))
  args = {}
  for k, v in pairs(state.idem) do put(k, v) end
  if #args > 0 then redis.call('HSET', KEYS[2], unpack(args)) end
  if type(state.snap) == 'table' and state.snap.round then
    args = {'round', state.snap.round}
    for pos, v in ipairs(state.snap.prices) do put(s(pos - 1), v) end
    redis.call('HSET', KEYS[4], unpack(args))
  end
  if redis.call('EXISTS', KEYS[3]) == 0 then
    -- The stream holds every bid of the auction: put back those SQL has (persisted
    -- already, so persisters start after them).
    for _, answer in ipairs(state.bids) do
      local seq = string.sub(answer, 1, string.find(answer, '|', 1, true) - 1)
      redis.call('XADD', KEYS[3], seq .. '-1', 'bid', answer)
    end
    redis.call('XGROUP', 'CREATE', KEYS[3], 'persisters', '$', 'MKSTREAM')
  else
    -- Entries still there may never have been persisted: persisters read them all.
    pcall(redis.call, 'XGROUP', 'CREATE', KEYS[3], 'persisters', '0')
  end
  if state.meta.closed == '1' then
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], 86400000) end
  end
  return {'ok'}
end

local m = redis.call('HGETALL', KEYS[1])
if #m == 0 then
  return {'load'}
end

local now = now_us()
local meta = {}
for i = 1, #m, 2 do meta[m[i]] = m[i + 1] end
local start = tonumber(meta.start)
local ends = tonumber(meta.ends)
local n = tonumber(meta.n)

if op == 'now' then
  return {'now', s(now), meta.closed, s(ends), meta.paused and '1' or '0', meta.pv or '0'}
end

-- halt: no bid passes from now on (ARGV[3]: c, the tender is being cancelled; p, the
-- auction is being paused or resumed); resume undoes it when that did not commit.
if op == 'halt' then
  redis.call('HSET', KEYS[1], 'halt', ARGV[3])
  announce('0')
  return {'halted', meta.seq}
end
if op == 'resume' then
  redis.call('HDEL', KEYS[1], 'halt')
  announce('0')
  return {'resumed', meta.seq}
end

-- close: ARGV[3] 'force' closes before the end (the cancellation has committed).
if op == 'close' then
  if meta.closed == '1' or (now >= ends and not meta.paused) or ARGV[3] == 'force' then
    redis.call('HSET', KEYS[1], 'closed', '1')
    -- SQL holds the final state once persisted; the live keys go after a day.
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], 86400000) end
    if meta.closed ~= '1' then announce('0') end
    return {'closed', s(now), meta.seq}
  end
  return {'open', s(now), meta.seq}
end

-- op == 'place': ARGV 3 rfc, 4 amount, 5 bid id, 6 idempotency key, 7 request hash
local rfc, amount, bid_id, key, hash = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]

if key ~= '' then
  local seen = redis.call('HGET', KEYS[2], rfc .. '\n' .. key)
  if seen then
    -- The first answer is the bid's stream entry (the stream keeps every bid of the
    -- auction, and is rebuilt from SQL with the rest); its last field is the request hash.
    local id = seen .. '-1'
    local entry = redis.call('XRANGE', KEYS[3], id, id)
    if #entry == 0 then return redis.error_reply('idempotency entry without its bid ' .. id) end
    local first = entry[1][2][2]
    if string.match(first, '|([^|]*)$') ~= hash then return {'no', 'idempotency_conflict', '0'} end
    return {'replay', first}
  end
end

local me = meta['r:' .. rfc]
if not me then return {'no', 'not_a_participant', '0'} end
me = tonumber(me)
if meta.halt == 'p' then return {'no', 'halted', meta.pv or '0'} end
if meta.paused then return {'no', 'tender_suspended', meta.pv or '0'} end
if now < start then return {'no', 'auction_not_open', '0'} end
if meta.closed == '1' or meta.halt == 'c' or now >= ends then return {'no', 'auction_closed', '0'} end

local prices, ats = {}, {}
for pos = 0, n - 1 do
  prices[pos] = tonumber(meta['p' .. pos])
  ats[pos] = tonumber(meta['t' .. pos])
end

if meta.fmt == 'r' then
  local turn = tonumber(meta.turn)
  local index = math.floor((now - start) / turn)
  local round = math.floor(index / n)
  local slot = index % n
  -- The turn order follows the prices as the round began: snapshot them at the round's
  -- first call (every earlier bid came before the round started).
  local snap = {}
  local saved = {}
  local sn = redis.call('HGETALL', KEYS[4])
  for i = 1, #sn, 2 do saved[sn[i]] = sn[i + 1] end
  if saved.round ~= s(round) then
    local args = {'round', s(round)}
    for pos = 0, n - 1 do
      snap[pos] = prices[pos]
      table.insert(args, s(pos)); table.insert(args, s(prices[pos]))
    end
    redis.call('HSET', KEYS[4], unpack(args))
  else
    for pos = 0, n - 1 do snap[pos] = tonumber(saved[s(pos)]) end
  end
  local order = {}
  for pos = 0, n - 1 do order[pos + 1] = pos end
  table.sort(order, function(x, y)
    if snap[x] ~= snap[y] then return snap[x] > snap[y] end
    return x < y
  end)
  if order[slot + 1] ~= me then return {'no', 'not_your_turn', '0'} end
end

if amount > tonumber(meta.ceil) then return {'no', 'above_ceiling', meta.ceil} end

local current = prices[me]
local step
if meta.dk == 'a' then
  step = tonumber(meta.dv)
else
  -- ceil(current × bp / 10000) without leaving exact integers (doubles hold 2^53).
  local bp = tonumber(meta.dv)
  local q = math.floor(current / 10000)
  local r = current - q * 10000
  step = q * bp + math.floor((r * bp + 9999) / 10000)
end
if step < 1 then step = 1 end
local limit = current - step
if amount > limit then return {'no', 'decrement_too_small', s(limit)} end

local best = nil
for pos = 0, n - 1 do
  if best == nil or prices[pos] < best then best = prices[pos] end
end
if meta.mbb == '1' and amount >= best then return {'no', 'must_beat_best', s(best)} end

local new_ends = ends
local extn = tonumber(meta.extn)
if meta.fmt == 'c' and ends - now <= tonumber(meta.soft) and extn < tonumber(meta.maxext) then
  local candidate = now + tonumber(meta.ext)
  if candidate > new_ends then new_ends = candidate end
end

prices[me] = amount
ats[me] = now
local rank = 1
for pos = 0, n - 1 do
  if pos ~= me then
    local pp, pa = prices[pos], ats[pos]
    if pp < amount or (pp == amount and (pa < now or (pa == now and pos < me))) then
      rank = rank + 1
    end
  end
end
if amount < best then best = amount end

-- The stream entry first: if it fails (say, an id out of order), nothing else was written.
local seq = s(tonumber(meta.seq) + 1)
local amount_s, now_s = s(amount), s(now)
local answer = table.concat({seq, bid_id, amount_s, now_s, s(rank),
  s(best), s(new_ends), (new_ends ~= ends) and '1' or '0', rfc, key, hash}, '|')
redis.call('XADD', KEYS[3], seq .. '-1', 'bid', answer)
if new_ends ~= ends then
  redis.call('HSET', KEYS[1], 'seq', seq, 'p' .. me, amount_s, 't' .. me, now_s,
    'ends', s(new_ends), 'extn', s(extn + 1))
else
  redis.call('HSET', KEYS[1], 'seq', seq, 'p' .. me, amount_s, 't' .. me, now_s)
end
if key ~= '' then
  redis.call('HSET', KEYS[2], rfc .. '\n' .. key, seq)
end
announce(seq)
return {'ok', answer}
