package storetest

import (
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var executionTests = []test{
	{"CreateAndGet", testCreateAndGet},
	{"NameReservation", testNameReservation},
	{"GaplessFirstEvents", testCreateGapless},
}

func testCreateAndGet(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "e1", base)
	rec.Threads = map[string][]byte{"0": []byte("t0"), "0.1": []byte("t1")}
	rec.DueAt = base.Add(time.Minute)
	create(t, s, rec, 2)

	want := *rec
	want.RecordVersion, want.LastEventID = 1, 2
	diff(t, "GetExecution", &want, get(t, s, rec.ID))
	diff(t, "History", events(1, 2), history(t, s, rec.ID))

	_, err := s.GetExecution(ctx, "sm:nope")
	wantErr(t, "GetExecution(unknown)", err, store.ErrNotFound)
	_, err = s.History(ctx, store.HistoryQuery{ID: "sm:nope"})
	wantErr(t, "History(unknown)", err, store.ErrNotFound)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testNameReservation(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	first := newExec("sm", "n", base)
	create(t, s, first, 1)
	before := get(t, s, first.ID)

	again := newExec("sm", "n", base.Add(time.Second))
	again.Input = []byte(`{"other":true}`)
	again.InputHash = "other"
	id, err := s.CreateExecution(ctx, store.CreateParams{Execution: again, Events: events(1, 3)})
	wantErr(t, "second CreateExecution", err, store.ErrAlreadyExists)
	if id != first.ID {
		t.Errorf("existing id %q, want %q", id, first.ID)
	}
	diff(t, "record after the refused create", before, get(t, s, first.ID))
	diff(t, "history after the refused create", events(1, 1), history(t, s, first.ID))

	// The same name in another state machine is another execution.
	create(t, s, newExec("other", "n", base), 1)
	summaries, _, err := s.ListExecutions(ctx, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(summaries) != 2 {
		t.Errorf("listed %d executions, want 2: %+v", len(summaries), summaries)
	}
}

func testCreateGapless(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	bad := map[string][]store.Event{
		"starts at 2": events(2, 2),
		"gap":         {{ID: 1, Data: []byte(`{}`)}, {ID: 3, Data: []byte(`{}`)}},
		"repeat":      {{ID: 1, Data: []byte(`{}`)}, {ID: 1, Data: []byte(`{}`)}},
	}
	for what, evs := range bad {
		rec := newExec("sm", "n", base)
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: evs}); err == nil {
			t.Errorf("CreateExecution with events %s: no error", what)
		}
		_, err := s.GetExecution(ctx, rec.ID)
		wantErr(t, "GetExecution after a refused create ("+what+")", err, store.ErrNotFound)
	}
	// Nothing was reserved: the name is still free.
	create(t, s, newExec("sm", "n", base), 3)
	diff(t, "history", events(1, 3), history(t, s, "sm:n"))
}
