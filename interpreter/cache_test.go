package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// TestStaleRecordCache: an engine starts each step from the record it last
// committed (its record cache). Here a second engine on the same store (a
// node serving API calls) stops and redrives the execution behind the
// first one's back, so the first engine's cached record is old. Its next
// changes must still be judged on the truth: an answer for the redriven
// task is accepted (the old record knows nothing of that task), the
// answer for the task from before the stop is refused, and nothing is
// written twice.
func TestStaleRecordCache(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := secondEngine(t, f)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true}}}`)
	ex := f.start("sm", `{"n":1}`)

	first := pollWork(t, f, f.eng) // f.eng now caches the record with the task started

	if _, err := other.StopExecution(f.ctx, ex.ID, "Operator.Stop", "behind the first node's back"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.RedriveExecution(f.ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	second := pollWork(t, f, other) // the redriven task, scheduled and started by the other engine

	staleRefusedFreshTaken(t, f, ex.ID, first, second)
	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "TaskStateAborted", "ExecutionAborted",
		"ExecutionRedriven", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(want, types(h)); diff != "" {
		t.Fatalf("history (-want +got):\n%s%s", diff, typesOf(h))
	}
}

// TestSucceededDropsThreads: the threads of a succeeded execution are not
// kept in the store (it can never run again); those of a failed one are,
// for its redrive.
func TestSucceededDropsThreads(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"Fan","States":{"Fan":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Ok"},
			"Boom":{"Type":"Fail","Error":"Boom"},"Ok":{"Type":"Pass","End":true}}}]}}}`
	for _, tc := range []struct {
		input   string
		status  string
		threads bool
	}{
		{`{"fail":false}`, store.StatusSucceeded, false},
		{`{"fail":true}`, store.StatusFailed, true},
	} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.put("sm", def)
			ex := f.start("sm", tc.input)
			if end := f.wait(ex.ID); end.Status != tc.status {
				t.Fatalf("ended %s, want %s", end.Status, tc.status)
			}
			rec, err := f.store.GetExecution(f.ctx, ex.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(rec.Threads) > 0; got != tc.threads {
				t.Fatalf("%s execution keeps %d threads in the store; want threads kept: %v", tc.status, len(rec.Threads), tc.threads)
			}
		})
	}
}

// secondEngine is another node on f's store and clock, with its own record
// cache.
func secondEngine(t *testing.T, f *fixture) *interpreter.Engine {
	t.Helper()
	other := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: f.store, Clock: f.clock, TimerPoll: 1000 * time.Hour})
	if err := other.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Stop)
	return other
}

// staleRefusedFreshTaken answers through f.eng, whose cached record is
// old: the stale token's answer is refused, the fresh one's ends the
// execution with its output.
func staleRefusedFreshTaken(t *testing.T, f *fixture, id, stale, fresh string) {
	t.Helper()
	if err := f.eng.TaskSuccess(f.ctx, stale, json.RawMessage(`{"from":"stale"}`)); !errors.Is(err, interpreter.ErrTaskNotFound) {
		t.Fatalf("answer with the stale token: %v, want ErrTaskNotFound", err)
	}
	if err := f.eng.TaskSuccess(f.ctx, fresh, json.RawMessage(`{"from":"fresh"}`)); err != nil {
		t.Fatalf("answer with the fresh token, through the engine with the old record: %v", err)
	}
	end := f.wait(id)
	if end.Status != store.StatusSucceeded || string(end.Output) != `{"from":"fresh"}` {
		t.Fatalf("ended %s with %s", end.Status, end.Output)
	}
}

// pollWork takes a task of activity "work" through eng, asking again and
// again: another engine on the store may have queued it, and a poll is
// only woken at once for tasks its own engine queued (the manual clock
// never ends its fallback wait).
func pollWork(t *testing.T, f *fixture, eng *interpreter.Engine) string {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
		token, _, err := eng.PollActivity(ctx, "work", "test")
		cancel()
		if err == nil {
			return token
		}
		if !errors.Is(err, interpreter.ErrTaskNotFound) || time.Now().After(deadline) {
			t.Fatalf("poll: %v", err)
		}
	}
}

// TestCacheAfterNameReused: an execution ends on another node, so this
// node's cached record of it stays RUNNING; after the retention it expires
// and a new execution takes its id, starting again at record version 1.
// An answer for the old execution's task, sent to this node, must not land
// on the new one; the new one's answer must.
func TestCacheAfterNameReused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := secondEngine(t, f)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true}}}`)

	old := f.start("sm", `{"n":1}`)
	oldToken := pollWork(t, f, f.eng) // f.eng caches the old execution, RUNNING
	if _, err := other.StopExecution(f.ctx, old.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	f.clock.set(f.clock.Now().Add(interpreter.DefaultRetention + time.Hour))
	// The engine's janitor may get there first once the clock moves on:
	// either way the old execution must be gone before its id is reused.
	if _, err := f.store.Expire(f.ctx, f.clock.Now(), 100); err != nil {
		t.Fatalf("Expire: %v", err)
	}
	if _, err := f.store.GetExecution(f.ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the old execution after Expire: %v, want ErrNotFound", err)
	}
	again, _, err := other.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: "run", Input: json.RawMessage(`{"n":2}`)})
	if err != nil || again.ID != old.ID {
		t.Fatalf("second start: %v, %v", again, err)
	}
	newToken := pollWork(t, f, other)

	staleRefusedFreshTaken(t, f, old.ID, oldToken, newToken)
}

// deafStore loses every status notice, as a subscription that reconnects
// may. After a status watch it reports, on read, the first read that found
// the execution running (Wait's first look).
type deafStore struct {
	store.Store
	watching atomic.Bool
	read     chan struct{}
}

func (d *deafStore) WatchStatus(context.Context, string) (<-chan struct{}, func()) {
	d.watching.Store(true)
	return make(chan struct{}), func() {}
}

func (d *deafStore) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	rec, err := d.Store.GetExecution(ctx, id)
	if err == nil && rec.Status == store.StatusRunning && d.watching.Load() {
		select {
		case d.read <- struct{}{}:
		default:
		}
	}
	return rec, err
}

// TestWaitWithoutNotices: Wait still sees the end when the notice of it
// is lost (its periodic re-check, 2 s at first).
func TestWaitWithoutNotices(t *testing.T) {
	t.Parallel()
	deaf := &deafStore{read: make(chan struct{}, 1)}
	f := setup(t, func(c *interpreter.Config) { deaf.Store = c.Store; c.Store = deaf })
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", oneTask)
	ex := f.start("sm", `{"k":1}`)
	call := b.next(t)
	done := make(chan *interpreter.Execution, 1)
	go func() {
		ctx, cancel := context.WithTimeout(f.ctx, guard)
		defer cancel()
		end, err := f.eng.Wait(ctx, ex.ID)
		if err != nil {
			t.Errorf("Wait: %v", err)
		}
		done <- end
	}()
	select {
	case <-deaf.read: // Wait saw it running: only a re-check can see the end
	case <-time.After(guard):
		t.Fatal("Wait did not read the execution")
	}
	call.succeed(`{"ok":true}`)
	if end := <-done; end == nil || end.Status != store.StatusSucceeded {
		t.Fatalf("Wait answered %+v, want SUCCEEDED", end)
	}
}
