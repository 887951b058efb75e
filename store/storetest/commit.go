package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var commitTests = []test{
	{"Applies", testCommitApplies},
	{"StaleVersion", testCommitStaleVersion},
	{"EventIDs", testCommitEventIDs},
	{"Unknown", testCommitUnknown},
	{"WithBase", testCommitWithBase},
}

// A commit that names its Base may write only the changed header fields;
// what is read back is the whole new header all the same, through every
// field changing, staying, and going back to its zero value.
func testCommitWithBase(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "base", base)
	rec.DueAt = base.Add(time.Hour)
	create(t, s, rec, 1)
	changes := []func(r *store.Execution){
		func(r *store.Execution) { r.Engine = []byte("engine-2") },
		func(r *store.Execution) {
			r.Status, r.Output, r.Error, r.Cause = store.StatusFailed, []byte(`{"o":1}`), "E", "c"
			r.StoppedAt, r.DueAt = base.Add(time.Minute), time.Time{}
		},
		func(r *store.Execution) { r.RedriveCount, r.Status = 1, store.StatusRunning },
		func(r *store.Execution) {
			r.Output, r.Error, r.Cause, r.StoppedAt, r.DueAt = nil, "", "", time.Time{}, base.Add(2*time.Hour)
		},
		func(r *store.Execution) {}, // nothing changes: only the version and the events
		func(r *store.Execution) {
			r.Status, r.Output, r.StoppedAt = store.StatusSucceeded, []byte(`"done"`), base.Add(time.Hour)
		},
	}
	for i, change := range changes {
		cur := get(t, s, rec.ID)
		next := *cur
		next.Threads = nil
		change(&next)
		err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: &next,
			Base: cur, Events: events(cur.LastEventID+1, 1)})
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		want := next
		want.Threads = cur.Threads
		want.RecordVersion, want.LastEventID = cur.RecordVersion+1, cur.LastEventID+1
		diff(t, fmt.Sprintf("record after commit %d", i), &want, get(t, s, rec.ID))
	}
}

func testCommitApplies(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "e", base)
	rec.Threads = map[string][]byte{"0": []byte("t0"), "1": []byte("t1"), "2": []byte("t2")}
	rec.DueAt = base.Add(time.Hour)
	create(t, s, rec, 2)

	next := *rec
	next.Status = store.StatusFailed
	next.Output = []byte(`{"out":1}`)
	next.Error, next.Cause = "States.TaskFailed", "boom"
	next.StoppedAt = base.Add(time.Minute)
	next.RedriveCount = 2
	next.Engine = []byte("engine-2")
	next.DueAt = time.Time{}
	next.Threads = map[string][]byte{"9": []byte("ignored: Record.Threads is not written")}
	next.Input = []byte(`{"ignored":"the input is fixed at create"}`)
	err := s.Commit(ctx, store.CommitParams{
		ID: rec.ID, ExpectedVersion: 1, Record: &next,
		SetThreads:    map[string][]byte{"1": []byte("t1'"), "3": []byte("t3")},
		DeleteThreads: []string{"0", "never-existed"},
		Events:        events(3, 4),
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	want := next
	want.Input = rec.Input
	want.RecordVersion, want.LastEventID = 2, 6
	want.Threads = map[string][]byte{"1": []byte("t1'"), "2": []byte("t2"), "3": []byte("t3")}
	diff(t, "record", &want, get(t, s, rec.ID))
	diff(t, "history", events(1, 6), history(t, s, rec.ID))

	// A commit without events or thread changes still bumps the version.
	next.Status = store.StatusRunning
	if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 2, Record: &next}); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
	got := get(t, s, rec.ID)
	if got.RecordVersion != 3 || got.LastEventID != 6 || len(got.Threads) != 3 || got.Status != store.StatusRunning {
		t.Errorf("after an empty commit: version %d, last event %d, %d threads, status %s; want 3, 6, 3, RUNNING",
			got.RecordVersion, got.LastEventID, len(got.Threads), got.Status)
	}
}

// refused checks that a refused commit changed nothing at all.
func refused(t *testing.T, s store.Store, id string, before *store.Execution, hist []store.Event) {
	t.Helper()
	diff(t, "record after a refused commit", before, get(t, s, id))
	diff(t, "history after a refused commit", hist, history(t, s, id))
	_, err := Take(ctxFor(t), s, "refused")
	wantErr(t, "activity of a refused commit", err, store.ErrNotFound)
}

func testCommitStaleVersion(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "e", base)
	create(t, s, rec, 1)
	step(t, s, rec.ID, 2, nil) // version 2, events 1..3
	before, hist := get(t, s, rec.ID), history(t, s, rec.ID)

	for _, stale := range []int64{0, 1, 3, 99} {
		next := *before
		next.Status = store.StatusSucceeded
		err := s.Commit(ctx, store.CommitParams{
			ID: rec.ID, ExpectedVersion: stale, Record: &next,
			SetThreads: map[string][]byte{"0": []byte("changed")}, DeleteThreads: []string{"0"},
			Events:     events(4, 2),
			Activities: []store.ActivityTask{{Activity: "refused", Token: "tok", ExecutionID: rec.ID}},
		})
		wantErr(t, "Commit at a stale version", err, store.ErrConflict)
		refused(t, s, rec.ID, before, hist)
	}
}

// testCommitEventIDs: events whose ids do not continue the history without
// a gap are refused with ErrConflict (as a stale version is: the writer's
// view of the history is not the store's), and the commit changes nothing.
func testCommitEventIDs(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "e", base)
	create(t, s, rec, 3)
	before, hist := get(t, s, rec.ID), history(t, s, rec.ID)
	bad := map[string][]store.Event{
		"gap after the last":    events(5, 1),
		"repeat the last":       events(3, 2),
		"gap inside the batch":  {{ID: 4, Data: []byte(`{}`)}, {ID: 6, Data: []byte(`{}`)}},
		"repeat inside a batch": {{ID: 4, Data: []byte(`{}`)}, {ID: 4, Data: []byte(`{}`)}},
	}
	for what, evs := range bad {
		next := *before
		err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: &next, Events: evs,
			Activities: []store.ActivityTask{{Activity: "refused", Token: "tok", ExecutionID: rec.ID}}})
		wantErr(t, "Commit with events: "+what, err, store.ErrConflict)
		refused(t, s, rec.ID, before, hist)
	}
}

func testCommitUnknown(t *testing.T, s store.Store) {
	err := s.Commit(ctxFor(t), store.CommitParams{ID: "sm:nope", ExpectedVersion: 1, Record: newExec("sm", "nope", base),
		Events: events(1, 1)})
	wantErr(t, "Commit(unknown)", err, store.ErrNotFound)
}
