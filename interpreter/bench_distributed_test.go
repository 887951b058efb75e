package interpreter_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/itemio"
	"github.com/sfn-project/sfn/interpreter/itemio/s3test"
	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkDistributedMap: a distributed Map over SFN_BENCH_MAP_ITEMS items
// (default 20,000; BENCHMARKS.md's figures use 1,000,000) read as JSON
// Lines from an HTTP URL, each child a one-Pass execution, on two nodes
// sharing a private Redis. Beside it, in the same run, the plain start
// rate of a one-Pass state machine on the same nodes. It reports:
//
//	children/s        child executions per second, MapRunStarted to the last child's end
//	plain-starts/s    the same nodes starting one-Pass executions, 64 at once
//	ratio             children/s ÷ plain-starts/s (goal ≥ 0.8)
//	parent-events     the parent's history length, and parent-history-B its bytes
//	redis-B/child     Redis memory per finished child (used_memory before and after)
//	end-ms            the last child's end to the parent's end
//
//	SFN_BENCH_MAP_ITEMS=1000000 go test ./interpreter -run '^$' -bench DistributedMap -benchtime 1x -timeout 60m
//
// Unbatched, the results of a million children are far over a state's
// 256 KiB: a ResultWriter writes them to an in-process S3 server (the
// parent's end then includes reading every child back and writing the
// files). Batched (100 items per child), the results fit.
func BenchmarkDistributedMap(b *testing.B) {
	n := 20000
	if s := os.Getenv("SFN_BENCH_MAP_ITEMS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 {
			b.Fatalf("SFN_BENCH_MAP_ITEMS=%q", s)
		}
	}
	for _, tc := range []struct {
		name, extra string
		children    int
		writer      bool
	}{
		{"unbatched", `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"results","Prefix":"bench"}},`, n, true},
		{"batched100", `"ItemBatcher":{"MaxItemsPerBatch":100},"ResultSelector":{"batches.$":"States.ArrayLength($)"},`, (n + 99) / 100, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				benchDistributed(b, n, tc.children, tc.extra, tc.writer)
			}
		})
	}
}

func benchDistributed(b *testing.B, items, children int, extra string, writer bool) {
	ctx := context.Background()
	url := redistest.Server(b)
	rdb := redisClient(b, url)

	// The items: JSON Lines served as they are generated.
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := bufio.NewWriterSize(w, 64<<10)
		for i := range items {
			fmt.Fprintf(bw, `{"i":%d}`+"\n", i)
		}
		_ = bw.Flush()
	}))
	defer src.Close()
	s3 := s3test.Start(b, "results")
	x, err := itemio.New(itemio.Config{Stores: []itemio.Store{s3Store(s3, nil, []string{"results"})},
		HTTP: plainGet})
	if err != nil {
		b.Fatal(err)
	}
	var engines []*interpreter.Engine
	for _, node := range []string{"A", "B"} {
		st, err := redisstore.New(ctx, redisstore.Options{URL: url, Prefix: "bench", Partitions: 64})
		if err != nil {
			b.Fatal(err)
		}
		eng := interpreter.New(interpreter.Config{Store: st, Node: node, ItemIO: x})
		cctx, cancel := context.WithCancel(ctx)
		if err := eng.Start(cctx); err != nil {
			b.Fatal(err)
		}
		defer func() { cancel(); eng.Stop(); _ = st.Close() }()
		engines = append(engines, eng)
	}
	deadline := time.Now().Add(30 * time.Second)
	for engines[0].HeldPartitions() == 0 || engines[1].HeldPartitions() == 0 || engines[0].HeldPartitions()+engines[1].HeldPartitions() < 64 {
		if time.Now().After(deadline) {
			b.Fatal("the nodes never shared the partitions")
		}
		time.Sleep(10 * time.Millisecond) // waiting for the lease loop, with a deadline
	}
	put := func(name, def string) {
		if _, err := engines[0].PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
			b.Fatal(err)
		}
	}
	put("plain", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	put("map", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Bench",`+extra+
		`"ItemReader":{"Resource":"arn:aws:states:::http:invoke","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"ApiEndpoint":"`+src.URL+`","Method":"GET"}},`+
		`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}},"End":true}}}`)

	// Plain starts on both nodes, 64 at once, as many as the Map has
	// children (at most 20,000): before the Map, on a store nearly empty,
	// and after it, on a store that holds its children too.
	plain := min(children, 20000)
	plainRate := plainStarts(b, engines, plain, "before")

	usedBefore := usedMemory(b, rdb)
	ex, _, err := engines[0].StartExecution(ctx, interpreter.StartParams{StateMachine: "map", Name: "big", Input: json.RawMessage(`{}`)})
	if err != nil {
		b.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 55*time.Minute)
	defer cancel()
	done, err := engines[1].Wait(wctx, ex.ID)
	if err != nil {
		b.Fatal(err)
	}
	if done.Status != store.StatusSucceeded {
		b.Fatalf("the Map ended %s %s %s", done.Status, done.Error, done.Cause)
	}
	usedAfter := usedMemory(b, rdb)
	plainAfter := plainStarts(b, engines, plain, "after")
	h, err := engines[1].History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		b.Fatal(err)
	}
	var runStarted time.Time
	var arn string
	historyBytes := 0
	for _, e := range h {
		historyBytes += len(e.Data)
		var x struct {
			Type string    `json:"type"`
			Time time.Time `json:"timestamp"`
			ARN  string    `json:"mapRunArn"`
		}
		_ = json.Unmarshal(e.Data, &x)
		if x.Type == "MapRunStarted" {
			runStarted, arn = x.Time, x.ARN
		}
	}
	m, err := engines[1].MapRun(ctx, arn)
	if err != nil {
		b.Fatal(err)
	}
	if m.Succeeded != children {
		b.Fatalf("%d children succeeded, want %d: %+v", m.Succeeded, children, m)
	}
	// The last child's end: the children are listed by index; the last
	// few to start are the last to end.
	var lastEnd time.Time
	for i := max(0, children-2000); i < children; i += 1000 {
		kids, _, err := engines[1].MapRunExecutions(ctx, m.ID, i, 1000)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range kids {
			if k.StoppedAt.After(lastEnd) {
				lastEnd = k.StoppedAt
			}
		}
	}
	childRate := float64(children) / lastEnd.Sub(runStarted).Seconds()
	b.ReportMetric(childRate, "children/s")
	b.ReportMetric(float64(items)/lastEnd.Sub(runStarted).Seconds(), "items/s")
	b.ReportMetric(plainRate, "plain-starts/s")
	b.ReportMetric(plainAfter, "plain-after/s")
	b.ReportMetric(childRate/plainRate, "ratio")
	b.ReportMetric(childRate/plainAfter, "ratio-after")
	b.ReportMetric(float64(len(h)), "parent-events")
	b.ReportMetric(float64(historyBytes), "parent-history-B")
	b.ReportMetric(float64(usedAfter-usedBefore)/float64(children), "redis-B/child")
	b.ReportMetric(float64(done.StoppedAt.Sub(lastEnd).Microseconds())/1000, "end-ms")
	if writer && !strings.Contains(string(done.Output), "manifest.json") {
		b.Fatalf("output %s", done.Output)
	}
}

// plainStarts starts n one-Pass executions on the engines, 64 at once,
// and returns how many per second.
func plainStarts(b *testing.B, engines []*interpreter.Engine, n int, prefix string) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng := engines[g%len(engines)]
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if _, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: "plain", Name: fmt.Sprintf("%s-%d", prefix, i)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(began).Seconds()
}
