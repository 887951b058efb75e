package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkDeliveries measures notifications delivered per second: b.N
// executions of a one-Pass state machine (a start that ends at once: two
// events each) are logged first, then one endpoint is delivered the whole
// backlog by a real HTTP server; the timed part is the delivery.
func BenchmarkDeliveries(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchDeliveries(b, memory.New()) })
	b.Run("redis", func(b *testing.B) {
		st := redisStoreB(b, redistest.URL(b))
		benchDeliveries(b, st)
	})
}

func benchDeliveries(b *testing.B, st store.Store) {
	ctx := context.Background()
	var got atomic.Int64
	done := make(chan struct{})
	want := int64(2 * b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) == want {
			close(done)
		}
	}))
	defer srv.Close()
	eng := interpreter.New(interpreter.Config{Store: st, Node: "bench"})
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()
	if _, err := eng.PutStateMachine(ctx, "p", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), dsl.JSON); err != nil {
		b.Fatal(err)
	}
	svc, err := notify.New(notify.Config{Engine: eng, Rescan: 10 * time.Millisecond, Batch: 500, Parallel: 64})
	if err != nil {
		b.Fatal(err)
	}
	// The endpoint exists before the executions (it starts from now), but
	// its delivery runs only once they are logged.
	if _, _, err := svc.PutEndpoint(ctx, notify.Spec{Name: "bench", URL: srv.URL, Secret: strp(secret)}); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if _, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "p", Name: fmt.Sprint("e", i), Input: json.RawMessage(`{"n":1}`)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer svc.Stop()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d delivered", got.Load(), want)
	}
	b.StopTimer()
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "notifications/s")
}
