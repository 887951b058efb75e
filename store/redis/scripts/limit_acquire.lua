-- limit_acquire.lua: ask for a slot of a limit key (store.Limiter.Acquire).
-- Drops the waiters not seen for the waiter TTL; grants again a holder that
-- holds a slot (recording the node that asks now); else queues the holder
-- (keeping its place, refreshing when it was seen) and grants it when it is
-- among the first waiters that both the free slots and the bucket's tokens
-- allow (first come, first served: a later waiter never takes the token of
-- one ahead of it). The rate is a token bucket kept as its theoretical
-- arrival time (the generic cell rate algorithm): a call may start when
-- that time is at most burst-1 intervals ahead of now. Times are the
-- caller's, in ms.
--
-- KEYS[1] -> slots held      <prefix>:{lim:<key>}:held  (hash holder -> node)
-- KEYS[2] -> queue           <prefix>:{lim:<key>}:wait  (zset holder, score first ask ms)
-- KEYS[3] -> last asks       <prefix>:{lim:<key>}:seen  (zset holder, score last ask ms)
-- KEYS[4] -> waiters' nodes  <prefix>:{lim:<key>}:wnode (hash holder -> node)
-- KEYS[5] -> bucket          <prefix>:{lim:<key>}:tat   (string, ms; expires once full)
-- ARGV[1] -> holder
-- ARGV[2] -> node
-- ARGV[3] -> now, ms
-- ARGV[4] -> max in flight (0: no bound)
-- ARGV[5] -> rate, calls a second (0: no rate)
-- ARGV[6] -> burst (at least 1)
-- ARGV[7] -> waiter TTL, ms
-- Returns {granted 0/1, retry at ms (0: none), waiters ahead}.

local holder, node = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local maxIn, rate, burst = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - tonumber(ARGV[7])))
for _, h in ipairs(stale) do
  redis.call('ZREM', KEYS[2], h)
  redis.call('ZREM', KEYS[3], h)
  redis.call('HDEL', KEYS[4], h)
end

if redis.call('HEXISTS', KEYS[1], holder) == 1 then
  redis.call('HSET', KEYS[1], holder, node)
  return {1, 0, 0}
end

redis.call('ZADD', KEYS[2], 'NX', now, holder)
redis.call('ZADD', KEYS[3], now, holder)
redis.call('HSET', KEYS[4], holder, node)
local rank = redis.call('ZRANK', KEYS[2], holder)

if maxIn > 0 and rank >= maxIn - redis.call('HLEN', KEYS[1]) then
  return {0, 0, rank}
end

if rate > 0 then
  -- The waiters ahead may start first: this one starts only when the
  -- bucket has a token for each of them and one for it (FIFO), that is
  -- when tat plus rank intervals is at most burst-1 intervals ahead.
  local interval = 1000 / rate
  local tolerance = interval * (burst - 1)
  local t = now
  local tat = tonumber(redis.call('GET', KEYS[5]) or '')
  if tat and tat > t then
    t = tat
  end
  if t + rank * interval - now > tolerance then
    -- the earliest start if those ahead start as soon as they may; none
    -- while this one is Burst or more behind: it waits for them
    local retry = 0
    if rank < burst then
      retry = math.ceil(t + rank * interval - tolerance)
    end
    return {0, retry, rank}
  end
  -- kept until the bucket is full again, and a second more
  redis.call('SET', KEYS[5], string.format('%.17g', t + interval),
    'PX', math.ceil(t + interval - now) + 1000)
end

redis.call('ZREM', KEYS[2], holder)
redis.call('ZREM', KEYS[3], holder)
redis.call('HDEL', KEYS[4], holder)
redis.call('HSET', KEYS[1], holder, node)
return {1, 0, 0}
