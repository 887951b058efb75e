-- delete_state_machine.lua: delete a live name. Its versions stay readable
-- (running executions are pinned to them) and its version counter stays,
-- so a re-created name never reuses a version number.
--
-- KEYS[1] -> machine hash     <prefix>:{sm}:m:<name>
-- KEYS[2] -> live names zset  <prefix>:{sm}:names
-- ARGV[1] -> name
-- Returns 1 when deleted, 0 when there was no live name.

if redis.call('HGET', KEYS[1], 'deleted') ~= '0' then
  return 0
end
redis.call('HSET', KEYS[1], 'deleted', '1')
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
