-- lease_renew.lua: extend a node's lease on one partition. The lease is
-- still the node's when no other node took it since (a lease that expired
-- but that nobody took keeps its fence, so nothing was written under
-- another holder in between).
--
-- KEYS[1] -> lease hash  <prefix>:{pN}:lease
-- ARGV[1] -> node
-- ARGV[2] -> ttl in milliseconds
-- Returns 1 when renewed, 0 when the node no longer holds the lease.

if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'expires', now + tonumber(ARGV[2]))
return 1
