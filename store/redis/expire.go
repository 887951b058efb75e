package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/store"
)

var _ store.Expirer = (*Store)(nil)

// expireBatch bounds one expire.lua call, so that a partition with a large
// backlog never blocks Redis for long.
const expireBatch = 100

// Expire implements store.Expirer: one pipeline counts every partition's
// expired executions, then expire.lua removes them partition by partition
// in batches of at most expireBatch, until limit.
func (s *Store) Expire(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	cut := micros(before)
	bctx, cancel := s.bound(ctx)
	pipe := s.client.Pipeline()
	counts := make([]interface{ Val() int64 }, s.partitions)
	for p := range s.partitions {
		counts[p] = pipe.ZCount(bctx, s.keys.ended(p), "-inf", "("+cut)
	}
	_, err := pipe.Exec(bctx)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("redis store: expire: %w", err)
	}
	removed := 0
	for p := range s.partitions {
		for n := counts[p].Val(); n > 0 && removed < limit; {
			batch := min(limit-removed, expireBatch)
			bctx, cancel := s.bound(ctx)
			got, err := expireScript.Run(bctx, s.client, []string{s.keys.ended(p), s.keys.due(p)},
				cut, strconv.Itoa(batch), s.keys.partition(p)).Int()
			cancel()
			if err != nil {
				return removed, fmt.Errorf("redis store: expire partition %d: %w", p, err)
			}
			removed += got
			// The set shrinks by batch entries or to nothing; entries that
			// were not removed (running again) also left it.
			n -= int64(batch)
		}
		if removed >= limit {
			break
		}
	}
	return removed, nil
}
