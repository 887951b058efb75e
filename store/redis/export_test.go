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

// DropActivityHint deletes an activity's hint set, as if its SADDs were
// lost (a node died between a commit and its hint).
func DropActivityHint(ctx context.Context, s *Store, activity string) error {
	return s.client.Del(ctx, s.keys.activityHint(activity)).Err()
}
