-- lease_release.lua: give a partition's lease up, keeping its fence so
-- that the next holder's is higher.
--
-- KEYS[1] -> lease hash  <prefix>:{pN}:lease
-- ARGV[1] -> node
-- Returns 1 when released, 0 when the node did not hold the lease.

if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'holder', '', 'expires', 0)
return 1
