package storetest

import (
	"testing"

	"github.com/sfn-project/sfn/store"
)

var historyTests = []test{
	{"Pages", testHistoryPages},
}

func testHistoryPages(t *testing.T, s store.Store) {
	rec := newExec("sm", "e", base)
	create(t, s, rec, 3)
	step(t, s, rec.ID, 4, nil)
	step(t, s, rec.ID, 3, nil) // events 1..10

	ids := func(from, to int64) []int64 {
		var out []int64
		for id := from; ; {
			out = append(out, id)
			if id == to {
				return out
			}
			if from < to {
				id++
			} else {
				id--
			}
		}
	}
	cases := []struct {
		after   int64
		limit   int
		reverse bool
		want    []int64
	}{
		{0, 0, false, ids(1, 10)},
		{0, 3, false, ids(1, 3)},
		{3, 4, false, ids(4, 7)},
		{8, 5, false, ids(9, 10)},
		{9, 0, false, ids(10, 10)},
		{10, 5, false, nil},
		{42, 0, false, nil},
		{0, 0, true, ids(10, 1)},
		{0, 3, true, ids(10, 8)},
		{8, 3, true, ids(7, 5)},
		{3, 10, true, ids(2, 1)},
		{2, 0, true, ids(1, 1)},
		{1, 5, true, nil},
		{11, 2, true, ids(10, 9)},
	}
	for _, c := range cases {
		got, err := s.History(ctxFor(t), store.HistoryQuery{ID: rec.ID, After: c.after, Limit: c.limit, Reverse: c.reverse})
		if err != nil {
			t.Fatalf("History(after %d, limit %d, reverse %v): %v", c.after, c.limit, c.reverse, err)
		}
		var want []store.Event
		for _, id := range c.want {
			want = append(want, events(id, 1)...)
		}
		if !equal(want, got) {
			diff(t, "History page", want, got)
			t.Logf("query: after %d, limit %d, reverse %v", c.after, c.limit, c.reverse)
		}
	}
}

func equal(a, b []store.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || string(a[i].Data) != string(b[i].Data) {
			return false
		}
	}
	return true
}
