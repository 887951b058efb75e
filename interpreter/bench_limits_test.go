package interpreter_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkLimitedTask compares an execution of one handler Task state on
// Redis without a call limit and with one that never makes it wait
// (maxInFlight far above what runs): the limit's cost on the task path —
// one Acquire before the call and one Release after it, a round trip
// each, and nothing when no limit names the call.
func BenchmarkLimitedTask(b *testing.B) {
	url := redistest.URL(b)
	const def = `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:echo","End":true}}}`
	for _, mode := range []string{"unlimited", "limited"} {
		b.Run(mode, func(b *testing.B) {
			eng := redisEngine(b, url, "call", def)
			if mode == "limited" {
				if _, _, err := eng.PutCallLimit(context.Background(), interpreter.CallLimit{Key: "handler:echo", MaxInFlight: 100000}); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "call", Name: "e" + strconv.Itoa(i)})
				if err != nil {
					b.Fatal(err)
				}
				if ex, err = eng.Wait(ctx, ex.ID); err != nil || ex.Status != store.StatusSucceeded {
					b.Fatalf("%v %+v", err, ex)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/execution")
		})
	}
}
