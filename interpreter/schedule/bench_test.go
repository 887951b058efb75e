package schedule

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkFireLag10k: 10,000 schedules firing every minute on one node.
// Each iteration is one minute's slot: the clock (real time, shifted) is
// put 1.5 s before the slot, and the iteration ends when all 10,000
// executions have started. lag is the time from the slot to an
// execution's start, by the schedule's clock; the figures are over every
// start of every iteration.
//
//	go test -run '^$' -bench FireLag10k -benchtime 3x ./interpreter/schedule
func BenchmarkFireLag10k(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchFireLag(b, memory.New(), 10_000) })
	b.Run("redis", func(b *testing.B) {
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(b), Partitions: 256, Prefix: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		benchFireLag(b, st, 10_000)
	})
}

func benchFireLag(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{Store: st})
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()
	if _, err := eng.PutStateMachine(ctx, "pass", []byte(passDef), dsl.JSON); err != nil {
		b.Fatal(err)
	}
	clock := &shiftedClock{}
	slot := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock.setNow(slot.Add(-time.Hour))
	s := New(Config{Engine: eng, Clock: clock, Resync: 24 * time.Hour})
	var mu sync.Mutex
	var lags []time.Duration
	started := make(chan struct{}, n)
	s.afterStart = func(f Fire) error {
		lag := clock.Now().Sub(f.Slot)
		mu.Lock()
		lags = append(lags, lag)
		mu.Unlock()
		started <- struct{}{}
		return nil
	}
	// Create the schedules in parallel (setup, not measured).
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// No slot before the first measured one: nothing to catch up.
			spec := Spec{Target: Target{StateMachine: "pass"}, Expression: "cron(* * * * ? *)", StartDate: ptr(slot.Add(time.Minute))}
			if _, _, err := s.Put(ctx, fmt.Sprintf("s%05d", i), spec); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.Start(rctx); err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	var spans []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		slot = slot.Add(time.Minute)
		clock.setNow(slot.Add(-1500 * time.Millisecond))
		for j := 0; j < n; j++ {
			select {
			case <-started:
			case <-time.After(2 * time.Minute):
				b.Fatalf("iteration %d: %d of %d fired", i, j, n)
			}
		}
		spans = append(spans, clock.Now().Sub(slot))
	}
	b.StopTimer()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	q := func(p float64) float64 { return lags[int(p*float64(len(lags)-1))].Seconds() * 1000 }
	b.ReportMetric(q(0.5), "p50_lag_ms")
	b.ReportMetric(q(0.99), "p99_lag_ms")
	b.ReportMetric(q(1), "max_lag_ms")
	worst := time.Duration(0)
	for _, s := range spans {
		worst = max(worst, s)
	}
	b.ReportMetric(worst.Seconds()*1000, "all_fired_ms")
	b.Logf("%d schedules, %d slots: lag p50 %.1f ms, p99 %.1f ms, max %.1f ms; all fired %.1f ms after the slot at worst",
		n, b.N, q(0.5), q(0.99), q(1), worst.Seconds()*1000)
}
