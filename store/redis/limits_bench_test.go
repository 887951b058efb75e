package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

// BenchmarkLimitAcquireRelease: the cost of a limit on the task path, next
// to one round trip of the cheapest kinds (PING, GetDoc of a small
// document). acquire-release is what a limited call adds: one Acquire
// granted at once and one Release; acquire-held is one Acquire alone.
func BenchmarkLimitAcquireRelease(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	b.Run("ping", func(b *testing.B) {
		s := benchStore(b)
		for b.Loop() {
			if err := s.Ping(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-doc", func(b *testing.B) {
		s := benchStore(b)
		if _, err := s.PutDoc(ctx, store.Doc{Kind: "bench", Name: "d", Data: []byte(`{"a":1}`)}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.GetDoc(ctx, "bench", "d"); err != nil {
				b.Fatal(err)
			}
		}
	})
	lim := store.Limit{MaxInFlight: 100, Rate: 1e9, Burst: 100}
	b.Run("acquire-release", func(b *testing.B) {
		s := benchStore(b)
		i := 0
		for b.Loop() {
			holder := strconv.Itoa(i)
			i++
			res, err := s.Acquire(ctx, store.Slot{Key: "http:api.example.com", Holder: holder, Node: "n1"}, lim, now)
			if err != nil || !res.Granted {
				b.Fatalf("Acquire: %+v, %v", res, err)
			}
			if err := s.Release(ctx, "http:api.example.com", holder); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("acquire-held", func(b *testing.B) {
		s := benchStore(b)
		sl := store.Slot{Key: "http:api.example.com", Holder: "h", Node: "n1"}
		for b.Loop() {
			if res, err := s.Acquire(ctx, sl, lim, now); err != nil || !res.Granted {
				b.Fatalf("Acquire: %+v, %v", res, err)
			}
		}
	})
}
