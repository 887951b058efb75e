-- pop_activity.lua: take the head of one partition's queue of an activity,
-- provided it is still the task the caller chose (another node may have
-- taken it since the caller looked).
--
-- KEYS[1] -> activity queue  <prefix>:{pN}:act:<activity>
-- ARGV[1] -> the queue head the caller saw
-- Returns 1 when taken, 0 when the head changed.

if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then
  return 0
end
redis.call('LPOP', KEYS[1])
return 1
