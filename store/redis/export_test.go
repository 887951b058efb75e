package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"
)

// ShardsOf counts the partitions of s on each Cluster master (by address).
func ShardsOf(ctx context.Context, s *Store) (map[string]int, error) {
	c, ok := s.client.(*goredis.ClusterClient)
	if !ok {
		return nil, errors.New("not a cluster client")
	}
	out := map[string]int{}
	for p := 0; p < s.partitions; p++ {
		node, err := c.MasterForKey(ctx, s.keys.record(p, "x"))
		if err != nil {
			return nil, err
		}
		out[node.Options().Addr]++
	}
	return out, nil
}
