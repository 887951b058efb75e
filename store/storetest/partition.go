package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var partitionTests = []test{
	{"InFlightSet", testInFlightSet},
	{"DueIn", testDueIn},
	{"RunningPages", testRunningPages},
	{"OpenCounts", testOpenCounts},
	{"RebuiltMark", testRebuiltMark},
	{"NodeReleases", testNodeReleases},
}

func partitioned(t *testing.T, s store.Store) (store.PartitionQueries, int) {
	t.Helper()
	l := leaser(t, s)
	q, ok := s.(store.PartitionQueries)
	if !ok {
		t.Fatalf("%T implements store.Leaser but not store.PartitionQueries", s)
	}
	return q, l.Partitions()
}

// namesIn returns n execution names of state machine sm whose ids
// (sm:name) fall in partition p.
func namesIn(sm string, p, partitions, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		name := fmt.Sprintf("x%d", i)
		if store.PartitionOf(sm+":"+name, partitions) == p {
			out = append(out, name)
		}
	}
	return out
}

// allInFlight reads a partition's whole in-flight set, page by page.
func allInFlight(t *testing.T, q store.PartitionQueries, p int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for range 1000 {
		page, next, err := q.InFlight(ctxFor(t), p, cursor, 2)
		if err != nil {
			t.Fatalf("InFlight(%d): %v", p, err)
		}
		for _, id := range page {
			if !slices.Contains(ids, id) { // a scan may repeat a member
				ids = append(ids, id)
			}
		}
		if next == "" {
			slices.Sort(ids)
			return ids
		}
		cursor = next
	}
	t.Fatal("InFlight never ended its pages")
	return nil
}

func commitFlag(t *testing.T, s store.Store, id string, inFlight bool, change func(r *store.Execution)) {
	t.Helper()
	cur := get(t, s, id)
	next := *cur
	next.Threads = nil
	if change != nil {
		change(&next)
	}
	if err := s.Commit(ctxFor(t), store.CommitParams{ID: id, ExpectedVersion: cur.RecordVersion, Record: &next, Base: cur,
		Events: events(cur.LastEventID+1, 1), InFlight: inFlight}); err != nil {
		t.Fatalf("Commit(%s): %v", id, err)
	}
}

func testInFlightSet(t *testing.T, s store.Store) {
	q, n := partitioned(t, s)
	ctx := ctxFor(t)
	names := namesIn("sm", 1, n, 4)
	other := namesIn("sm", 2, n, 1)[0]
	for i, name := range append(slices.Clone(names), other) {
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: newExec("sm", name, base), Events: events(1, 1),
			InFlight: i%2 == 0 || name == other}); err != nil {
			t.Fatal(err)
		}
	}
	id := func(name string) string { return "sm:" + name }
	want := []string{id(names[0]), id(names[2])}
	slices.Sort(want)
	diff(t, "in flight after the creates", want, allInFlight(t, q, 1))
	diff(t, "the other partition's set", []string{id(other)}, allInFlight(t, q, 2))

	commitFlag(t, s, id(names[0]), false, nil) // the call ended
	commitFlag(t, s, id(names[1]), true, nil)  // a call started
	// An execution that ended stays in the set when its commit says so: a
	// child execution whose parent is still to be told of its end (the
	// outbox). Its next commit takes it out.
	commitFlag(t, s, id(names[2]), true, func(r *store.Execution) { r.Status = store.StatusFailed })
	diff(t, "in flight after the commits", []string{id(names[1]), id(names[2])}, allInFlight(t, q, 1))
	commitFlag(t, s, id(names[2]), false, nil)
	diff(t, "in flight once the ended one is delivered", []string{id(names[1])}, allInFlight(t, q, 1))

	// A refused commit changes nothing.
	cur := get(t, s, id(names[3]))
	next := *cur
	err := s.Commit(ctx, store.CommitParams{ID: id(names[3]), ExpectedVersion: cur.RecordVersion + 1, Record: &next,
		Events: events(cur.LastEventID+1, 1), InFlight: true})
	wantErr(t, "a commit at a stale version", err, store.ErrConflict)
	diff(t, "in flight after a refused commit", []string{id(names[1])}, allInFlight(t, q, 1))

	if err := q.AddInFlight(ctx, 1, []string{id(names[3])}); err != nil {
		t.Fatal(err)
	}
	want = []string{id(names[1]), id(names[3])}
	slices.Sort(want)
	diff(t, "in flight after AddInFlight", want, allInFlight(t, q, 1))
	if _, _, err := q.InFlight(ctx, n, "", 10); err == nil {
		t.Errorf("InFlight of partition %d (out of range) did not fail", n)
	}
}

func testDueIn(t *testing.T, s store.Store) {
	q, n := partitioned(t, s)
	now := base.Add(time.Hour)
	in1 := namesIn("sm", 1, n, 4)
	in3 := namesIn("sm", 3, n, 2)
	dues := map[string]time.Time{
		in1[0]: now.Add(-5 * time.Second), in1[1]: now, in1[2]: now.Add(time.Second), in1[3]: now.Add(-9 * time.Second),
		in3[0]: now.Add(-1 * time.Second), in3[1]: now.Add(-2 * time.Second),
	}
	for name, at := range dues {
		rec := newExec("sm", name, base)
		rec.DueAt = at
		create(t, s, rec, 1)
	}
	step(t, s, "sm:"+in1[3], 1, func(r *store.Execution) { r.Status = store.StatusSucceeded }) // ended: never due

	got, err := q.DueIn(ctxFor(t), []int{1}, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "DueIn(1)", []store.DueEntry{{ID: "sm:" + in1[0], Partition: 1, At: dues[in1[0]]}, {ID: "sm:" + in1[1], Partition: 1, At: now}}, got)

	got, err = q.DueIn(ctxFor(t), []int{3, 1}, now.Add(time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b store.DueEntry) int { return a.Partition - b.Partition })
	diff(t, "DueIn(3, 1), one each", []store.DueEntry{{ID: "sm:" + in1[0], Partition: 1, At: dues[in1[0]]},
		{ID: "sm:" + in3[1], Partition: 3, At: dues[in3[1]]}}, got)

	got, err = q.DueIn(ctxFor(t), []int{0, 2}, now.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "DueIn of partitions with nothing due", []store.DueEntry(nil), got)
}

func testRunningPages(t *testing.T, s store.Store) {
	q, n := partitioned(t, s)
	names := namesIn("sm", 2, n, 7)
	var want []string
	for i, name := range names {
		create(t, s, newExec("sm", name, base.Add(time.Duration(i%3)*time.Second)), 1) // ties in start time
		if i == 4 {
			step(t, s, "sm:"+name, 1, func(r *store.Execution) { r.Status = store.StatusAborted })
			continue
		}
		want = append(want, "sm:"+name)
	}
	create(t, s, newExec("sm", namesIn("sm", 3, n, 1)[0], base), 1) // another partition
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		ids, next, err := q.Running(ctxFor(t), 2, cursor, 2)
		if err != nil {
			t.Fatalf("Running: %v", err)
		}
		if len(ids) > 2 {
			t.Fatalf("a page of %d, limit 2", len(ids))
		}
		got = append(got, ids...)
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("Running never ended its pages")
		}
		cursor = next
	}
	slices.Sort(got)
	slices.Sort(want)
	diff(t, "the running executions of partition 2, over all pages", want, got)
}

func testOpenCounts(t *testing.T, s store.Store) {
	q, n := partitioned(t, s)
	ctx := ctxFor(t)
	a := namesIn("a", 1, n, 3)
	b := namesIn("b", 1, n, 1)
	for _, name := range a {
		create(t, s, newExec("a", name, base), 1)
	}
	create(t, s, newExec("b", b[0], base), 1)
	ended := newExec("b", namesIn("b", 1, n, 2)[1], base)
	ended.Status, ended.StoppedAt = store.StatusSucceeded, base
	create(t, s, ended, 1) // ended in its first step: never open
	counts := func(what string, want map[string]int64) {
		t.Helper()
		got, err := q.OpenCounts(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, what, want, got)
		re, err := q.RecountOpen(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, what+", recounted", want, re)
	}
	counts("after the creates", map[string]int64{"a": 3, "b": 1})
	step(t, s, "a:"+a[0], 1, func(r *store.Execution) { r.Status, r.StoppedAt = store.StatusFailed, base })
	step(t, s, "a:"+a[1], 1, nil) // a step that ends nothing
	counts("after one ended", map[string]int64{"a": 2, "b": 1})
	step(t, s, "a:"+a[0], 1, func(r *store.Execution) { r.Status, r.StoppedAt = store.StatusRunning, time.Time{} }) // redriven
	counts("after a redrive", map[string]int64{"a": 3, "b": 1})
	if got, err := q.OpenCounts(ctx, 2); err != nil || len(got) != 0 {
		t.Errorf("OpenCounts of an empty partition: %v %v", got, err)
	}
}

func testRebuiltMark(t *testing.T, s store.Store) {
	q, _ := partitioned(t, s)
	ctx := ctxFor(t)
	if r, err := q.Rebuilt(ctx, 3); err != nil || r != 0 {
		t.Fatalf("Rebuilt of a new partition: %d %v, want 0", r, err)
	}
	if err := q.MarkRebuilt(ctx, 3, store.Release); err != nil {
		t.Fatal(err)
	}
	if r, err := q.Rebuilt(ctx, 3); err != nil || r != store.Release {
		t.Fatalf("Rebuilt after the mark: %d %v, want %d", r, err, store.Release)
	}
	if r, err := q.Rebuilt(ctx, 2); err != nil || r != 0 {
		t.Fatalf("Rebuilt of another partition: %d %v, want 0", r, err)
	}
}

func testNodeReleases(t *testing.T, s store.Store) {
	reg, ok := s.(store.ReleaseRegistry)
	if !ok {
		t.Skipf("%T does not implement store.ReleaseRegistry", s)
	}
	nodes, ok := s.(store.NodeRegistry)
	if !ok {
		t.Fatalf("%T implements store.ReleaseRegistry but not store.NodeRegistry", s)
	}
	ctx := context.Background()
	if _, err := nodes.Heartbeat(ctx, "old", time.Minute); err != nil { // an earlier release
		t.Fatal(err)
	}
	got, err := reg.HeartbeatRelease(ctx, "new", store.Release, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "live nodes and releases", map[string]int{"old": 0, "new": store.Release}, got)
	if err := nodes.Leave(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	got, err = reg.HeartbeatRelease(ctx, "new", store.Release, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "after the old node left", map[string]int{"new": store.Release}, got)
}
