package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// The durable benchmarks run on a private redis-server with appendonly yes
// and each appendfsync setting sfn documents:
//
//	go test ./store/redis -run '^$' -bench 'Checkpoint|Durable' -benchtime 3s
//
// BenchmarkCheckpointScript is the floor: a bare Lua checkpoint (fence
// check, version check, RPUSH of the step's events, HSET of the record).
// BenchmarkDurableCommits is Store.Commit, which does everything the bare
// script does plus indexes, due times and a notice, from many executions at
// once; it reports its rate, the bare pipelined rate measured in the same
// run and the ratio.

var fsyncModes = []string{"everysec", "always"}

// benchSenders are the group-commit settings compared: 0 is the default;
// 256, one sender per execution, is about no batching at all.
var benchSenders = []int{0, 256}

func durableURL(b *testing.B, fsync string) string {
	return redistest.Server(b, "--appendonly", "yes", "--appendfsync", fsync)
}

// checkpointScript is the bare checkpoint the store's commit.lua is
// measured against.
var checkpointScript = goredis.NewScript(`
-- KEYS[1] record hash, KEYS[2] history list, KEYS[3] lease hash
-- ARGV[1] fence, ARGV[2] expected version, ARGV[3] engine state,
-- ARGV[4] thread state, ARGV[5..] events
if redis.call('HGET', KEYS[3], 'fence') ~= ARGV[1] then return 'LEASELOST' end
local rv = redis.call('HGET', KEYS[1], 'rv')
if rv ~= ARGV[2] then return 'CONFLICT' end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 5))
redis.call('HSET', KEYS[1], 'rv', rv + 1, 'eng', ARGV[3], 't:0', ARGV[4])
return 'OK'`)

// The payload of one typical step, as in storetest.BenchCommit: four
// events, a 512-byte engine state and one 256-byte thread.
var (
	benchEvent  = []byte(`{"type":"PassStateEntered","details":{"name":"Step","input":"{\"a\":1}"}}`)
	benchEngine = make([]byte, 512)
	benchThread = make([]byte, 256)
)

type rawExec struct {
	keys []string
	rv   int64
}

func newRawExecs(b *testing.B, c *goredis.Client, n int) []*rawExec {
	ctx := context.Background()
	tag := newPrefix()
	out := make([]*rawExec, n)
	for i := range out {
		e := &rawExec{keys: []string{tag + ":x:" + strconv.Itoa(i), tag + ":h:" + strconv.Itoa(i), tag + ":lease"}}
		if err := c.HSet(ctx, e.keys[0], "rv", 0).Err(); err != nil {
			b.Fatal(err)
		}
		out[i] = e
	}
	if err := c.HSet(ctx, tag+":lease", "fence", 7, "holder", "bench").Err(); err != nil {
		b.Fatal(err)
	}
	if err := checkpointScript.Load(ctx, c).Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

func rawArgs(e *rawExec) []any {
	return []any{"7", strconv.FormatInt(e.rv, 10), benchEngine, benchThread, benchEvent, benchEvent, benchEvent, benchEvent}
}

func checkOK(cmd *goredis.Cmd) error {
	s, err := cmd.Text()
	if err == nil && s != "OK" {
		err = fmt.Errorf("checkpoint refused: %s", s)
	}
	return err
}

// rawPipelined runs total bare checkpoints, depth executions per pipeline,
// and returns the rate per second.
func rawPipelined(b *testing.B, c *goredis.Client, depth, total int) float64 {
	ctx := context.Background()
	execs := newRawExecs(b, c, depth)
	start := time.Now()
	for done := 0; done < total; done += depth {
		pipe := c.Pipeline()
		cmds := make([]*goredis.Cmd, depth)
		for i, e := range execs {
			cmds[i] = checkpointScript.EvalSha(ctx, pipe, e.keys, rawArgs(e)...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		for i, cmd := range cmds {
			if err := checkOK(cmd); err != nil {
				b.Fatal(err)
			}
			execs[i].rv++
		}
	}
	return float64(total/depth*depth) / time.Since(start).Seconds()
}

func newClient(b *testing.B, url string) *goredis.Client {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	opt.PoolSize = 300
	c := goredis.NewClient(opt)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// BenchmarkCheckpointScript: the bare checkpoint one round trip at a time
// (one client, and 256 clients each with its own execution) and pipelined
// across 256 executions.
func BenchmarkCheckpointScript(b *testing.B) {
	for _, mode := range fsyncModes {
		b.Run(mode, func(b *testing.B) {
			c := newClient(b, durableURL(b, mode))
			b.Run("serial", func(b *testing.B) {
				ctx := context.Background()
				e := newRawExecs(b, c, 1)[0]
				for b.Loop() {
					if err := checkOK(checkpointScript.EvalSha(ctx, c, e.keys, rawArgs(e)...)); err != nil {
						b.Fatal(err)
					}
					e.rv++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			})
			b.Run("clients=256", func(b *testing.B) {
				ctx := context.Background()
				execs := newRawExecs(b, c, 256)
				var next atomic.Int64
				b.ResetTimer()
				parallel(b, 256, func(w int, n int) {
					e := execs[w]
					for range n {
						if err := checkOK(checkpointScript.EvalSha(ctx, c, e.keys, rawArgs(e)...)); err != nil {
							b.Error(err)
							return
						}
						e.rv++
						next.Add(1)
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			})
			b.Run("pipelined=256", func(b *testing.B) {
				b.ReportMetric(rawPipelined(b, c, 256, max(b.N, 256)), "commits/s")
			})
		})
	}
}

// parallel splits b.N operations over workers goroutines (worker w does n).
func parallel(b *testing.B, workers int, fn func(w, n int)) {
	var wg sync.WaitGroup
	for w := range workers {
		n := b.N / workers
		if w < b.N%workers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, n)
		}()
	}
	wg.Wait()
}

// BenchmarkDurableCommits: Store.Commit of a typical step from 256
// executions at once, fenced, against the bare pipelined checkpoint rate
// measured on the same server just before (so that load elsewhere on the
// machine moves both alike).
func BenchmarkDurableCommits(b *testing.B) {
	for _, mode := range fsyncModes {
		b.Run(mode, func(b *testing.B) {
			url := durableURL(b, mode)
			c := newClient(b, url)
			for _, senders := range benchSenders {
				b.Run(fmt.Sprintf("executions=256/senders=%d", senders), func(b *testing.B) {
					s := open(b, redis.Options{URL: url, Prefix: newPrefix(), Senders: senders})
					defer s.Close()
					// The bare rate right before, on the same server: the machine's
					// load moves both alike.
					cpu0 := redistest.MainThreadCPU(b, c)
					raw := rawPipelined(b, c, 256, max(b.N, 256*100))
					cpu1 := redistest.MainThreadCPU(b, c)
					rawCPU := (cpu1 - cpu0) / float64(max(b.N, 256*100)/256*256)
					benchStoreCommits(b, s, 256, raw)
					storeCPU := (redistest.MainThreadCPU(b, c) - cpu1) / float64(b.N)
					// Redis's own CPU per commit does not move with the load
					// elsewhere on the machine: the steadier ratio.
					b.ReportMetric(rawCPU*1e6, "raw_redis_cpu_µs/commit")
					b.ReportMetric(storeCPU*1e6, "redis_cpu_µs/commit")
					b.ReportMetric(100*rawCPU/storeCPU, "%_of_raw_by_redis_cpu")
				})
			}
		})
	}
}

func benchStoreCommits(b *testing.B, s *redis.Store, workers int, raw float64) {
	ctx := context.Background()
	fences := make([]int64, s.Partitions())
	for p := range fences {
		f, ok, err := s.AcquireLease(ctx, p, "bench", time.Hour)
		if err != nil || !ok {
			b.Fatalf("lease %d: %v %v", p, ok, err)
		}
		fences[p] = f
	}
	recs := make([]*store.Execution, workers)
	for w := range recs {
		id := fmt.Sprintf("bench:e%d", w)
		recs[w] = &store.Execution{ID: id, StateMachine: "bench", Version: 1, Name: fmt.Sprintf("e%d", w),
			Status: store.StatusRunning, Input: []byte(`{}`), StartedAt: time.Unix(1700000000, 0), RecordVersion: 1, LastEventID: 2}
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: recs[w],
			Events: []store.Event{{ID: 1, Data: benchEvent}, {ID: 2, Data: benchEvent}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	parallel(b, workers, func(w, n int) {
		rec := recs[w]
		next := *rec
		next.Engine = benchEngine
		fence := fences[store.PartitionOf(rec.ID, s.Partitions())]
		version, last := int64(1), int64(2)
		for range n {
			evs := make([]store.Event, 4)
			for i := range evs {
				evs[i] = store.Event{ID: last + 1 + int64(i), Data: benchEvent}
			}
			err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: version, Fence: fence, Record: &next,
				SetThreads: map[string][]byte{"0": benchThread}, Events: evs})
			if err != nil {
				b.Error(err)
				return
			}
			version, last = version+1, last+4
		}
	})
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "commits/s")
	b.ReportMetric(raw, "raw_commits/s")
	b.ReportMetric(100*rate/raw, "%_of_raw")
}
