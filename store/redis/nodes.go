package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

var _ store.NodeRegistry = (*Store)(nil)

// nodesKey is the sorted set of live nodes, scored by the time (Unix ms)
// until which each is alive. One key, one slot: a MULTI is enough.
func (k keys) nodes() string { return k.prefix + ":{sm}:nodes" }

// Heartbeat implements store.NodeRegistry.
func (s *Store) Heartbeat(ctx context.Context, node string, ttl time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	now := time.Now().UnixMilli()
	var live *goredis.StringSliceCmd
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZAdd(ctx, s.keys.nodes(), goredis.Z{Score: float64(now + ttl.Milliseconds()), Member: node})
		p.ZRemRangeByScore(ctx, s.keys.nodes(), "-inf", strconv.FormatInt(now, 10))
		live = p.ZRange(ctx, s.keys.nodes(), 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis store: heartbeat %s: %w", node, err)
	}
	nodes := live.Val()
	sort.Strings(nodes)
	return nodes, nil
}

// Leave implements store.NodeRegistry.
func (s *Store) Leave(ctx context.Context, node string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.client.HDel(ctx, s.keys.nodeReleases(), node) // best effort: pruned by the next heartbeat otherwise
	if err := s.client.ZRem(ctx, s.keys.nodes(), node).Err(); err != nil {
		return fmt.Errorf("redis store: leave %s: %w", node, err)
	}
	return nil
}
