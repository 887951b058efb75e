-- commit.lua: one step of an execution. Applies the new record header,
-- the changed threads, the step's events, the due time, the status
-- indexes, the ended index and the queued activity tasks together, and
-- only when the record is still at the expected version and, for a fenced
-- commit, the fence is the partition's current lease token. Publishes a
-- notice: the execution id; when the status changed, "<id> <status>" too,
-- on the same channel and on the partition's status channel.
--
-- KEYS[1]  -> record hash      <prefix>:{pN}:x:<id>
-- KEYS[2]  -> history list     <prefix>:{pN}:h:<id>
-- KEYS[3]  -> lease hash       <prefix>:{pN}:lease
-- KEYS[4]  -> due zset         <prefix>:{pN}:due
-- KEYS[5]  -> ended zset       <prefix>:{pN}:ended (retention: score = stop time in µs)
-- KEYS[6]  -> in-flight set    <prefix>:{pN}:inflight
-- KEYS[7]  -> open counts hash <prefix>:{pN}:open (state machine -> RUNNING executions)
-- KEYS[8]  -> change log stream <prefix>:{pN}:changes (store.ChangeLog)
-- KEYS[9..] -> one activity queue per task, in task order; then, with a
--             claim, the claimed task's queue; then one queue per
--             withdrawn task
-- ARGV[1]  -> expected record version
-- ARGV[2]  -> fence, "0" for writes from outside the lease holder
-- ARGV[3]  -> execution id
-- ARGV[4]  -> due time in microseconds, or "" when nothing is due
-- ARGV[5]  -> new status
-- ARGV[6]  -> partition key prefix <prefix>:{pN}: ; the status index keys
--             <prefix>:{pN}:ix:<sm>:<status> and <prefix>:{pN}:ixs:<status>
--             are built from it (same hash tag, so the same slot)
-- ARGV[7]  -> notice channel
-- ARGV[8]  -> publish command: PUBLISH, or SPUBLISH on Redis Cluster
-- ARGV[9]  -> F, the number of field/value pairs (header and set threads)
-- ARGV[10] -> D, the number of thread fields to delete
-- ARGV[11] -> E, the number of events
-- ARGV[12] -> A, the number of activity tasks
-- ARGV[13] -> id of the first event (the caller checked the rest are consecutive)
-- ARGV[14] -> stop time in microseconds, or "" while running; an ended
--             execution is put in the ended zset, a redriven one leaves it
-- ARGV[15] -> a queued task this commit claims (its exact element), or ""
-- ARGV[16] -> W, the number of withdrawn tasks
-- ARGV[17] -> "1" when the execution has a task call in flight after this
--             commit, or ended with its parent still to be told (it stays
--             in, or joins, the in-flight set), else "0"
-- ARGV[18] -> the change log entry this commit appends (XADD, field "d"),
--             or "" for none
-- ARGV[19] -> "<min id> <cap>": with the append, the log trims entries
--             older than the id ("<ms>-0", now minus the retention) and
--             beyond cap
-- ARGV[20..] -> F pairs, then D fields, then E event payloads, then A tasks
--             (queue elements, "<µs>|<json>", pushed as they are), then W
--             withdrawn tasks' elements (removed when among the first 64
--             of their queues)
-- Returns {"OK"} or, changing nothing, {"NOTFOUND"}, {"LEASELOST", fence},
-- {"CONFLICT", record version}, {"GAP", last event id} or {"TAKEN", queue
-- length} (the claimed task is not among the first 64 of its queue: gone,
-- or far back when the queue is longer).

-- Checks.
local cur = redis.call('HMGET', KEYS[1], 'rv', 'last', 'status', 'sm')
if not cur[1] then
  return {'NOTFOUND'}
end
if ARGV[2] ~= '0' then
  local lease = redis.call('HMGET', KEYS[3], 'fence', 'holder')
  if lease[1] ~= ARGV[2] or not lease[2] or lease[2] == '' then
    return {'LEASELOST', lease[1] or '0'}
  end
end
if cur[1] ~= ARGV[1] then
  return {'CONFLICT', cur[1]}
end
local nf, nd, ne, na = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local last = tonumber(cur[2])
if ne > 0 and tonumber(ARGV[13]) ~= last + 1 then
  return {'GAP', cur[2]}
end
-- The claim is the last check and the first write: the task leaves its
-- queue only when it is still there, so one claimer wins. It is looked for
-- near the head only (LPOS with MAXLEN, as in drop.lua): a claim never
-- scans a long backlog, and a task further back is left for the shared
-- polls.
if ARGV[15] ~= '' then
  if not redis.call('LPOS', KEYS[9 + na], ARGV[15], 'MAXLEN', 64) then
    return {'TAKEN', tostring(redis.call('LLEN', KEYS[9 + na]))}
  end
  redis.call('LREM', KEYS[9 + na], 1, ARGV[15])
end

-- Writes.
local function batch(cmd, key, from, count, width)
  local j = 0
  while j < count do
    local n = math.min(count - j, 200)
    redis.call(cmd, key, unpack(ARGV, from + j * width, from + (j + n) * width - 1))
    j = j + n
  end
end
local i = 20
-- The version, the last event id and the first 200 field pairs in one HSET
-- (one command to run and to append to the AOF instead of two).
local hn = math.min(nf, 200)
redis.call('HSET', KEYS[1], 'rv', tonumber(cur[1]) + 1, 'last', last + ne, unpack(ARGV, i, i + hn * 2 - 1))
batch('HSET', KEYS[1], i + hn * 2, nf - hn, 2)
i = i + nf * 2
batch('HDEL', KEYS[1], i, nd, 1)
i = i + nd
if ne > 0 then
  batch('RPUSH', KEYS[2], i, ne, 1)
end
i = i + ne

local id, status = ARGV[3], ARGV[5]
if status == 'RUNNING' and ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[4], id)
else
  redis.call('ZREM', KEYS[4], id)
end
if status == 'RUNNING' and cur[3] ~= 'RUNNING' then
  redis.call('ZREM', KEYS[5], id) -- redriven (a running execution is never in it)
elseif ARGV[14] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[14], id)
end
if ARGV[17] == '1' then
  redis.call('SADD', KEYS[6], id)
else
  redis.call('SREM', KEYS[6], id)
end
if status ~= cur[3] then
  if cur[3] == 'RUNNING' then
    redis.call('HINCRBY', KEYS[7], cur[4], -1)
  elseif status == 'RUNNING' then
    redis.call('HINCRBY', KEYS[7], cur[4], 1)
  end
  local part = ARGV[6]
  local sm = string.gsub(cur[4], '[%%:]', {['%'] = '%25', [':'] = '%3A'})
  local score = redis.call('ZSCORE', part .. 'ix', id)
  redis.call('ZREM', part .. 'ix:' .. sm .. ':' .. cur[3], id)
  redis.call('ZREM', part .. 'ixs:' .. cur[3], id)
  if score then
    redis.call('ZADD', part .. 'ix:' .. sm .. ':' .. status, score, id)
    redis.call('ZADD', part .. 'ixs:' .. status, score, id)
  end
end
for a = 0, na - 1 do
  redis.call('RPUSH', KEYS[9 + a], ARGV[i + a])
end
i = i + na
local wk = 9 + na
if ARGV[15] ~= '' then
  wk = wk + 1
end
for w = 0, tonumber(ARGV[16]) - 1 do
  if redis.call('LPOS', KEYS[wk + w], ARGV[i + w], 'MAXLEN', 64) then
    redis.call('LREM', KEYS[wk + w], 1, ARGV[i + w])
  end
end
append_change(KEYS[8], ARGV[18], ARGV[19]) -- lib/changelog.lua
-- Every commit publishes the id (what every release's watchers hear); one
-- that changes the status also publishes "<id> <status>" (ids have no
-- spaces) on the partition's status channel, which waiters for the end
-- subscribe to instead, so that they are not sent every step, and on the
-- first channel, where the waiters of earlier releases listen.
redis.call(ARGV[8], ARGV[7], id)
if status ~= cur[3] then
  redis.call(ARGV[8], ARGV[7], id .. ' ' .. status)
  redis.call(ARGV[8], ARGV[6] .. 'status', id .. ' ' .. status)
end
return {'OK'}
