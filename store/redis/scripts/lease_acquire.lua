-- lease_acquire.lua: take a partition's lease, or extend it when the node
-- already holds it live. A lease that passes to a node that did not hold
-- it live gets a new, higher fence. Time is Redis's, so nodes' clocks do
-- not matter.
--
-- KEYS[1] -> lease hash  <prefix>:{pN}:lease  fields: holder, fence, expires (ms)
-- ARGV[1] -> node
-- ARGV[2] -> ttl in milliseconds
-- Returns {1, fence} when the node holds the lease, {0, fence} when
-- another node holds it live.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local l = redis.call('HMGET', KEYS[1], 'holder', 'fence', 'expires')
local holder, fence, expires = l[1] or '', tonumber(l[2] or '0'), tonumber(l[3] or '0')
local live = holder ~= '' and expires > now
if live and holder ~= ARGV[1] then
  return {0, fence}
end
if not live then
  fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'expires', now + tonumber(ARGV[2]))
return {1, fence}
