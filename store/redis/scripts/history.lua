-- history.lua: a page of an execution's history. Event id n is list
-- element n-1.
--
-- KEYS[1] -> record hash   <prefix>:{pN}:x:<id>
-- KEYS[2] -> history list  <prefix>:{pN}:h:<id>
-- ARGV[1] -> after: ids greater than it (forward) or smaller (reverse, when > 0)
-- ARGV[2] -> limit, 0 for all
-- ARGV[3] -> "1" for newest first, "0" for oldest first
-- Returns false when the execution does not exist, else {first id, {payloads}}
-- (payloads in the order asked for; {0, {}} for an empty page).

if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
local n = redis.call('LLEN', KEYS[2])
local after, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[3] == '0' then
  local lo, hi = after, n - 1
  if lo >= n then
    return {0, {}}
  end
  if limit > 0 and lo + limit - 1 < hi then
    hi = lo + limit - 1
  end
  return {lo + 1, redis.call('LRANGE', KEYS[2], lo, hi)}
end
local hi = n - 1
if after > 0 and after - 2 < hi then
  hi = after - 2
end
if hi < 0 then
  return {0, {}}
end
local lo = 0
if limit > 0 and hi - limit + 1 > 0 then
  lo = hi - limit + 1
end
local page = redis.call('LRANGE', KEYS[2], lo, hi)
local rev = {}
for k = #page, 1, -1 do
  rev[#rev + 1] = page[k]
end
return {hi + 1, rev}
