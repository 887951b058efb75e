-- create.lua: store a new execution, reserve its name within its state
-- machine, index it, and queue its first activity tasks, atomically.
--
-- KEYS[1]  -> record hash            <prefix>:{pN}:x:<id>
-- KEYS[2]  -> history list           <prefix>:{pN}:h:<id>
-- KEYS[3]  -> name reservation       <prefix>:{pN}:n:<sm>:<name>
-- KEYS[4]  -> due zset               <prefix>:{pN}:due
-- KEYS[5]  -> index of all           <prefix>:{pN}:ix
-- KEYS[6]  -> index by sm            <prefix>:{pN}:ix:<sm>
-- KEYS[7]  -> index by sm and status <prefix>:{pN}:ix:<sm>:<status>
-- KEYS[8]  -> index by status        <prefix>:{pN}:ixs:<status>
-- KEYS[9]  -> ended zset             <prefix>:{pN}:ended (retention: score = stop time in µs)
-- KEYS[10] -> in-flight set          <prefix>:{pN}:inflight
-- KEYS[11] -> open counts hash       <prefix>:{pN}:open (state machine -> RUNNING executions)
-- KEYS[12] -> change log stream      <prefix>:{pN}:changes (store.ChangeLog)
-- KEYS[13..] -> one activity queue per task, in task order
-- ARGV[1]  -> execution id
-- ARGV[2]  -> start time in microseconds (index score)
-- ARGV[3]  -> due time in microseconds, or "" when nothing is due
-- ARGV[4]  -> notice channel
-- ARGV[5]  -> publish command: PUBLISH, or SPUBLISH on Redis Cluster
-- ARGV[6]  -> F, the number of record field/value pairs
-- ARGV[7]  -> E, the number of events (ids 1..E, checked by the caller)
-- ARGV[8]  -> A, the number of activity tasks
-- ARGV[9]  -> stop time in microseconds when the first step already ended
--             the execution (it goes in the ended zset), else ""
-- ARGV[10] -> "1" when the execution has a task call in flight, else "0"
-- ARGV[11] -> the state machine's name when the execution is RUNNING (its
--             open count goes up), else ""
-- ARGV[12] -> the change log entry of the start (XADD, field "d"), or ""
-- ARGV[13] -> "<min id> <cap>": the log trims entries older than the id
--             ("<ms>-0", now minus the retention) and beyond cap
-- ARGV[14] -> the partition's status channel: with a change, the start is
--             published there as "<id> <status>", for change watchers
-- ARGV[15] -> the execution's status
-- ARGV[16..] -> F field/value pairs, then E event payloads, then A tasks
--             (queue elements, "<µs>|<json>", pushed as they are)
-- Returns {"OK"}, or {"EXISTS", id of the execution holding the name}.

-- Checks.
local holder = redis.call('GET', KEYS[3])
if holder then
  return {'EXISTS', holder}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'EXISTS', ARGV[1]}
end

-- Writes.
local nf, ne, na = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local i = 16
-- In chunks: unpack is bounded by the Lua stack.
local function batch(cmd, key, from, count, width)
  local j = 0
  while j < count do
    local n = math.min(count - j, 200)
    redis.call(cmd, key, unpack(ARGV, from + j * width, from + (j + n) * width - 1))
    j = j + n
  end
end
redis.call('SET', KEYS[3], ARGV[1])
batch('HSET', KEYS[1], i, nf, 2)
i = i + nf * 2
if ne > 0 then
  batch('RPUSH', KEYS[2], i, ne, 1)
end
i = i + ne
for _, k in ipairs({KEYS[5], KEYS[6], KEYS[7], KEYS[8]}) do
  redis.call('ZADD', k, ARGV[2], ARGV[1])
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
end
if ARGV[9] ~= '' then
  redis.call('ZADD', KEYS[9], ARGV[9], ARGV[1])
end
if ARGV[10] == '1' then
  redis.call('SADD', KEYS[10], ARGV[1])
end
if ARGV[11] ~= '' then
  redis.call('HINCRBY', KEYS[11], ARGV[11], 1)
end
for a = 0, na - 1 do
  redis.call('RPUSH', KEYS[13 + a], ARGV[i + a])
end
append_change(KEYS[12], ARGV[12], ARGV[13]) -- lib/changelog.lua
redis.call(ARGV[5], ARGV[4], ARGV[1])
if ARGV[12] ~= '' then
  redis.call(ARGV[5], ARGV[14], ARGV[1] .. ' ' .. ARGV[15])
end
return {'OK'}
