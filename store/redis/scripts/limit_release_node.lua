-- limit_release_node.lua: give back every slot of a limit key held by a
-- node and drop its waiters (store.Limiter.ReleaseNode runs it on each key).
--
-- KEYS[1] -> slots held      <prefix>:{lim:<key>}:held  (hash holder -> node)
-- KEYS[2] -> queue           <prefix>:{lim:<key>}:wait
-- KEYS[3] -> last asks       <prefix>:{lim:<key>}:seen
-- KEYS[4] -> waiters' nodes  <prefix>:{lim:<key>}:wnode (hash holder -> node)
-- ARGV[1] -> node
-- Returns the slots given back and waiters dropped.

local node, n = ARGV[1], 0
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  if held[i + 1] == node then
    redis.call('HDEL', KEYS[1], held[i])
    n = n + 1
  end
end
local waiting = redis.call('HGETALL', KEYS[4])
for i = 1, #waiting, 2 do
  if waiting[i + 1] == node then
    local h = waiting[i]
    redis.call('ZREM', KEYS[2], h)
    redis.call('ZREM', KEYS[3], h)
    redis.call('HDEL', KEYS[4], h)
    n = n + 1
  end
end
return n
