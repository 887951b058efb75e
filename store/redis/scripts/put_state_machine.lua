-- put_state_machine.lua: store a definition under a name: version 1 of a
-- new (or deleted) name, a new version when the SHA-256 differs from the
-- latest, nothing when it is the same. Version numbers come from a counter
-- that survives deletion, so they are never reused.
--
-- KEYS[1] -> machine hash     <prefix>:{sm}:m:<name>
--            fields: last (counter), latest, deleted ("1"/"0"), created,
--            and per version v: v:<v>:sha, v:<v>:def (canonical form),
--            v:<v>:upd, v:<v>:crt (the name's creation time when the
--            version was made), v:<v>:src and v:<v>:fmt (the uploaded text
--            and its format; absent in versions of earlier releases)
-- KEYS[2] -> live names zset  <prefix>:{sm}:names (score 0, ordered by name)
-- ARGV[1] -> name
-- ARGV[2] -> definition SHA-256
-- ARGV[3] -> definition (canonical form)
-- ARGV[4] -> update time, unix nanoseconds
-- ARGV[5] -> uploaded text ("" for none: the fields are not written)
-- ARGV[6] -> its format
-- Returns {outcome, version, created, updated, definition, source, format},
-- outcome 0 created, 1 new version, 2 unchanged (with the stored version's
-- definition and source; source and format false when it has none).

local m = redis.call('HMGET', KEYS[1], 'latest', 'deleted', 'created')
local latest, deleted, created = m[1], m[2], m[3]
if latest and deleted == '0' then
  local p = 'v:' .. latest .. ':'
  local v = redis.call('HMGET', KEYS[1], p .. 'sha', p .. 'def', p .. 'upd', p .. 'crt', p .. 'src', p .. 'fmt')
  if v[1] == ARGV[2] then
    return {2, tonumber(latest), v[4], v[3], v[2], v[5], v[6]}
  end
end
local version = redis.call('HINCRBY', KEYS[1], 'last', 1)
local outcome = 1
if not (latest and deleted == '0') then
  outcome = 0
  created = ARGV[4]
  redis.call('HSET', KEYS[1], 'deleted', '0', 'created', created)
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
end
local p = 'v:' .. version .. ':'
redis.call('HSET', KEYS[1], 'latest', version, p .. 'sha', ARGV[2], p .. 'def', ARGV[3], p .. 'upd', ARGV[4], p .. 'crt', created)
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], p .. 'src', ARGV[5], p .. 'fmt', ARGV[6])
  return {outcome, version, created, ARGV[4], ARGV[3], ARGV[5], ARGV[6]}
end
return {outcome, version, created, ARGV[4], ARGV[3], false, false}
