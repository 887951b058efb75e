package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var expireTests = []test{
	{"RemovesEndedBefore", testExpireRemovesEndedBefore},
	{"Limit", testExpireLimit},
	{"Redriven", testExpireRedriven},
	{"EndedAtCreate", testExpireEndedAtCreate},
	{"ListingCursor", testExpireListingCursor},
}

// expirer skips stores without retention.
func expirer(t *testing.T, s store.Store) store.Expirer {
	t.Helper()
	x := store.AsExpirer(s)
	if x == nil {
		t.Skip("the store does not implement store.Expirer")
	}
	return x
}

// end commits one event that ends id at stopped.
func end(t *testing.T, s store.Store, id string, stopped time.Time) {
	t.Helper()
	step(t, s, id, 1, func(r *store.Execution) {
		r.Status, r.StoppedAt, r.Output, r.DueAt = store.StatusSucceeded, stopped, []byte(`{}`), time.Time{}
	})
}

func expire(t *testing.T, x store.Expirer, before time.Time, limit int) int {
	t.Helper()
	n, err := x.Expire(ctxFor(t), before, limit)
	if err != nil {
		t.Fatalf("Expire(%v, %d): %v", before, limit, err)
	}
	return n
}

func gone(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, err := s.GetExecution(ctxFor(t), id)
	wantErr(t, "GetExecution of an expired execution", err, store.ErrNotFound)
	_, err = s.History(ctxFor(t), store.HistoryQuery{ID: id})
	wantErr(t, "History of an expired execution", err, store.ErrNotFound)
}

func testExpireRemovesEndedBefore(t *testing.T, s store.Store) {
	x := expirer(t, s)
	ctx := ctxFor(t)
	putSM(t, s, "sm", "sha", base)
	for i, n := range []string{"old", "edge", "new", "running"} {
		rec := newExec("sm", n, base.Add(time.Duration(i)*time.Second))
		rec.DueAt = base.Add(time.Hour)
		create(t, s, rec, 2)
	}
	cut := base.Add(10 * time.Minute)
	end(t, s, "sm:old", cut.Add(-time.Minute))
	end(t, s, "sm:edge", cut) // not before the cut: kept
	end(t, s, "sm:new", cut.Add(time.Minute))

	if n := expire(t, x, cut, 100); n != 1 {
		t.Fatalf("Expire removed %d executions, want 1", n)
	}
	gone(t, s, "sm:old")
	for _, id := range []string{"sm:edge", "sm:new", "sm:running"} {
		get(t, s, id)
	}
	for _, q := range []store.ListQuery{{}, {StateMachine: "sm"}, {Status: store.StatusSucceeded}, {StateMachine: "sm", Status: store.StatusSucceeded}} {
		for _, page := range listIDs(t, s, q) {
			for _, id := range page {
				if id == "sm:old" {
					t.Errorf("ListExecutions(%+v) still lists the expired execution", q)
				}
			}
		}
	}
	// The name is free again, the definition stays.
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: newExec("sm", "old", base.Add(time.Hour)), Events: events(1, 1)}); err != nil {
		t.Fatalf("CreateExecution with an expired name: %v", err)
	}
	if _, err := s.GetStateMachine(ctx, "sm", 0); err != nil {
		t.Errorf("GetStateMachine after Expire: %v", err)
	}
	// Nothing more is old enough; running executions never expire.
	if n := expire(t, x, base.Add(24*time.Hour), 100); n != 2 {
		t.Errorf("second Expire removed %d executions, want 2 (edge and new)", n)
	}
	get(t, s, "sm:running")
	get(t, s, "sm:old")
	due, err := s.Due(ctx, base.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "due after Expire", []string{"sm:running"}, sortedIDs(due))
}

func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func testExpireLimit(t *testing.T, s store.Store) {
	x := expirer(t, s)
	names := []string{"e0", "e1", "e2", "e3", "e4"}
	for i, n := range names {
		create(t, s, newExec("sm", n, base), 1)
		end(t, s, "sm:"+n, base.Add(time.Duration(len(names)-i)*time.Second))
	}
	if n := expire(t, x, base.Add(time.Hour), 2); n != 2 {
		t.Fatalf("Expire(limit 2) removed %d", n)
	}
	left := 0
	for _, n := range names {
		if _, err := s.GetExecution(ctxFor(t), "sm:"+n); err == nil {
			left++
		}
	}
	if left != 3 {
		t.Fatalf("%d executions left after Expire(limit 2), want 3", left)
	}
	if n := expire(t, x, base.Add(time.Hour), 0); n != 0 {
		t.Errorf("Expire(limit 0) removed %d", n)
	}
	if n := expire(t, x, base.Add(time.Hour), 10); n != 3 {
		t.Errorf("Expire(limit 10) removed %d, want the 3 left", n)
	}
	if n := expire(t, x, base.Add(time.Hour), 10); n != 0 {
		t.Errorf("Expire of an empty store removed %d", n)
	}
}

// testExpireRedriven: an execution that ended and then runs again (redrive)
// is not expired while it runs, and is once it ends again.
func testExpireRedriven(t *testing.T, s store.Store) {
	x := expirer(t, s)
	create(t, s, newExec("sm", "r", base), 1)
	step(t, s, "sm:r", 1, func(r *store.Execution) {
		r.Status, r.StoppedAt, r.Error = store.StatusFailed, base.Add(time.Second), "E"
	})
	step(t, s, "sm:r", 1, func(r *store.Execution) {
		r.Status, r.StoppedAt, r.Error, r.RedriveCount = store.StatusRunning, time.Time{}, "", 1
	})
	if n := expire(t, x, base.Add(time.Hour), 10); n != 0 {
		t.Fatalf("Expire removed %d running (redriven) executions", n)
	}
	get(t, s, "sm:r")
	end(t, s, "sm:r", base.Add(2*time.Hour))
	if n := expire(t, x, base.Add(time.Hour), 10); n != 0 {
		t.Fatalf("Expire removed an execution that ended after the cut")
	}
	if n := expire(t, x, base.Add(3*time.Hour), 10); n != 1 {
		t.Fatalf("Expire removed %d, want the redriven execution once it ended", n)
	}
	gone(t, s, "sm:r")
}

// testExpireEndedAtCreate: an execution whose first step already ended it
// (a Pass then Succeed) is created ended, and expires like any other.
func testExpireEndedAtCreate(t *testing.T, s store.Store) {
	x := expirer(t, s)
	rec := newExec("sm", "quick", base)
	rec.Status, rec.StoppedAt, rec.Output = store.StatusSucceeded, base, []byte(`{}`)
	create(t, s, rec, 3)
	if n := expire(t, x, base.Add(time.Second), 10); n != 1 {
		t.Fatalf("Expire removed %d, want the execution created ended", n)
	}
	gone(t, s, "sm:quick")
}

// testExpireListingCursor: a cursor taken before an Expire still pages on.
func testExpireListingCursor(t *testing.T, s store.Store) {
	x := expirer(t, s)
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		create(t, s, newExec("sm", n, base.Add(time.Duration(i)*time.Second)), 1)
	}
	page, next, err := s.ListExecutions(ctxFor(t), store.ListQuery{Limit: 2})
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("first page: %v, %q, %v", page, next, err)
	}
	end(t, s, "sm:c", base) // the first execution of the next page
	end(t, s, "sm:e", base) // on the page already read
	if n := expire(t, x, base.Add(time.Second), 10); n != 2 {
		t.Fatalf("Expire removed %d, want 2", n)
	}
	rest, _, err := s.ListExecutions(ctxFor(t), store.ListQuery{Limit: 10, Cursor: next})
	if err != nil && !errors.Is(err, store.ErrInvalidCursor) {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("a cursor taken before Expire: %v", err)
	}
	var ids []string
	for _, r := range rest {
		ids = append(ids, r.ID)
	}
	diff(t, "the page after the cursor", []string{"sm:b", "sm:a"}, ids)
}
