package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store/memory"
)

// taskChain is n handler Task states in a row.
func taskChain(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"StartAt":"T0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"T%d":{"Type":"Task","Resource":"handler:echo","ResultPath":"$.r%d"`, i, i)
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"T%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkMockedTasks compares an execution of five Task states answered
// by in-process handlers with the same execution answered by a test case
// of the mock configuration (sfn serve --mock-config): the cost of mocking
// (counting calls in the record, looking the answer up) against calling.
func BenchmarkMockedTasks(b *testing.B) {
	const n = 5
	var cases strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			cases.WriteByte(',')
		}
		fmt.Fprintf(&cases, `"T%d":"Ok"`, i)
	}
	mocks, err := mockconfig.Parse([]byte(`{"StateMachines":{"chain":{"TestCases":{"All":{`+cases.String()+`}}}},
		"MockedResponses":{"Ok":{"0":{"Return":{"ok":true}}}}}`), "bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"handler", "mocked"} {
		b.Run(mode, func(b *testing.B) {
			mem := memory.New()
			eng := interpreter.New(interpreter.Config{Store: mem, Mocks: mocks})
			eng.RegisterHandler("echo", func(context.Context, json.RawMessage) (json.RawMessage, error) {
				return json.RawMessage(`{"ok":true}`), nil
			})
			ctx := context.Background()
			if err := eng.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer eng.Stop()
			if _, err := eng.PutStateMachine(ctx, "chain", taskChain(n), dsl.JSON); err != nil {
				b.Fatal(err)
			}
			testCase := ""
			if mode == "mocked" {
				testCase = "All"
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "chain", Name: fmt.Sprintf("e%d", i), TestCase: testCase})
				if err != nil {
					b.Fatal(err)
				}
				if ex, err = eng.Wait(ctx, ex.ID); err != nil || ex.Status != "SUCCEEDED" {
					b.Fatalf("%v %+v", err, ex)
				}
				if i%1000 == 999 {
					_, _ = mem.Expire(ctx, time.Now().Add(time.Hour), 1<<20)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
		})
	}
}
