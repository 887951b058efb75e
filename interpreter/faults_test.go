package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
)

// twoWaits sleeps twice around a Pass: each Wait ends in a step started by
// a timer, which is retried by the next timer poll when its commit fails.
const twoWaits = `{"StartAt":"W1","States":{
	"W1":{"Type":"Wait","Seconds":1,"Next":"P"},
	"P":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.p","Next":"W2"},
	"W2":{"Type":"Wait","Seconds":1,"End":true}}}`

// faultEngine runs an engine on a fault-injecting wrapper of st; extra
// changes its configuration.
func faultEngine(t *testing.T, st store.Store, extra ...func(*interpreter.Config)) (*interpreter.Engine, *faultstore.Faults) {
	t.Helper()
	fs, faults := faultstore.Wrap(st, 1)
	cfg := interpreter.Config{CheckCachedThreads: true, Store: fs, TimerPoll: 50 * time.Millisecond, LeaseTTL: 3 * time.Second}
	for _, f := range extra {
		f(&cfg)
	}
	eng := interpreter.New(cfg)
	eng.RegisterHandler("echo", echoHandler)
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	if _, err := eng.PutStateMachine(context.Background(), "waits", []byte(twoWaits), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	return eng, faults
}

// startMany starts n executions of waits with inputs {"n": i}.
func startMany(t *testing.T, eng *interpreter.Engine, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ex, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: "waits",
			Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = ex.ID
	}
	return ids
}

// checkWaits waits for every execution to succeed and checks its history:
// ids 1..n without gaps, and each state entered and left exactly once (a
// step applied twice, or half of one, would show).
func checkWaits(t *testing.T, st store.Store, ids []string) {
	t.Helper()
	for i, id := range ids {
		ex := waitEnd(t, st, id, 30*time.Second)
		if ex.Status != store.StatusSucceeded || string(ex.Output) != fmt.Sprintf(`{"n":%d,"p":{"ok":true}}`, i) {
			t.Errorf("%s ended %s %s %s %s", id, ex.Status, ex.Error, ex.Cause, ex.Output)
			continue
		}
		counts := eventCounts(t, st, id)
		want := map[string]int{"ExecutionStarted": 1, "WaitStateEntered": 2, "WaitStateExited": 2,
			"PassStateEntered": 1, "PassStateExited": 1, "ExecutionSucceeded": 1}
		for typ, n := range want {
			if counts[typ] != n {
				t.Errorf("%s: %d %s events, want %d (all: %v)", id, counts[typ], typ, n, counts)
			}
		}
	}
}

// waitEnd polls the store until the execution is no longer running.
func waitEnd(t *testing.T, st store.Store, id string, within time.Duration) *store.Execution {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec, err := st.GetExecution(context.Background(), id)
		if err == nil && rec.Status != store.StatusRunning {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still running after %s (last read: %v)", id, within, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// historian reads a history: a store, or an engine (which reads its store).
type historian interface {
	History(ctx context.Context, q store.HistoryQuery) ([]store.Event, error)
}

// eventCounts reads a history, checks its ids are 1..n, and counts types.
func eventCounts(t *testing.T, st historian, id string) map[string]int {
	t.Helper()
	evs, err := st.History(context.Background(), store.HistoryQuery{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("%s: event %d has id %d", id, i+1, e.ID)
		}
		var h struct{ Type string }
		if err := json.Unmarshal(e.Data, &h); err != nil {
			t.Fatalf("%s: event %d: %v", id, e.ID, err)
		}
		counts[h.Type]++
	}
	return counts
}

// TestFaultFailedCommitsAreRetried: commits that fail (and change nothing)
// leave the due time in the store; the next timer poll runs the step again.
func TestFaultFailedCommitsAreRetried(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		st   store.Store
	}{{"memory", memory.New()}, {"leases", memory.WithLeases(memory.New(), 8)}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eng, faults := faultEngine(t, c.st)
			ids := startMany(t, eng, 20)
			faults.Add(faultstore.Rule{Op: faultstore.Commit, Probability: 0.5, Count: 40})
			checkWaits(t, c.st, ids)
			if faults.Hits(faultstore.Commit) == 0 {
				t.Error("no commit failed: the test tested nothing")
			}
		})
	}
}

// TestFaultAmbiguousCommits: a commit that was applied but answered with
// an error (a lost reply) is resolved by re-reading: the engine's next
// look at the execution loads the new version and goes on from it, never
// writing the step twice.
func TestFaultAmbiguousCommits(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		st   store.Store
	}{{"memory", memory.New()}, {"leases", memory.WithLeases(memory.New(), 8)}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eng, faults := faultEngine(t, c.st)
			ids := startMany(t, eng, 20)
			faults.Add(faultstore.Rule{Op: faultstore.Commit, Probability: 0.5, Count: 40, Applied: true})
			checkWaits(t, c.st, ids)
			if faults.Hits(faultstore.Commit) == 0 {
				t.Error("no commit was ambiguous: the test tested nothing")
			}
		})
	}
}

// TestFaultSlowAndFailingReads: reads that fail or lag (timer polls,
// record loads) only delay executions. The engine keeps no records between
// steps here, so that every step loads its record and meets the faults.
func TestFaultSlowAndFailingReads(t *testing.T) {
	t.Parallel()
	st := memory.New()
	eng, faults := faultEngine(t, st, func(c *interpreter.Config) { c.RecordCache = -1 })
	ids := startMany(t, eng, 20)
	faults.Add(faultstore.Rule{Op: faultstore.Due, Probability: 0.5})
	faults.Add(faultstore.Rule{Op: faultstore.GetExecution, Probability: 0.2, Count: 30})
	faults.Add(faultstore.Rule{Op: faultstore.Commit, Probability: 0.3, Delay: 30 * time.Millisecond})
	checkWaits(t, st, ids)
	for _, op := range []faultstore.Op{faultstore.Due, faultstore.GetExecution, faultstore.Commit} {
		if faults.Hits(op) == 0 {
			t.Errorf("no %s call was hit (%d calls): that fault was not tested", op, faults.Calls(op))
		}
	}
}

// TestFaultTaskResultCommitFails: a task's result whose commit fails must
// still be recorded, by making the call again (at-least-once, same
// idempotency key) or by retrying the commit.
func TestFaultTaskResultCommitFails(t *testing.T) {
	t.Parallel()
	st := memory.New()
	fs, faults := faultstore.Wrap(st, 3)
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: fs, TimerPoll: 50 * time.Millisecond})
	release := make(chan struct{})
	calls := make(chan struct{}, 10)
	eng.RegisterHandler("echo", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		calls <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return in, nil
	})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	ctx := context.Background()
	if _, err := eng.PutStateMachine(ctx, "hold", []byte(holdDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "hold", Name: "t", Input: json.RawMessage(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-calls: // TaskScheduled is committed, the call is in progress
	case <-time.After(10 * time.Second):
		t.Fatal("the task was not called")
	}
	faults.Add(faultstore.Rule{Op: faultstore.Commit, Count: 1})
	close(release)
	deadline := time.Now().Add(15 * time.Second)
	for faults.Hits(faultstore.Commit) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	if faults.Hits(faultstore.Commit) == 0 {
		t.Fatal("the result's commit never failed: the fault did not fire")
	}
	// Give a retry a generous while (the test's Wait is 1s, the timer poll 50ms).
	var rec *store.Execution
	for deadline := time.Now().Add(5 * time.Second); ; {
		if rec, err = st.GetExecution(ctx, ex.ID); err != nil {
			t.Fatal(err)
		}
		if rec.Status != store.StatusRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
	if rec.Status != store.StatusSucceeded {
		t.Errorf("ended %s %s %s", rec.Status, rec.Error, rec.Cause)
	}
}
