-- expire.lua: retention for one partition. Removes up to a limit of the
-- executions that ended before a time, oldest first: record (with its
-- threads), history, name reservation (only while it still names this
-- execution), due entry and every listing index entry. Executions that
-- run again (redriven after the entry was written) only leave the set.
--
-- KEYS[1]  -> ended zset       <prefix>:{pN}:ended (score = stop time in µs)
-- KEYS[2]  -> due zset         <prefix>:{pN}:due
-- ARGV[1]  -> remove executions whose stop time is before this, in µs (exclusive)
-- ARGV[2]  -> the most executions to remove in this call (a bounded batch)
-- ARGV[3]  -> partition key prefix <prefix>:{pN}: ; the record, history,
--             name and index keys are built from it as keys.go builds them
--             (same hash tag, so the same slot)
-- Returns the number of executions removed.

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local part = ARGV[3]
local function esc(s)
  return (string.gsub(s, '[%%:]', {['%'] = '%25', [':'] = '%3A'}))
end
local removed = 0
for _, id in ipairs(ids) do
  local rec = part .. 'x:' .. id
  local cur = redis.call('HMGET', rec, 'status', 'sm', 'name')
  if cur[1] and cur[1] ~= 'RUNNING' then
    local sm = esc(cur[2])
    local name = part .. 'n:' .. sm .. ':' .. esc(cur[3])
    if redis.call('GET', name) == id then
      redis.call('DEL', name)
    end
    redis.call('DEL', rec, part .. 'h:' .. id)
    redis.call('ZREM', part .. 'ix', id)
    redis.call('ZREM', part .. 'ix:' .. sm, id)
    redis.call('ZREM', part .. 'ix:' .. sm .. ':' .. cur[1], id)
    redis.call('ZREM', part .. 'ixs:' .. cur[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('SREM', part .. 'inflight', id)
    removed = removed + 1
  end
  redis.call('ZREM', KEYS[1], id)
end
return removed
