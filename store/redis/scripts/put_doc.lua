-- put_doc.lua: write a document when its stored revision is the one the
-- caller read (compare-and-set); the data, the revision and the name's
-- place in its kind's listing change together or not at all.
--
-- KEYS[1] -> document hash   <prefix>:{sm}:d:<kind>:<name>
--            fields: rev (1, 2, ...), data
-- KEYS[2] -> kind's names    <prefix>:{sm}:dn:<kind> (score 0, ordered by name)
-- ARGV[1] -> name
-- ARGV[2] -> expected revision (0: no document stored)
-- ARGV[3] -> data
-- Returns {1, new revision} when written, {0, stored revision} when the
-- stored revision is another (0: none), writing nothing.

local cur = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if cur ~= tonumber(ARGV[2]) then
  return {0, cur}
end
local rev = redis.call('HINCRBY', KEYS[1], 'rev', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return {1, rev}
