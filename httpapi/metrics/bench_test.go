package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi/metrics"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// chain is n states in a row: Pass states, or Task states calling an
// in-process handler (each one a commit, a call and a completion).
func chain(n int, kind string) []byte {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if kind == "task" {
			fmt.Fprintf(&b, `"S%d":{"Type":"Task","Resource":"handler:echo","ResultPath":"$.v"`, i)
		} else {
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Result":%d,"ResultPath":"$.v"`, i, i)
		}
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkObservability measures what metrics cost: the same executions
// with the observer and the timed store, and without.
// go test -run ^$ -bench Observability -count 6 ./httpapi/metrics | benchstat -col /metrics -
func BenchmarkObservability(b *testing.B) {
	for _, kind := range []string{"pass", "task"} {
		n := 20
		if kind == "task" {
			n = 5
		}
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/metrics=%v", kind, on), func(b *testing.B) {
				var st store.Store = memory.New()
				cfg := interpreter.Config{}
				if on {
					m, err := metrics.New(prometheus.NewRegistry())
					if err != nil {
						b.Fatal(err)
					}
					st = m.WrapStore(st)
					cfg.Observer = m
				}
				cfg.Store = st
				eng := interpreter.New(cfg)
				eng.RegisterHandler("echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
				if err := eng.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(eng.Stop)
				if _, err := eng.PutStateMachine(context.Background(), "c", chain(n, kind), dsl.JSON); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{
						StateMachine: "c", Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(`{"order":"o-1"}`)})
					if err != nil {
						b.Fatal(err)
					}
					if ex.Status != store.StatusSucceeded {
						if ex, err = eng.Wait(context.Background(), ex.ID); err != nil || ex.Status != store.StatusSucceeded {
							b.Fatalf("execution: %v %+v", err, ex)
						}
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "transitions/s")
			})
		}
	}
}
