package storetest

import (
	"testing"

	"github.com/sfn-project/sfn/store"
)

var activityTests = []test{
	{"FIFO", testActivitiesFIFO}, // per execution, see the end of the test
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
			tk, err := s.PopActivity(ctx, c.activity)
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
