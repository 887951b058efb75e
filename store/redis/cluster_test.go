package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
	"github.com/sfn-project/sfn/store/storetest"
)

// TestCluster runs the conformance suite on a local 3-master Redis Cluster:
// every script must stay in one slot, notices travel by SPUBLISH/SSUBSCRIBE,
// and listing, due times and activity queues merge partitions on all shards.
func TestCluster(t *testing.T) {
	t.Parallel()
	url := redistest.Cluster(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, redis.Options{URL: url, Prefix: newPrefix(), Partitions: 64})
	})
}

// TestClusterSpread checks that the default 256 partitions land on all three
// masters, so the suite above really crossed shards.
func TestClusterSpread(t *testing.T) {
	t.Parallel()
	url := redistest.Cluster(t)
	s := open(t, redis.Options{URL: url, Prefix: newPrefix()})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shards, err := redis.ShardsOf(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 3 {
		t.Fatalf("partitions spread over %d masters, want 3: %v", len(shards), shards)
	}
}
