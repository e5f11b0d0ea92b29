-- One request against a client's budget, shared by every instance: GCRA (the generic cell
-- rate algorithm) on one key, the theoretical arrival time of the next request, in
-- microseconds of Redis server time (so every instance judges by one clock).
--
-- KEYS[1]  the client's key for this budget
-- ARGV[1]  interval: microseconds one request uses (1e6 / rate)
-- ARGV[2]  tolerance: interval * (burst - 1), how far ahead of now the budget may run
--
-- Returns 0 when the request is allowed (and spends it), else the microseconds to wait.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local allowed_at = tat - tolerance
if now < allowed_at then
  return allowed_at - now
end
local next_tat = tat + interval
-- The key lives as long as it says anything: past its time, the budget is full again.
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1)
return 0
