-- Requests against clients' budgets, shared by every instance: GCRA (the generic cell rate
-- algorithm), one key per client and budget holding the theoretical arrival time of its
-- next request, in microseconds of Redis server time (so every instance judges by one
-- clock). One call judges a batch, in order (a client twice in it spends twice).
--
-- KEYS[i]        a client's key for one budget (all under one hash tag)
-- ARGV[2i - 1]   interval: microseconds one request uses (1e6 / rate)
-- ARGV[2i]       tolerance: interval * (burst - 1), how far ahead of now the budget may run
--
-- Returns, for each key, 0 when allowed (and spent), else the microseconds to wait.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local waits = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then
    tat = now
  end
  local allowed_at = tat - tolerance
  if now < allowed_at then
    waits[i] = allowed_at - now
  else
    local next_tat = tat + interval
    -- The key lives as long as it says anything: past its time, the budget is full again.
    redis.call('SET', key, string.format('%d', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1)
    waits[i] = 0
  end
end
return waits
