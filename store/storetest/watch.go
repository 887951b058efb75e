package storetest

import (
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var watchTests = []test{
	{"NoticeAfterCommit", testWatch},
	{"StatusChanges", testWatchStatus},
}

// noticeWait bounds how long a notice may take (pub/sub on a loaded machine).
const noticeWait = 5 * time.Second

func expectNotice(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(noticeWait):
		t.Fatalf("%s: no notice within %v", what, noticeWait)
	}
}

func expectQuiet(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: unexpected notice", what)
	case <-time.After(200 * time.Millisecond):
	}
}

func testWatch(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	create(t, s, newExec("sm", "a", base), 1)
	create(t, s, newExec("sm", "b", base), 1)
	notices, cancel := s.Watch(ctx, "sm:a")
	other, cancelOther := s.Watch(ctx, "sm:b")
	defer cancelOther()

	for i := 0; i < 3; i++ {
		step(t, s, "sm:a", 1, nil)
		expectNotice(t, notices, "after a commit")
	}
	expectQuiet(t, other, "a watcher of another execution")

	// Two watchers of one execution both hear.
	second, cancelSecond := s.Watch(ctx, "sm:a")
	step(t, s, "sm:a", 1, nil)
	expectNotice(t, notices, "first of two watchers")
	expectNotice(t, second, "second of two watchers")
	cancelSecond()

	// A refused commit is no news.
	rec := get(t, s, "sm:a")
	err := s.Commit(ctx, store.CommitParams{ID: "sm:a", ExpectedVersion: rec.RecordVersion - 1, Record: rec})
	wantErr(t, "Commit at a stale version", err, store.ErrConflict)
	expectQuiet(t, notices, "after a refused commit")

	cancel()
	step(t, s, "sm:a", 1, nil)
	expectQuiet(t, notices, "after cancel")
	cancel() // idempotent
	step(t, s, "sm:b", 1, nil)
	expectNotice(t, other, "the other watcher, still registered")
}

// testWatchStatus: a status watch hears the commits that change the status
// (the end, a redrive) and none of the steps in between. Every commit is
// also watched in full, and each is heard there before the next is made:
// by the time the full watch heard step k+1, the status watch was offered
// step k (notices of one execution are dispatched in commit order).
func testWatchStatus(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	create(t, s, newExec("sm", "a", base), 1)
	all, cancelAll := s.Watch(ctx, "sm:a")
	defer cancelAll()
	ends, cancelEnds := s.WatchStatus(ctx, "sm:a")
	defer cancelEnds()

	for i := 0; i < 4; i++ {
		step(t, s, "sm:a", 1, nil)
		expectNotice(t, all, "full watch, after a step")
	}
	select {
	case <-ends:
		t.Fatal("status watch: a notice for steps that kept the execution RUNNING")
	default:
	}

	step(t, s, "sm:a", 1, func(r *store.Execution) {
		r.Status, r.StoppedAt = store.StatusFailed, base.Add(time.Minute)
	})
	expectNotice(t, ends, "status watch, after the execution failed")
	step(t, s, "sm:a", 1, func(r *store.Execution) { r.Status, r.StoppedAt = store.StatusRunning, time.Time{} })
	expectNotice(t, ends, "status watch, after a redrive")
}
