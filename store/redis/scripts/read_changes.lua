-- read_changes.lua: a page of a partition's change log and this shard's
-- clock. Entries are appended with ids from the same clock (XADD *), so
-- every entry with an id below the returned time is already there: the
-- reader merges partitions up to the earliest such time and never skips
-- an entry logged later; the entries of the current millisecond wait
-- for the next read.
--
-- KEYS[1] -> change log stream <prefix>:{pN}:changes
-- ARGV[1] -> the first id to read, in XRANGE's syntax: "-", "<ms>",
--            "<ms>-<seq>", or "(<ms>-<seq>" (after it)
-- ARGV[2] -> the most entries to return
-- Returns {now in ms, {{id, {"d", data}}, ...}}: the shard's time and the
-- entries from ARGV[1] on, oldest first.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local page = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
return {now, page}
