package redis_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"

	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/storetest"
)

func benchStore(b *testing.B) *redis.Store {
	s := open(b, redis.Options{URL: sharedURL(b), Prefix: newPrefix()})
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkCommit(b *testing.B)          { storetest.BenchCommit(b, benchStore(b)) }
func BenchmarkCommitParallel(b *testing.B)  { storetest.BenchCommitParallel(b, benchStore(b)) }
func BenchmarkCreateExecution(b *testing.B) { storetest.BenchCreateExecution(b, benchStore(b)) }

// BenchmarkCommitStatus: commits that change the status, without and with
// their change log entry (the log's cost on the commits that write it).
func BenchmarkCommitStatus(b *testing.B) {
	b.Run("without-change", func(b *testing.B) { storetest.BenchCommitStatus(b, benchStore(b), nil) })
	b.Run("with-change", func(b *testing.B) { storetest.BenchCommitStatus(b, benchStore(b), storetest.BenchChange) })
}
func BenchmarkCreateExecutionParallel(b *testing.B) {
	storetest.BenchCreateExecutionParallel(b, benchStore(b))
}

// BenchmarkPopActivityParallel: 16 pollers take tasks queued one per
// execution over the default 256 partitions (the queue never runs dry
// during the timed part).
func BenchmarkPopActivityParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := range b.N + 16*runtime.GOMAXPROCS(0) {
		id := fmt.Sprintf("sm:p%d", i)
		rec := &store.Execution{ID: id, StateMachine: "sm", Version: 1, Name: id[3:], Status: store.StatusRunning, StartedAt: time.Now()}
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec,
			Activities: []store.ActivityTask{{Activity: "A", Token: id, ExecutionID: id, Input: []byte(`{}`)}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(16 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := storetest.Take(ctx, s, "A"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkWatchParallel: 64 goroutines each watch an execution (spread
// over the partitions) and cancel, as an API does for ?wait=.
func BenchmarkWatchParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, cancel := s.Watch(ctx, fmt.Sprintf("sm:w%d", n.Add(1)))
			cancel()
		}
	})
}
