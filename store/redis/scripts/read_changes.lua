-- read_changes.lua: a page of a partition's change log and this shard's
-- clock. Entries are appended with ids from the same clock (XADD *), so
-- every entry with an id below the returned time is already there: the
-- reader merges partitions up to the earliest such time and never skips
-- an entry logged later; the entries of the current millisecond wait
-- for the next read. A start at or before the last id the log trimmed
-- (max-deleted-entry-id: the appends trim by XDEL) would skip entries:
-- that id is returned instead of a page.
--
-- KEYS[1] -> change log stream <prefix>:{pN}:changes
-- ARGV[1] -> the first id to read, in XRANGE's syntax: "-", "<ms>",
--            "<ms>-<seq>", or "(<ms>-<seq>" (after it)
-- ARGV[2] -> the most entries to return; "0" returns the clock only
-- Returns {now in ms, {{id, {"d", data}}, ...}, ""}: the shard's time and
-- the entries from ARGV[1] on, oldest first; or {now, {}, trimmed id}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '0' then
  return {now, {}, ''}
end
if ARGV[1] ~= '-' and redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local del = nil
  for i = 1, #info, 2 do
    if info[i] == 'max-deleted-entry-id' then
      del = info[i + 1]
    end
  end
  if del and del ~= '0-0' then
    local dms, dseq = string.match(del, '^(%d+)-(%d+)$')
    local excl, ms, seq = string.match(ARGV[1], '^(%(?)(%d+)-?(%d*)$')
    dms, dseq, ms = tonumber(dms), tonumber(dseq), tonumber(ms)
    seq = tonumber(seq) or 0
    -- After (ms, seq): lost if del > (ms, seq). From (ms, seq): if del >= it.
    local lost = dms > ms or (dms == ms and (dseq > seq or (excl == '' and dseq == seq)))
    if lost then
      return {now, {}, del}
    end
  end
end
local page = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
return {now, page, ''}
