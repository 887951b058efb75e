-- delete_doc.lua: remove a document and its name from its kind's listing.
-- Deleting an absent document changes nothing. A document put again later
-- starts over at revision 1.
--
-- KEYS[1] -> document hash   <prefix>:{sm}:d:<kind>:<name>
-- KEYS[2] -> kind's names    <prefix>:{sm}:dn:<kind>
-- ARGV[1] -> name
-- Returns the number of keys removed (0 or 1).

redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
