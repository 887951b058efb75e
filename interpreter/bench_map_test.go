package interpreter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// BenchmarkMapItems runs one inline Map without MaxConcurrency per op, a
// Pass per iteration, over 1,000 and 120,000 items: the first succeeds
// after 1,000 iterations, the second stops at the history limit after about
// 6,000. ns/iteration is the cost of one iteration; it should not grow with
// the number of items the Map holds (each step of a Map used to decode and
// encode every item again).
func BenchmarkMapItems(b *testing.B) {
	def := []byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`)
	for _, n := range []int{1000, 120000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			eng := benchEngine(b, "map", def)
			input := `{"items":[0` + strings.Repeat(",0", n-1) + `]}`
			iterations := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{
					StateMachine: "map", Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(input)})
				if err != nil {
					b.Fatal(err)
				}
				if ex, err = eng.Wait(context.Background(), ex.ID); err != nil {
					b.Fatal(err)
				}
				want := "SUCCEEDED"
				if n > 5000 {
					want = "FAILED" // the history limit
				}
				if ex.Status != want {
					b.Fatalf("%s: %s %s, want %s", ex.ID, ex.Status, ex.Error, want)
				}
				events, err := eng.Store().History(context.Background(), store.HistoryQuery{ID: ex.ID, Limit: 100000})
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range events {
					if bytes.Contains(e.Data, []byte(`"MapIterationStarted"`)) {
						iterations++
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iterations), "ns/iteration")
			b.ReportMetric(float64(iterations)/float64(b.N), "iterations/op")
		})
	}
}
