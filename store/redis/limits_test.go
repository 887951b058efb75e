package redis_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
)

// TestLimitLeavesNothing: once a key's slots are given back and its waiters
// gone, Redis keeps only the list of keys and, until it is full again, the
// bucket.
func TestLimitLeavesNothing(t *testing.T) {
	t.Parallel()
	url := sharedURL(t)
	prefix := newPrefix()
	s := open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 4})
	defer s.Close()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	limitKeys := func() []string { // those of the limits and the list of them
		t.Helper()
		got, err := raw.Keys(ctx, prefix+":{lim*").Result()
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		return got
	}
	now := time.Now()
	acquire := func(key, holder string, lim store.Limit) {
		t.Helper()
		if _, err := s.Acquire(ctx, store.Slot{Key: key, Holder: holder, Node: "n1"}, lim, now); err != nil {
			t.Fatal(err)
		}
	}
	one := store.Limit{MaxInFlight: 1}
	acquire("slots", "a", one)
	acquire("slots", "b", one) // waits
	acquire("rate", "a", store.Limit{Rate: 1000, Burst: 1})
	want := []string{prefix + ":{lim:rate}:held", prefix + ":{lim:rate}:tat", prefix + ":{lim:slots}:held",
		prefix + ":{lim:slots}:seen", prefix + ":{lim:slots}:wait", prefix + ":{lim:slots}:wnode", prefix + ":{limkeys}"}
	if got := fmt.Sprint(limitKeys()); got != fmt.Sprint(want) {
		t.Fatalf("keys while held and waiting:\n got %v\nwant %v", got, want)
	}
	ttl, err := raw.PTTL(ctx, prefix+":{lim:rate}:tat").Result()
	if err != nil || ttl <= 0 || ttl > 1001*time.Millisecond+time.Second {
		t.Errorf("the bucket expires in %v (%v), want at most 1 ms after it is full and a second", ttl, err)
	}
	for _, step := range []func() error{
		func() error { return s.Release(ctx, "slots", "a") },
		func() error { return s.Cancel(ctx, "slots", "b") },
		func() error { return s.Release(ctx, "rate", "a") },
		func() error { return raw.Del(ctx, prefix+":{lim:rate}:tat").Err() }, // as if expired
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(limitKeys()), fmt.Sprint([]string{prefix + ":{limkeys}"}); got != want {
		t.Fatalf("keys once all is given back: %v, want %v", got, want)
	}
}
