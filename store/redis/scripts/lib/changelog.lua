-- lib/changelog.lua: loaded before create.lua and commit.lua (scripts.go
-- prepends it), which append to a partition's change log in the same
-- script as their write. Only local functions: it runs nothing itself.

-- append_change appends entry (field "d") to the change log stream key,
-- and nothing when entry is "". trim is "<min id> <cap>": the log is
-- trimmed of entries older than the id ("<ms>-0", now minus the
-- retention), then of those beyond cap, oldest first, up to 100 an
-- append; by XDEL, which records the last id deleted
-- (max-deleted-entry-id) for readers to compare cursors to.
local function append_change(key, entry, trim)
  if entry == '' then
    return
  end
  redis.call('XADD', key, '*', 'd', entry)
  local minid, cap = string.match(trim, '^(%S+) (%d+)$')
  local gone = redis.call('XRANGE', key, '-', '(' .. minid, 'COUNT', 100)
  local over = redis.call('XLEN', key) - tonumber(cap)
  if over > #gone then
    gone = redis.call('XRANGE', key, '-', '+', 'COUNT', math.min(over, 100))
  end
  if #gone > 0 then
    local ids = {}
    for j, e in ipairs(gone) do
      ids[j] = e[1]
    end
    redis.call('XDEL', key, unpack(ids))
  end
end
