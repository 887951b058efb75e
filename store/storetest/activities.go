package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var activityTests = []test{
	{"FIFO", testActivitiesFIFO}, // per execution, see the end of the test
	{"Claim", testActivitiesClaim},
	{"Drop", testActivitiesDrop},
	{"Withdraw", testActivitiesWithdraw},
}

// Take is what a poller does with a store: PopActivity, and for a held
// task the claim that takes it out of its queue (DropActivity here; the
// engine claims with the commit of its start). It returns only tasks this
// caller took out, ErrNotFound when none is left.
func Take(ctx context.Context, s store.Store, activity string) (*store.ActivityTask, error) {
	for {
		tk, err := s.PopActivity(ctx, activity)
		if err != nil || tk.Held == "" {
			return tk, err
		}
		removed, err := s.DropActivity(ctx, tk)
		if err != nil {
			return nil, err
		}
		if removed {
			tk.Held = ""
			return tk, nil
		}
	}
}

func task(activity, token, id string) store.ActivityTask {
	return store.ActivityTask{Activity: activity, Token: token, ExecutionID: id, Input: []byte(`{"token":"` + token + `"}`)}
}

func testActivitiesFIFO(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	// Executions x and y, most likely in different partitions.
	x, y := newExec("sm", "x", base), newExec("sm", "y", base)
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: x, Events: events(1, 1),
		Activities: []store.ActivityTask{task("A", "x1", x.ID)}}); err != nil {
		t.Fatal(err)
	}
	create(t, s, y, 1)
	commitTasks := func(rec *store.Execution, tasks ...store.ActivityTask) {
		t.Helper()
		cur := get(t, s, rec.ID)
		if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: cur,
			Events: events(cur.LastEventID+1, 1), Activities: tasks}); err != nil {
			t.Fatal(err)
		}
	}
	commitTasks(y, task("A", "y1", y.ID), task("B", "y2", y.ID))
	commitTasks(x, task("A", "x2", x.ID), task("A", "x3", x.ID))
	commitTasks(y, task("A", "y3", y.ID))

	for _, c := range []struct {
		activity string
		want     []store.ActivityTask
	}{
		{"A", []store.ActivityTask{task("A", "x1", x.ID), task("A", "y1", y.ID), task("A", "x2", x.ID), task("A", "x3", x.ID), task("A", "y3", y.ID)}},
		{"B", []store.ActivityTask{task("B", "y2", y.ID)}},
		{"C", nil},
	} {
		var got []store.ActivityTask
		for {
			tk, err := Take(ctx, s, c.activity)
			if err != nil {
				wantErr(t, "PopActivity of an empty queue", err, store.ErrNotFound)
				break
			}
			got = append(got, *tk)
			if len(got) > 10 {
				t.Fatal("PopActivity never runs empty")
			}
		}
		// FIFO per execution; across executions a store may interleave
		// (the Redis store spreads pollers over partitions), so tasks are
		// compared execution by execution.
		diff(t, "tasks of "+c.activity+" by execution", byExecution(c.want), byExecution(got))
	}
}

// byExecution groups tasks by execution, keeping their order.
func byExecution(tasks []store.ActivityTask) map[string][]store.ActivityTask {
	out := map[string][]store.ActivityTask{}
	for _, t := range tasks {
		out[t.ExecutionID] = append(out[t.ExecutionID], t)
	}
	return out
}

// createAndPop creates an execution that queues one task of activity,
// and pops it.
func createAndPop(t *testing.T, s store.Store, name, activity string) (*store.Execution, *store.ActivityTask) {
	t.Helper()
	ctx := ctxFor(t)
	rec := newExec("sm", name, base)
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: events(1, 1),
		Activities: []store.ActivityTask{task(activity, name+"1", rec.ID)}}); err != nil {
		t.Fatal(err)
	}
	tk, err := s.PopActivity(ctx, activity)
	if err != nil {
		t.Fatal(err)
	}
	return rec, tk
}

// testActivitiesClaim: a commit that claims a held task takes it out of
// its queue with the commit; a claim of a task no longer queued writes
// nothing (ErrTaskTaken).
func testActivitiesClaim(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec, tk := createAndPop(t, s, "c", "C")
	claim := func(c *store.ActivityTask) error {
		cur := get(t, s, rec.ID)
		return s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: cur,
			Events: events(cur.LastEventID+1, 1), Claim: c})
	}
	if tk.Held != "" { // this store holds tasks: the claim takes it
		if err := claim(tk); err != nil {
			t.Fatalf("commit claiming a held task: %v", err)
		}
		if got := get(t, s, rec.ID); got.LastEventID != 2 {
			t.Fatalf("after the claiming commit: last event %d, want 2", got.LastEventID)
		}
		_, err := Take(ctx, s, "C")
		wantErr(t, "the claimed task", err, store.ErrNotFound)
	} else {
		held := *tk
		held.Held = "gone"
		tk = &held
	}
	before, hist := get(t, s, rec.ID), history(t, s, rec.ID)
	wantErr(t, "a second claim of the task", claim(tk), store.ErrTaskTaken)
	diff(t, "record after a refused claim", before, get(t, s, rec.ID))
	diff(t, "history after a refused claim", hist, history(t, s, rec.ID))

	other := *tk
	other.ExecutionID = "sm:other"
	if err := claim(&other); err == nil || errors.Is(err, store.ErrTaskTaken) {
		t.Fatalf("a claim of another execution's task: %v, want a usage error", err)
	}
	diff(t, "record after a claim of another execution's task", before, get(t, s, rec.ID))
	diff(t, "history after a claim of another execution's task", hist, history(t, s, rec.ID))
}

// testActivitiesDrop: DropActivity removes a held task once.
func testActivitiesDrop(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_, tk := createAndPop(t, s, "d", "D")
	removed, err := s.DropActivity(ctx, tk)
	if err != nil || removed != (tk.Held != "") {
		t.Fatalf("DropActivity of the popped task (held %q): %v, %v", tk.Held, removed, err)
	}
	if removed, err := s.DropActivity(ctx, tk); err != nil || removed {
		t.Fatalf("DropActivity again: %v, %v, want false", removed, err)
	}
	_, err = Take(ctx, s, "D")
	wantErr(t, "a dropped task", err, store.ErrNotFound)
}

// testActivitiesWithdraw: a commit that withdraws a queued task, named as
// it was queued, takes it out of its queue with the commit; withdrawing a
// task no longer queued changes nothing else.
func testActivitiesWithdraw(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "w", base)
	queued := []store.ActivityTask{task("W", "w1", rec.ID), task("W", "w2", rec.ID)}
	for i := range queued {
		queued[i].QueuedAt = base.Add(time.Duration(i) * time.Millisecond)
	}
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: events(1, 1), Activities: queued}); err != nil {
		t.Fatal(err)
	}
	withdraw := func(tasks ...store.ActivityTask) {
		t.Helper()
		cur := get(t, s, rec.ID)
		if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: cur,
			Events: events(cur.LastEventID+1, 1), Withdraw: tasks}); err != nil {
			t.Fatalf("commit withdrawing %d task(s): %v", len(tasks), err)
		}
	}
	withdraw(queued[0])
	got, err := Take(ctx, s, "W")
	if err != nil || got.Token != "w2" {
		t.Fatalf("after withdrawing w1: %+v, %v; want w2", got, err)
	}
	withdraw(queued...) // neither is queued any more
	_, err = Take(ctx, s, "W")
	wantErr(t, "after withdrawing everything", err, store.ErrNotFound)
	if got := get(t, s, rec.ID); got.LastEventID != 3 {
		t.Fatalf("last event %d, want 3: a withdrawal stopped a commit", got.LastEventID)
	}
}
