-- drop.lua: takes a held activity task out of its queue, for a poller
-- that found it stale. Like a claim in commit.lua it looks only near the
-- head (LPOS with MAXLEN), so that it never scans a long backlog; a task
-- further back is left for the polls that pop it later (they drop it too).
--
-- KEYS[1] -> the activity queue <prefix>:{pN}:act:<activity>
-- ARGV[1] -> the task's exact element
-- Returns 1 when this call removed it, else 0.
if redis.call('LPOS', KEYS[1], ARGV[1], 'MAXLEN', 64) then
  return redis.call('LREM', KEYS[1], 1, ARGV[1])
end
return 0
