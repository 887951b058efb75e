package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfn-project/sfn/store"
)

// Run runs the conformance suite. newStore returns a fresh, empty store
// for one subtest (for Redis: a new key prefix); it is called once per
// subtest, from the subtest's goroutine, and the suite closes the store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"StateMachines", stateMachineTests},
		{"Executions", executionTests},
		{"Commit", commitTests},
		{"History", historyTests},
		{"ListExecutions", listTests},
		{"Due", dueTests},
		{"Watch", watchTests},
		{"Activities", activityTests},
		{"Copies", copyTests},
		{"Concurrency", concurrencyTests},
		{"Leases", leaseTests},
		{"Expire", expireTests},
		{"Partitions", partitionTests},
		{"Docs", docTests},
		{"Changes", changeTests},
		{"Limits", limitTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					s := newStore(t)
					t.Cleanup(func() { _ = s.Close() })
					tc.fn(t, s)
				})
			}
		})
	}
}

// test is one case of the suite; fn gets its own store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// base is the suite's clock origin; whole microseconds so that every store
// keeps it exactly.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// opts compares store values: nil and empty alike, instants by Equal.
var opts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newExec builds a running execution of sm named name, with id sm:name
// (as the engine makes them) and one thread.
func newExec(sm, name string, started time.Time) *store.Execution {
	return &store.Execution{
		ID: sm + ":" + name, StateMachine: sm, Version: 1, Name: name, Status: store.StatusRunning,
		Input: []byte(`{"name":"` + name + `"}`), StartedAt: started,
		Engine:    []byte("engine-" + name),
		Threads:   map[string][]byte{"0": []byte("thread-0")},
		InputHash: "hash-" + name,
	}
}

// events returns n events with ids from first on.
func events(first int64, n int) []store.Event {
	out := make([]store.Event, n)
	for i := range out {
		id := first + int64(i)
		out[i] = store.Event{ID: id, Data: fmt.Appendf(nil, `{"id":%d}`, id)}
	}
	return out
}

// create stores rec with n first events and fails the test on error.
func create(t testing.TB, s store.Store, rec *store.Execution, n int) {
	t.Helper()
	if _, err := s.CreateExecution(ctxFor(t), store.CreateParams{Execution: rec, Events: events(1, n)}); err != nil {
		t.Fatalf("CreateExecution(%s): %v", rec.ID, err)
	}
}

func get(t testing.TB, s store.Store, id string) *store.Execution {
	t.Helper()
	rec, err := s.GetExecution(ctxFor(t), id)
	if err != nil {
		t.Fatalf("GetExecution(%s): %v", id, err)
	}
	return rec
}

func history(t testing.TB, s store.Store, id string) []store.Event {
	t.Helper()
	evs, err := s.History(ctxFor(t), store.HistoryQuery{ID: id})
	if err != nil {
		t.Fatalf("History(%s): %v", id, err)
	}
	return evs
}

// step commits n events to id at its current version with the given change
// to the header, and fails the test on error.
func step(t testing.TB, s store.Store, id string, n int, change func(r *store.Execution)) {
	t.Helper()
	cur := get(t, s, id)
	next := *cur
	next.Threads = nil
	if change != nil {
		change(&next)
	}
	err := s.Commit(ctxFor(t), store.CommitParams{ID: id, ExpectedVersion: cur.RecordVersion, Record: &next,
		Base: cur, Events: events(cur.LastEventID+1, n)})
	if err != nil {
		t.Fatalf("Commit(%s): %v", id, err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func diff(t testing.TB, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}
