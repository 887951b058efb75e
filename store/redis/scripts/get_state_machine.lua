-- get_state_machine.lua: read one version of a state machine.
--
-- KEYS[1] -> machine hash  <prefix>:{sm}:m:<name> (see put_state_machine.lua)
-- ARGV[1] -> version, 0 for the latest
-- ARGV[2] -> "1" to read versions of a deleted name too, "0" for live names only
-- Returns false when there is no such name or version, else
-- {version, created, sha, definition, updated, source, format} (source and
-- format false for a version stored without them).

local m = redis.call('HMGET', KEYS[1], 'latest', 'deleted', 'created')
if not m[1] or (m[2] ~= '0' and ARGV[2] ~= '1') then
  return false
end
local version = ARGV[1]
if version == '0' then
  version = m[1]
end
local p = 'v:' .. version .. ':'
local v = redis.call('HMGET', KEYS[1], p .. 'sha', p .. 'def', p .. 'upd', p .. 'crt', p .. 'src', p .. 'fmt')
if not v[1] then
  return false
end
return {tonumber(version), v[4], v[1], v[2], v[3], v[5], v[6]}
