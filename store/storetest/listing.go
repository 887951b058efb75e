package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var listTests = []test{
	{"FiltersAndPages", testListFiltersAndPages},
	{"SameStartTime", testListSameStartTime},
	{"AfterStateMachineDeleted", testListAfterDelete},
}

func listIDs(t *testing.T, s store.Store, q store.ListQuery) (pages [][]string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		got, next, err := s.ListExecutions(ctxFor(t), q)
		if err != nil {
			t.Fatalf("ListExecutions(%+v): %v", q, err)
		}
		var ids []string
		for _, sum := range got {
			ids = append(ids, sum.ID)
		}
		pages = append(pages, ids)
		if next == "" {
			return pages
		}
		q.Cursor = next
	}
	t.Fatalf("ListExecutions(%+v): more than 100 pages", q)
	return nil
}

// listFixture: seven executions of A and B, started one second apart,
// a2 succeeded and b1 failed.
func listFixture(t *testing.T, s store.Store) {
	for i, n := range []string{"A:a1", "B:b1", "A:a2", "B:b2", "A:a3", "A:a4", "B:b3"} {
		putSM(t, s, n[:1], "sha", base)
		create(t, s, newExec(n[:1], n[2:], base.Add(time.Duration(i+1)*time.Second)), 1)
	}
	step(t, s, "A:a2", 1, func(r *store.Execution) {
		r.Status, r.StoppedAt, r.Output = store.StatusSucceeded, base.Add(time.Minute), []byte(`1`)
	})
	step(t, s, "B:b1", 1, func(r *store.Execution) {
		r.Status, r.StoppedAt, r.Error = store.StatusFailed, base.Add(time.Minute), "E"
	})
}

func testListFiltersAndPages(t *testing.T, s store.Store) {
	listFixture(t, s)
	cases := []struct {
		q    store.ListQuery
		want [][]string
	}{
		{store.ListQuery{}, [][]string{{"B:b3", "A:a4", "A:a3", "B:b2", "A:a2", "B:b1", "A:a1"}}},
		{store.ListQuery{Limit: 3}, [][]string{{"B:b3", "A:a4", "A:a3"}, {"B:b2", "A:a2", "B:b1"}, {"A:a1"}}},
		{store.ListQuery{Limit: 7}, [][]string{{"B:b3", "A:a4", "A:a3", "B:b2", "A:a2", "B:b1", "A:a1"}}},
		{store.ListQuery{Limit: 1, StateMachine: "B"}, [][]string{{"B:b3"}, {"B:b2"}, {"B:b1"}}},
		{store.ListQuery{StateMachine: "A"}, [][]string{{"A:a4", "A:a3", "A:a2", "A:a1"}}},
		{store.ListQuery{Status: store.StatusRunning, Limit: 4}, [][]string{{"B:b3", "A:a4", "A:a3", "B:b2"}, {"A:a1"}}},
		{store.ListQuery{Status: store.StatusFailed}, [][]string{{"B:b1"}}},
		{store.ListQuery{StateMachine: "A", Status: store.StatusSucceeded}, [][]string{{"A:a2"}}},
		{store.ListQuery{StateMachine: "A", Status: store.StatusRunning, Limit: 2}, [][]string{{"A:a4", "A:a3"}, {"A:a1"}}},
		{store.ListQuery{StateMachine: "B", Status: store.StatusSucceeded}, [][]string{nil}},
		{store.ListQuery{StateMachine: "C"}, [][]string{nil}},
		{store.ListQuery{Status: store.StatusAborted}, [][]string{nil}},
	}
	for _, c := range cases {
		got := listIDs(t, s, c.q)
		if len(got) != len(c.want) {
			diff(t, "pages", c.want, got)
			continue
		}
		for i := range got {
			diff(t, "page", c.want[i], got[i])
		}
	}

	got, _, err := s.ListExecutions(ctxFor(t), store.ListQuery{StateMachine: "A", Status: store.StatusSucceeded})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "summary", []store.Summary{{ID: "A:a2", StateMachine: "A", Version: 1, Name: "a2",
		Status: store.StatusSucceeded, StartedAt: base.Add(3 * time.Second), StoppedAt: base.Add(time.Minute)}}, got)

	for _, bad := range []string{"!!!", "bm90IGEgY3Vyc29y"} {
		_, _, err := s.ListExecutions(ctxFor(t), store.ListQuery{Cursor: bad})
		wantErr(t, "ListExecutions(bad cursor "+bad+")", err, store.ErrInvalidCursor)
	}
}

func testListSameStartTime(t *testing.T, s store.Store) {
	var want []string
	for _, n := range []string{"x", "y", "z", "w"} {
		create(t, s, newExec("C", n, base), 1)
		want = append(want, "C:"+n)
	}
	create(t, s, newExec("C", "later", base.Add(time.Second)), 1)
	pages := listIDs(t, s, store.ListQuery{Limit: 1})
	var got []string
	for _, p := range pages {
		if len(p) != 1 {
			t.Fatalf("pages %v: want one execution per page", pages)
		}
		got = append(got, p[0])
	}
	if len(got) != 5 || got[0] != "C:later" {
		t.Fatalf("listed %v: want C:later first, then the four started together", got)
	}
	got = got[1:]
	sort.Strings(got)
	sort.Strings(want)
	diff(t, "executions started at the same time, one per page", want, got)
}

func testListAfterDelete(t *testing.T, s store.Store) {
	listFixture(t, s)
	if err := s.DeleteStateMachine(ctxFor(t), "A"); err != nil {
		t.Fatal(err)
	}
	diff(t, "executions of a deleted state machine", [][]string{{"A:a4", "A:a3", "A:a2", "A:a1"}},
		listIDs(t, s, store.ListQuery{StateMachine: "A"}))
	_, err := s.GetExecution(ctxFor(t), "A:a1")
	if err != nil {
		t.Errorf("GetExecution after its state machine was deleted: %v", err)
	}
}
