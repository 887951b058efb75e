package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// PopActivity implements store.Store. An activity's tasks are queued in
// the partitions of their executions (atomically with the commit that
// schedules them); each queued task carries the Redis time it was queued
// at. PopActivity reads every partition's head (one pipeline), takes the
// oldest with a script that checks it is still the head, and looks again
// when another poller was faster.
func (s *Store) PopActivity(ctx context.Context, activity string) (*store.ActivityTask, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for {
		pipe := s.client.Pipeline()
		heads := make([]*goredis.StringCmd, s.partitions)
		for p := range heads {
			heads[p] = pipe.LIndex(ctx, s.keys.activity(p, activity), 0)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
		}
		best, bestAt := -1, int64(0)
		var task *store.ActivityTask
		for p, h := range heads {
			raw, err := h.Result()
			if err != nil {
				continue // empty queue
			}
			qat, t, err := decodeQueued(raw)
			if err != nil {
				return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
			}
			if best < 0 || qat < bestAt {
				best, bestAt, task = p, qat, t
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("redis store: activity %q: %w", activity, store.ErrNotFound)
		}
		taken, err := popActivityScript.Run(ctx, s.client, []string{s.keys.activity(best, activity)}, heads[best].Val()).Int()
		if err != nil {
			return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
		}
		if taken == 1 {
			return task, nil
		}
		// Another poller took it; the timeout bounds the loop.
	}
}
