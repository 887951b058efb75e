package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

// BenchCommit measures one typical step, committed one at a time: four
// events, the new record and one changed thread, on one execution.
func BenchCommit(b *testing.B, s store.Store) {
	ctx := context.Background()
	rec := newExec("bench", "commit", base)
	create(b, s, rec, 2)
	version, last := int64(1), int64(2)
	next := *rec
	next.Engine = make([]byte, 512)
	thread := make([]byte, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: version, Record: &next,
			SetThreads: map[string][]byte{"0": thread}, Events: benchEvents(last+1, 4)})
		if err != nil {
			b.Fatal(err)
		}
		version, last = version+1, last+4
	}
}

// BenchCommitParallel is BenchCommit from many goroutines, each on its own
// execution: the store's throughput across executions.
func BenchCommitParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rec := newExec("bench", fmt.Sprint("parallel-", n.Add(1)), base)
		create(b, s, rec, 2)
		version, last := int64(1), int64(2)
		next := *rec
		next.Engine = make([]byte, 512)
		thread := make([]byte, 256)
		for pb.Next() {
			err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: version, Record: &next,
				SetThreads: map[string][]byte{"0": thread}, Events: benchEvents(last+1, 4)})
			if err != nil {
				b.Error(err)
				return
			}
			version, last = version+1, last+4
		}
	})
}

// BenchCreateExecution measures starting executions: a record with one
// thread and two first events, under a new name each time.
func BenchCreateExecution(b *testing.B, s store.Store) {
	ctx := context.Background()
	events := benchEvents(1, 2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rec := newExec("bench", fmt.Sprint("create-", i), base)
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: events}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreateExecutionParallel is BenchCreateExecution from 64 goroutines
// (as many as the HTTP start benchmark's connections), with four events:
// the store's own start rate, without HTTP.
func BenchCreateExecutionParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	events := benchEvents(1, 4)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := newExec("bench", fmt.Sprint("pcreate-", n.Add(1)), base)
			if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: events}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

func benchEvents(first int64, n int) []store.Event {
	out := make([]store.Event, n)
	for i := range out {
		out[i] = store.Event{ID: first + int64(i), Data: []byte(`{"type":"PassStateEntered","details":{"name":"Step","input":"{\"a\":1}"}}`)}
	}
	return out
}

// BenchCommitStatus measures commits that change the status (an end, then
// a redrive, in turn), each with the change log entry change (nil: none),
// so that the cost of the log on the commits that write it is the ratio of
// the two.
func BenchCommitStatus(b *testing.B, s store.Store, change []byte) {
	ctx := context.Background()
	store.KeepChanges(s, 0)
	rec := newExec("bench", "status", base)
	create(b, s, rec, 2)
	version, last := int64(1), int64(2)
	running, ended := *rec, *rec
	running.Engine, ended.Engine = make([]byte, 512), make([]byte, 512)
	ended.Status, ended.StoppedAt, ended.Output = store.StatusSucceeded, base.Add(time.Second), []byte(`{"result":"done"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		next := &ended
		if i%2 == 1 {
			next = &running
		}
		err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: version, Record: next,
			Events: benchEvents(last+1, 2), Change: change})
		if err != nil {
			b.Fatal(err)
		}
		version, last = version+1, last+2
	}
}

// BenchChange is a change log entry of the size the engine writes.
var BenchChange = []byte(`{"v":1,"id":"bench:status","sm":"bench","ver":1,"name":"status","status":"SUCCEEDED","start":"2025-03-01T12:00:00Z","stop":"2025-03-01T12:00:01Z","redrive":0}`)
