package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// Durable engine benchmarks on a private redis-server with appendonly yes
// and each appendfsync setting:
//
//	go test ./interpreter -run '^$' -bench 'Redis' -benchtime 3s

var redisFsyncModes = []string{"everysec", "always"}

// tenStates is a 10-state workflow without outside effects: Pass, Choice,
// Wait 0 s, Pass, … It runs in the start's own commit.
const tenStates = `{"StartAt":"S0","States":{
	"S0":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"S1"},
	"S1":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"S2"}],"Default":"S9"},
	"S2":{"Type":"Wait","Seconds":0,"Next":"S3"},
	"S3":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"S4"},
	"S4":{"Type":"Pass","Next":"S5"},
	"S5":{"Type":"Choice","Choices":[{"Variable":"$.b","NumericEquals":2,"Next":"S6"}],"Default":"S9"},
	"S6":{"Type":"Wait","Seconds":0,"Next":"S7"},
	"S7":{"Type":"Pass","Result":3,"ResultPath":"$.c","Next":"S8"},
	"S8":{"Type":"Pass","Next":"S9"},
	"S9":{"Type":"Succeed"}}}`

// redisEngine runs an engine on a fresh prefix of the Redis at url.
func redisEngine(b *testing.B, url, sm, def string) *interpreter.Engine {
	b.Helper()
	ctx := context.Background()
	st, err := redisstore.New(ctx, redisstore.Options{URL: url, Prefix: fmt.Sprintf("bench%d", time.Now().UnixNano())})
	if err != nil {
		b.Fatal(err)
	}
	eng := interpreter.New(interpreter.Config{Store: st})
	eng.RegisterHandler("echo", echoHandler)
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		eng.Stop()
		_ = st.Close()
	})
	if _, err := eng.PutStateMachine(ctx, sm, []byte(def), dsl.JSON); err != nil {
		b.Fatal(err)
	}
	return eng
}

func startDone(b *testing.B, eng *interpreter.Engine, sm, name string) {
	ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: sm, Name: name, Input: json.RawMessage(`{"order":"o-1"}`)})
	if err != nil {
		b.Error(err)
		return
	}
	if ex.Status != store.StatusSucceeded {
		b.Errorf("%s: %s", ex.ID, ex.Status)
	}
}

// BenchmarkRedisTransitions: durable state transitions per second of the
// 10-state workflow, 256 executions at once.
func BenchmarkRedisTransitions(b *testing.B) {
	for _, mode := range redisFsyncModes {
		b.Run(mode, func(b *testing.B) {
			url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", mode)
			c := redisClient(b, url)
			b.Run("executions=256", func(b *testing.B) {
				eng := redisEngine(b, url, "ten", tenStates)
				var next atomic.Int64
				b.ReportAllocs()
				cpu := redistest.MainThreadCPU(b, c)
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := range 256 {
					n := b.N/256 + btoi(w < b.N%256)
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range n {
							startDone(b, eng, "ten", "e"+strconv.FormatInt(next.Add(1), 10))
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "transitions/s")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "executions/s")
				// Redis's own CPU per execution bounds what one Redis core can
				// take whatever else runs on the machine.
				perExec := (redistest.MainThreadCPU(b, c) - cpu) / float64(b.N)
				b.ReportMetric(perExec*1e6, "redis_cpu_µs/execution")
				b.ReportMetric(10/perExec, "transitions/s_per_redis_core")
			})
		})
	}
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

// BenchmarkRedisOneExecution: one execution of the 10-state workflow from
// start to SUCCEEDED, one at a time (latency).
func BenchmarkRedisOneExecution(b *testing.B) {
	for _, mode := range redisFsyncModes {
		b.Run(mode, func(b *testing.B) {
			eng := redisEngine(b, redistest.Server(b, "--appendonly", "yes", "--appendfsync", mode), "ten", tenStates)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				startDone(b, eng, "ten", "e"+strconv.Itoa(i))
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/execution")
		})
	}
}

// twentyFiveEvents is a workflow whose finished history has 25 events:
// ExecutionStarted, a handler task (5 events), nine Pass states (18) and
// ExecutionSucceeded.
func twentyFiveEvents() string {
	var s strings.Builder
	s.WriteString(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:echo","Next":"P0"}`)
	for i := range 9 {
		next := fmt.Sprintf(`"Next":"P%d"`, i+1)
		if i == 8 {
			next = `"End":true`
		}
		fmt.Fprintf(&s, `,"P%d":{"Type":"Pass","Result":"step %d","ResultPath":"$.p%d",%s}`, i, i, i, next)
	}
	s.WriteString(`}}`)
	return s.String()
}

// BenchmarkRedisMemoryPerExecution: Redis used_memory per finished 25-event
// execution (records, histories, index entries), from INFO memory before
// and after b.N executions.
func BenchmarkRedisMemoryPerExecution(b *testing.B) {
	url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", "everysec")
	c := redisClient(b, url)
	ctx := context.Background()
	b.Run("events=25", func(b *testing.B) {
		eng := redisEngine(b, url, "mem", twentyFiveEvents())
		startDone := func(name string) {
			ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "mem", Name: name, Input: json.RawMessage(`{"order":"o-1"}`)})
			if err == nil {
				ex, err = eng.Wait(ctx, ex.ID)
			}
			if err != nil || ex.Status != store.StatusSucceeded {
				b.Fatalf("%v %+v", err, ex)
			}
		}
		startDone("warm")
		evs, err := eng.History(ctx, store.HistoryQuery{ID: "mem:warm"})
		if err != nil || len(evs) != 25 {
			b.Fatalf("history has %d events (%v), want 25", len(evs), err)
		}
		before := usedMemory(b, c)
		b.ResetTimer()
		var wg sync.WaitGroup
		var next atomic.Int64
		for w := range 64 {
			n := b.N/64 + btoi(w < b.N%64)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n {
					startDone("e" + strconv.FormatInt(next.Add(1), 10))
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		after := usedMemory(b, c)
		b.ReportMetric(float64(after-before)/float64(b.N), "bytes/execution")
		// Where it goes: the record hash and the history list of one
		// execution (the rest is index entries and allocator overhead).
		b.ReportMetric(float64(keyMemory(b, c, "*:x:mem:warm")), "record_bytes")
		b.ReportMetric(float64(keyMemory(b, c, "*:h:mem:warm")), "history_bytes")
	})
}

func usedMemory(b *testing.B, c *goredis.Client) int64 {
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}

func redisClient(b *testing.B, url string) *goredis.Client {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	c := goredis.NewClient(opt)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// keyMemory is MEMORY USAGE of a key matching pattern.
func keyMemory(b *testing.B, c *goredis.Client, pattern string) int64 {
	ctx := context.Background()
	keys, _, err := c.Scan(ctx, 0, pattern, 100000).Result()
	if err != nil || len(keys) == 0 { // one per run of the benchmark; all alike
		b.Fatalf("keys matching %s: %v %v", pattern, keys, err)
	}
	n, err := c.MemoryUsage(ctx, keys[0], 0).Result()
	if err != nil {
		b.Fatal(err)
	}
	return n
}
