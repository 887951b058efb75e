package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var leaseTests = []test{
	{"Exclusive", testLeaseExclusive},
	{"ExpiryAndTakeOver", testLeaseExpiry},
	{"StaleFenceRefused", testLeaseStaleFence},
	{"RenewReportsLost", testLeaseRenew},
}

func leaser(t *testing.T, s store.Store) store.Leaser {
	t.Helper()
	l, ok := s.(store.Leaser)
	if !ok {
		t.Skipf("%T does not implement store.Leaser", s)
	}
	if l.Partitions() < 4 {
		t.Fatalf("Partitions() = %d; the suite needs at least 4", l.Partitions())
	}
	return l
}

func acquire(t *testing.T, l store.Leaser, p int, node string, ttl time.Duration) (int64, bool) {
	t.Helper()
	fence, ok, err := l.AcquireLease(ctxFor(t), p, node, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%d, %s): %v", p, node, err)
	}
	if ok && fence <= 0 {
		t.Fatalf("AcquireLease(%d, %s): fence %d, want > 0", p, node, fence)
	}
	return fence, ok
}

func testLeaseExclusive(t *testing.T, s store.Store) {
	l := leaser(t, s)
	ctx := ctxFor(t)
	f1, ok := acquire(t, l, 0, "a", time.Minute)
	if !ok {
		t.Fatal("a could not take a free partition")
	}
	if _, ok := acquire(t, l, 0, "b", time.Minute); ok {
		t.Fatal("b took a partition that a holds")
	}
	if f, ok := acquire(t, l, 0, "a", time.Minute); !ok || f != f1 {
		t.Fatalf("a acquiring its own lease again: fence %d ok %v, want %d true", f, ok, f1)
	}
	if _, ok := acquire(t, l, 1, "b", time.Minute); !ok {
		t.Fatal("b could not take another partition")
	}
	// Releasing someone else's lease does nothing.
	if err := l.ReleaseLease(ctx, 0, "b"); err != nil {
		t.Fatal(err)
	}
	if _, ok := acquire(t, l, 0, "b", time.Minute); ok {
		t.Fatal("b took partition 0 after releasing a's lease on it")
	}
	if err := l.ReleaseLease(ctx, 0, "a"); err != nil {
		t.Fatal(err)
	}
	f2, ok := acquire(t, l, 0, "b", time.Minute)
	if !ok || f2 <= f1 {
		t.Fatalf("b after a released: fence %d ok %v, want > %d true", f2, ok, f1)
	}
	if _, _, err := l.AcquireLease(ctx, l.Partitions(), "a", time.Minute); err == nil {
		t.Error("AcquireLease of a partition out of range: no error")
	}
}

func testLeaseExpiry(t *testing.T, s store.Store) {
	l := leaser(t, s)
	rec := newExec("sm", "e", base)
	create(t, s, rec, 1)
	p := store.PartitionOf(rec.ID, l.Partitions())
	fa, ok := acquire(t, l, p, "a", 100*time.Millisecond)
	if !ok {
		t.Fatal("a could not take a free partition")
	}
	deadline := time.Now().Add(5 * time.Second)
	var fb int64
	for {
		if fb, ok = acquire(t, l, p, "b", time.Minute); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a's lease never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fb <= fa {
		t.Fatalf("fence after take-over %d, want > %d", fb, fa)
	}
	lost, err := l.RenewLeases(ctxFor(t), "a", []int{p}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "a's lost partitions", []int{p}, lost)
	commitFenced(t, s, rec.ID, fa, store.ErrLeaseLost)
	commitFenced(t, s, rec.ID, fb, nil)
}

// commitFenced commits one event with fence and checks the outcome; a
// refused commit must leave everything as it was.
func commitFenced(t *testing.T, s store.Store, id string, fence int64, want error) {
	t.Helper()
	before, hist := get(t, s, id), history(t, s, id)
	next := *before
	next.Engine = []byte("fenced")
	err := s.Commit(ctxFor(t), store.CommitParams{ID: id, ExpectedVersion: before.RecordVersion, Fence: fence,
		Record: &next, Events: events(before.LastEventID+1, 1),
		Activities: []store.ActivityTask{{Activity: "refused", Token: "tok", ExecutionID: id}}})
	if want == nil {
		if err != nil {
			t.Fatalf("Commit with fence %d: %v", fence, err)
		}
		if _, err := Take(ctxFor(t), s, "refused"); err != nil {
			t.Fatalf("activity of an accepted commit: %v", err)
		}
		return
	}
	wantErr(t, "Commit with a stale fence", err, want)
	refused(t, s, id, before, hist)
}

func testLeaseStaleFence(t *testing.T, s store.Store) {
	l := leaser(t, s)
	ctx := ctxFor(t)
	rec := newExec("sm", "e", base)
	create(t, s, rec, 1)
	p := store.PartitionOf(rec.ID, l.Partitions())

	commitFenced(t, s, rec.ID, 1, store.ErrLeaseLost) // nobody holds the partition
	fa, _ := acquire(t, l, p, "a", time.Minute)
	commitFenced(t, s, rec.ID, fa, nil)
	commitFenced(t, s, rec.ID, fa+1, store.ErrLeaseLost) // a fence from the future is no better
	if err := l.ReleaseLease(ctx, p, "a"); err != nil {
		t.Fatal(err)
	}
	commitFenced(t, s, rec.ID, fa, store.ErrLeaseLost) // released
	fb, ok := acquire(t, l, p, "b", time.Minute)
	if !ok || fb <= fa {
		t.Fatalf("b: fence %d ok %v, want > %d", fb, ok, fa)
	}
	commitFenced(t, s, rec.ID, fa, store.ErrLeaseLost)
	commitFenced(t, s, rec.ID, fb, nil)
	// Writes from outside carry no fence and rely on the record version.
	commitFenced(t, s, rec.ID, 0, nil)
	// A stale fence on an unknown execution is still "not found".
	err := s.Commit(ctx, store.CommitParams{ID: "sm:nope", ExpectedVersion: 1, Fence: fa, Record: rec})
	wantErr(t, "fenced Commit(unknown)", err, store.ErrNotFound)
}

func testLeaseRenew(t *testing.T, s store.Store) {
	l := leaser(t, s)
	ctx := context.Background()
	for _, p := range []int{1, 2} {
		if _, ok := acquire(t, l, p, "a", time.Minute); !ok {
			t.Fatal("a could not take a free partition")
		}
	}
	acquire(t, l, 3, "b", time.Minute)
	renew := func(node string, ps ...int) []int {
		lost, err := l.RenewLeases(ctx, node, ps, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		sort.Ints(lost)
		return lost
	}
	diff(t, "lost", []int{3}, renew("a", 1, 2, 3))
	if err := l.ReleaseLease(ctx, 2, "a"); err != nil {
		t.Fatal(err)
	}
	diff(t, "lost after release", []int{0, 2}, renew("a", 0, 1, 2))
	diff(t, "lost", []int(nil), renew("b", 3))
	diff(t, "nothing to renew", []int(nil), renew("a"))
	if _, ok := acquire(t, l, 1, "b", time.Minute); ok {
		t.Fatal("b took a renewed lease")
	}
}
