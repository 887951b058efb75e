package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// passChain is a definition of n Pass states in a row, each adding a field.
func passChain(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Result":%d,"ResultPath":"$.v"`, i, i)
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// choiceLoop counts $.i up to n with a Choice and a Pass using States.MathAdd.
func choiceLoop() []byte {
	return []byte(`{"StartAt":"Check","States":{
		"Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":50,"Next":"Inc"}],"Default":"Done"},
		"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
		"Done":{"Type":"Succeed"}}}`)
}

// writeCounter counts the store writes (creates and commits) of a benchmark,
// so that its figures can say how many commits the transitions took: a
// pure execution runs in the commit that starts it.
type writeCounter struct {
	store.Store
	writes atomic.Int64
}

func (w *writeCounter) CreateExecution(ctx context.Context, p store.CreateParams) (string, error) {
	w.writes.Add(1)
	return w.Store.CreateExecution(ctx, p)
}

func (w *writeCounter) Commit(ctx context.Context, p store.CommitParams) error {
	w.writes.Add(1)
	return w.Store.Commit(ctx, p)
}

var benchWrites = map[*interpreter.Engine]*writeCounter{}

// reportRates reports transitions/s next to executions/s and commits/s.
func reportRates(b *testing.B, eng *interpreter.Engine, perExecution int) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*perExecution)/secs, "transitions/s")
	b.ReportMetric(float64(b.N)/secs, "executions/s")
	b.ReportMetric(float64(benchWrites[eng].writes.Load())/secs, "commits/s")
}

func benchEngine(b *testing.B, name string, def []byte) *interpreter.Engine {
	b.Helper()
	mem := memory.New()
	st := &writeCounter{Store: mem}
	eng := interpreter.New(interpreter.Config{Store: st})
	// The in-memory store keeps finished executions until the janitor's
	// retention: a benchmark of seconds makes hundreds of thousands, so
	// they are removed as they end, or they outgrow the machine.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_, _ = mem.Expire(context.Background(), time.Now().Add(time.Hour), 1<<20)
			}
		}
	}()
	b.Cleanup(func() { close(stop) })
	benchWrites[eng] = st
	if err := eng.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Stop)
	if _, err := eng.PutStateMachine(context.Background(), name, def, dsl.JSON); err != nil {
		b.Fatal(err)
	}
	st.writes.Store(0)
	return eng
}

// runOne starts one execution and checks it succeeded; pure definitions end
// within the start's own commit.
func runOne(b *testing.B, eng *interpreter.Engine, sm string, i int64, input string) {
	ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{
		StateMachine: sm, Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(input)})
	if err != nil {
		b.Fatal(err)
	}
	if ex.Status != "SUCCEEDED" {
		ex, err = eng.Wait(context.Background(), ex.ID)
		if err != nil || ex.Status != "SUCCEEDED" {
			b.Fatalf("execution %s: %v %+v", ex.ID, err, ex)
		}
	}
}

// BenchmarkPassChain100 runs a 100-state Pass chain per op, one execution
// at a time; transitions/s counts states run.
func BenchmarkPassChain100(b *testing.B) {
	eng := benchEngine(b, "chain", passChain(100))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOne(b, eng, "chain", int64(i), `{"order":"o-1"}`)
	}
	reportRates(b, eng, 100)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/transition")
}

// BenchmarkPassChain100Concurrent runs the chain with executions in
// parallel (at least 1,000 in flight across the run).
func BenchmarkPassChain100Concurrent(b *testing.B) {
	eng := benchEngine(b, "chain", passChain(100))
	b.ReportAllocs()
	b.SetParallelism(500) // 500 × GOMAXPROCS goroutines: ≥ 1,000 on 2 cores
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			runOne(b, eng, "chain", n.Add(1), `{"order":"o-1"}`)
		}
	})
	reportRates(b, eng, 100)
}

// BenchmarkChoiceLoop runs 50 rounds of Choice + Pass (101 transitions).
func BenchmarkChoiceLoop(b *testing.B) {
	eng := benchEngine(b, "loop", choiceLoop())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOne(b, eng, "loop", int64(i), `{"i":0}`)
	}
	reportRates(b, eng, 101)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*101), "ns/transition")
}

// BenchmarkChoiceLoopConcurrent is the loop with many executions at once.
func BenchmarkChoiceLoopConcurrent(b *testing.B) {
	eng := benchEngine(b, "loop", choiceLoop())
	b.ReportAllocs()
	b.SetParallelism(500)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			runOne(b, eng, "loop", n.Add(1), `{"i":0}`)
		}
	})
	reportRates(b, eng, 101)
}

var _ = sync.Mutex{}
