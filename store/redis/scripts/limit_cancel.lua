-- limit_cancel.lua: take a waiter out of a limit key's queue
-- (store.Limiter.Cancel); a holder not queued: nothing.
--
-- KEYS[1] -> queue           <prefix>:{lim:<key>}:wait
-- KEYS[2] -> last asks       <prefix>:{lim:<key>}:seen
-- KEYS[3] -> waiters' nodes  <prefix>:{lim:<key>}:wnode
-- ARGV[1] -> holder
-- Returns 1 when the holder was queued, else 0.

local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return n
