package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

const callDef = `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:work","End":true}}}`
const parkDef = `{"StartAt":"Park","States":{"Park":{"Type":"Wait","Seconds":3600,"End":true}}}`

// callNode starts an engine whose handler "work" calls work; crash cancels
// its context without handing its leases back, as a kill -9 would.
func callNode(t *testing.T, st store.Store, name string, work interpreter.Handler) (*interpreter.Engine, func()) {
	t.Helper()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: name, LeaseTTL: 600 * time.Millisecond, TimerPoll: 100 * time.Millisecond})
	eng.RegisterHandler("work", work)
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); eng.Stop() })
	return eng, cancel
}

// blockingWork is a handler that blocks until its call is cancelled and
// counts its calls in started.
func blockingWork(started *atomic.Int64) interpreter.Handler {
	return func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		started.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

func startN(t *testing.T, eng *interpreter.Engine, sm string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: sm, Name: fmt.Sprintf("%s%d", sm, i),
			Input: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
	}
	return ids
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitDone waits for every execution to succeed with exactly one task
// attempt scheduled.
func waitDone(t *testing.T, eng *interpreter.Engine, ids []string) {
	t.Helper()
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		ex, err := eng.Wait(ctx, id)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if ex.Status != store.StatusSucceeded {
			t.Errorf("%s ended %s %s %s", id, ex.Status, ex.Error, ex.Cause)
		}
		if scheduled := eventCounts(t, eng, id)["TaskScheduled"]; scheduled != 1 {
			t.Errorf("%s: %d TaskScheduled, want 1 (a recovered call is made again, not scheduled again)", id, scheduled)
		}
	}
}

// TestRecoveryReadsTheInFlightSet: a node that takes over partitions whose
// in-flight sets are kept reads only the executions with calls in flight,
// not the parked ones, and makes their calls again.
func TestRecoveryReadsTheInFlightSet(t *testing.T) {
	t.Parallel()
	inner := memory.WithLeases(memory.New(), 16)
	st, faults := faultstore.Wrap(inner, 1)
	var started atomic.Int64
	a, crashA := callNode(t, st, "A", blockingWork(&started))
	for name, def := range map[string]string{"call": callDef, "park": parkDef} {
		if _, err := a.PutStateMachine(context.Background(), name, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	startN(t, a, "park", 100)
	calls := startN(t, a, "call", 5)
	waitFor(t, "A's calls", func() bool { return started.Load() == 5 })
	// A partition A never held (a slow machine: A acquires them over
	// time) was never marked rebuilt, and B would rightly scan it.
	waitFor(t, "A to hold and have rebuilt every partition", func() bool {
		return a.HeldPartitions() == inner.Partitions() && a.RecoveryPending() == 0
	})
	crashA()

	reads, scans := faults.Calls(faultstore.GetExecution), faults.Calls(faultstore.Running)
	b, _ := callNode(t, st, "B", echoHandler)
	waitDone(t, b, calls)
	// Each recovered execution is read for its recovery, its result and
	// the wait (a few more when a commit races the lease hand-over); the
	// parked ones would add 100.
	if got := faults.Calls(faultstore.GetExecution) - reads; got > 5*len(calls) {
		t.Errorf("B read %d records to recover %d calls among 100 parked executions", got, len(calls))
	}
	if n := faults.Calls(faultstore.Running) - scans; n != 0 {
		t.Errorf("B scanned running executions %d times, though every partition's in-flight set was kept", n)
	}
}

// TestRecoveryAfterUpgrade: executions whose calls were started by a node
// of an earlier release (which kept no in-flight set and marked no
// partition) are recovered by a node of this release: it scans each
// partition once, rebuilds the set and marks it.
func TestRecoveryAfterUpgradeMemory(t *testing.T) {
	t.Parallel()
	upgrade(t, memory.WithLeases(memory.New(), 16))
}

func TestRecoveryAfterUpgradeRedis(t *testing.T) {
	t.Parallel()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16, Prefix: "upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	upgrade(t, st)
}

func upgrade(t *testing.T, st store.Store) {
	ctx := context.Background()
	q := st.(store.PartitionQueries)
	var started atomic.Int64
	a, crashA := callNode(t, st, "A", blockingWork(&started))
	if _, err := a.PutStateMachine(ctx, "call", []byte(callDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	calls := startN(t, a, "call", 8)
	waitFor(t, "A's calls", func() bool { return started.Load() == 8 })
	crashA()
	// Make A a node of the earlier release: its commits kept no in-flight
	// set, and no partition was ever marked rebuilt.
	for _, id := range calls {
		rec, err := st.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		next := *rec
		if err := st.Commit(ctx, store.CommitParams{ID: id, ExpectedVersion: rec.RecordVersion, Record: &next, Base: rec}); err != nil {
			t.Fatal(err)
		}
	}
	for p := range 16 {
		if err := q.MarkRebuilt(ctx, p, 0); err != nil {
			t.Fatal(err)
		}
		if ids, _, err := q.InFlight(ctx, p, "", 100); err != nil || len(ids) != 0 {
			t.Fatalf("partition %d's in-flight set: %v %v, want it empty as an earlier release leaves it", p, ids, err)
		}
	}

	b, _ := callNode(t, st, "B", echoHandler)
	waitDone(t, b, calls)
	waitFor(t, "every partition marked rebuilt", func() bool {
		for p := range 16 {
			if r, err := q.Rebuilt(ctx, p); err != nil || r != store.Release {
				return false
			}
		}
		return true
	})
}

// TestOlderNodeMeansScans: while a node of an earlier release is alive
// (it heartbeats without a release), recovery scans whole partitions and
// marks none rebuilt.
func TestOlderNodeMeansScans(t *testing.T) {
	t.Parallel()
	inner := memory.WithLeases(memory.New(), 8)
	st, faults := faultstore.Wrap(inner, 1)
	ctx := context.Background()
	if _, err := inner.Heartbeat(ctx, "old", time.Minute); err != nil { // an earlier release's heartbeat
		t.Fatal(err)
	}
	b, _ := callNode(t, st, "B", echoHandler)
	waitFor(t, "B's partitions", func() bool { return b.HeldPartitions() > 0 })
	waitFor(t, "B's recovery scans", func() bool { return faults.Calls(faultstore.Running) >= b.HeldPartitions() })
	for p := range 8 {
		if r, err := inner.Rebuilt(ctx, p); err != nil || r != 0 {
			t.Errorf("partition %d marked rebuilt (%d, %v) while an earlier release is alive", p, r, err)
		}
	}
	if err := inner.Leave(ctx, "old"); err != nil {
		t.Fatal(err)
	}
}

// TestLostPartitionCannotCommit: a node whose partition passed to another
// node (it has not noticed yet) fires a timer there: its commit carries
// its old fence and is refused, and nothing is written.
func TestLostPartitionCannotCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := memory.WithLeases(memory.New(), 4)
	st, faults := faultstore.Wrap(inner, 1)
	f := setup(t, func(c *interpreter.Config) {
		c.Store, c.Node = st, "A"
		c.LeaseTTL = time.Hour // A does not renew (and notice) within the test
	})
	f.put("sm", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`)
	ex := f.start("sm", `{}`)
	p := store.PartitionOf(ex.ID, 4)
	if err := inner.ReleaseLease(ctx, p, "A"); err != nil { // as if A's lease expired
		t.Fatal(err)
	}
	if _, ok, err := inner.AcquireLease(ctx, p, "B", time.Hour); err != nil || !ok {
		t.Fatalf("B could not take partition %d: %v", p, err)
	}
	before, err := inner.GetExecution(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	commits := faults.Calls(faultstore.Commit)
	f.clock.advanceTo(t, epoch.Add(10*time.Second))
	waitFor(t, fmt.Sprintf("A's timer to try its commit (commits %d, now %v, p %d)", commits, f.clock.Now(), p), func() bool { return faults.Calls(faultstore.Commit) > commits })
	after, err := inner.GetExecution(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.RecordVersion != before.RecordVersion || after.Status != store.StatusRunning {
		t.Fatalf("A wrote into a partition it lost: version %d -> %d, status %s", before.RecordVersion, after.RecordVersion, after.Status)
	}
	// The store refuses A's fence outright.
	next := *after
	err = inner.Commit(ctx, store.CommitParams{ID: ex.ID, ExpectedVersion: after.RecordVersion, Fence: 1, Record: &next})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("a commit with A's old fence: %v, want ErrLeaseLost", err)
	}
}
