-- recount_open.lua: counts a partition's RUNNING executions per state
-- machine from its status index, replaces the kept counts with them and
-- returns them. Atomic, so no commit lands between the count and the
-- write; it reads one record field per running execution of the
-- partition, so it is run at seeding and rarely after.
--
-- KEYS[1]  -> index by status RUNNING <prefix>:{pN}:ixs:RUNNING
-- KEYS[2]  -> open counts hash        <prefix>:{pN}:open
-- ARGV[1]  -> partition key prefix <prefix>:{pN}: ; record keys are built
--             from it as keys.go builds them (same hash tag, same slot)
-- Returns a flat list: state machine, count, state machine, count, …

local counts = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local sm = redis.call('HGET', ARGV[1] .. 'x:' .. id, 'sm')
  if sm then
    counts[sm] = (counts[sm] or 0) + 1
  end
end
redis.call('DEL', KEYS[2])
local out = {}
for sm, n in pairs(counts) do
  redis.call('HSET', KEYS[2], sm, n)
  out[#out + 1] = sm
  out[#out + 1] = tostring(n)
end
return out
