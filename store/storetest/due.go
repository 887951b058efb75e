package storetest

import (
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var dueTests = []test{
	{"RunningAndDue", testDue},
}

func testDue(t *testing.T, s store.Store) {
	now := base.Add(time.Hour)
	dues := []struct {
		name string
		due  time.Time
	}{
		{"past10", now.Add(-10 * time.Second)},
		{"now", now},
		{"future", now.Add(time.Millisecond)},
		{"never", time.Time{}},
		{"past5", now.Add(-5 * time.Second)},
		{"finished", now.Add(-20 * time.Second)},
		{"cleared", now.Add(-30 * time.Second)},
		{"moved", now.Add(-40 * time.Second)},
	}
	for _, d := range dues {
		rec := newExec("sm", d.name, base)
		rec.DueAt = d.due
		create(t, s, rec, 1)
	}
	// A finished execution is never due, even with a DueAt left in its record.
	step(t, s, "sm:finished", 1, func(r *store.Execution) { r.Status = store.StatusSucceeded })
	step(t, s, "sm:cleared", 1, func(r *store.Execution) { r.DueAt = time.Time{} })
	step(t, s, "sm:moved", 1, func(r *store.Execution) { r.DueAt = now.Add(-7 * time.Second) })

	cases := []struct {
		now   time.Time
		limit int
		want  []string
	}{
		{now, 0, []string{"sm:past10", "sm:moved", "sm:past5", "sm:now"}},
		{now, 2, []string{"sm:past10", "sm:moved"}},
		{now.Add(-6 * time.Second), 10, []string{"sm:past10", "sm:moved"}},
		{now.Add(time.Millisecond), 0, []string{"sm:past10", "sm:moved", "sm:past5", "sm:now", "sm:future"}},
		{base, 0, nil},
	}
	for _, c := range cases {
		got, err := s.Due(ctxFor(t), c.now, c.limit)
		if err != nil {
			t.Fatalf("Due: %v", err)
		}
		diff(t, "Due("+c.now.Sub(now).String()+")", c.want, got)
	}
}
