package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var limitTests = []test{
	{"MaxInFlight", testLimitMaxInFlight},
	{"FIFO", testLimitFIFO},
	{"AcquireAgain", testLimitAcquireAgain},
	{"Cancel", testLimitCancel},
	{"WaiterTTL", testLimitWaiterTTL},
	{"Rate", testLimitRate},
	{"MaxAndRate", testLimitMaxAndRate},
	{"ReleaseNode", testLimitReleaseNode},
	{"Stats", testLimitStats},
	{"Concurrent", testLimitConcurrent},
	{"OddKeys", testLimitOddKeys},
}

// limiter returns s's Limiter, or skips the test when s counts no limits.
func limiter(t *testing.T, s store.Store) store.Limiter {
	t.Helper()
	l := store.AsLimiter(s)
	if l == nil {
		t.Skip("the store does not count limits")
	}
	return l
}

// ask is one Acquire and what it should return.
type ask struct {
	key, holder, node string
	at                time.Duration // after base
	want              store.SlotResult
}

// asks runs each Acquire in turn under lim and checks its result.
func asks(t *testing.T, l store.Limiter, lim store.Limit, steps ...ask) {
	t.Helper()
	for _, a := range steps {
		node := a.node
		if node == "" {
			node = "n1"
		}
		got, err := l.Acquire(ctxFor(t), store.Slot{Key: a.key, Holder: a.holder, Node: node}, lim, base.Add(a.at))
		if err != nil {
			t.Fatalf("Acquire(%s, %s) at +%v: %v", a.key, a.holder, a.at, err)
		}
		diff(t, fmt.Sprintf("Acquire(%s, %s) at +%v", a.key, a.holder, a.at), a.want, got)
	}
}

var (
	granted = store.SlotResult{Granted: true}
	ahead   = func(n int) store.SlotResult { return store.SlotResult{Ahead: n} }
	retryAt = func(d time.Duration) store.SlotResult { return store.SlotResult{RetryAt: base.Add(d)} }
	// retryAfter: not granted, n waiters ahead, and the rate lets it
	// start at d at the earliest (those ahead starting before).
	retryAfter = func(d time.Duration, n int) store.SlotResult {
		return store.SlotResult{RetryAt: base.Add(d), Ahead: n}
	}
)

func release(t *testing.T, l store.Limiter, key, holder string) {
	t.Helper()
	if err := l.Release(ctxFor(t), key, holder); err != nil {
		t.Fatalf("Release(%s, %s): %v", key, holder, err)
	}
}

func wantStats(t *testing.T, l store.Limiter, key string, want store.LimitStats) {
	t.Helper()
	got, err := l.LimitStats(ctxFor(t), key)
	if err != nil {
		t.Fatalf("LimitStats(%s): %v", key, err)
	}
	diff(t, "LimitStats("+key+")", want, got)
}

// testLimitMaxInFlight: a third call of a key allowing two waits until one
// of the two gives its slot back.
func testLimitMaxInFlight(t *testing.T, s store.Store) {
	l := limiter(t, s)
	lim := store.Limit{MaxInFlight: 2}
	asks(t, l, lim, ask{"k", "a", "", 0, granted}, ask{"k", "b", "", 0, granted}, ask{"k", "c", "", 0, ahead(0)})
	wantStats(t, l, "k", store.LimitStats{InFlight: 2, Waiting: 1})
	asks(t, l, lim, ask{"k", "c", "", time.Second, ahead(0)})
	release(t, l, "k", "a")
	wantStats(t, l, "k", store.LimitStats{InFlight: 1, Waiting: 1})
	asks(t, l, lim, ask{"k", "c", "", 2 * time.Second, granted}, ask{"k", "d", "", 2 * time.Second, ahead(0)})
	wantStats(t, l, "k", store.LimitStats{InFlight: 2, Waiting: 1})
}

// testLimitFIFO: slots freed one by one go to the waiters in the order
// they first asked, whatever the order they ask in again.
func testLimitFIFO(t *testing.T, s store.Store) {
	l := limiter(t, s)
	lim := store.Limit{MaxInFlight: 1}
	asks(t, l, lim,
		ask{"k", "h", "", 0, granted},
		ask{"k", "w1", "", 1 * time.Second, ahead(0)},
		ask{"k", "w2", "", 2 * time.Second, ahead(1)},
		ask{"k", "w3", "", 3 * time.Second, ahead(2)},
		// asking again, later and in another order, keeps the place
		ask{"k", "w3", "", 4 * time.Second, ahead(2)},
		ask{"k", "w2", "", 4*time.Second + 100*time.Millisecond, ahead(1)},
		ask{"k", "w1", "", 4*time.Second + 200*time.Millisecond, ahead(0)},
	)
	release(t, l, "k", "h")
	asks(t, l, lim,
		ask{"k", "w3", "", 5 * time.Second, ahead(2)},
		ask{"k", "w2", "", 5 * time.Second, ahead(1)},
		ask{"k", "w1", "", 5 * time.Second, granted},
		ask{"k", "w3", "", 5 * time.Second, ahead(1)},
	)
	release(t, l, "k", "w1")
	asks(t, l, lim, ask{"k", "w3", "", 6 * time.Second, ahead(1)}, ask{"k", "w2", "", 6 * time.Second, granted})
	release(t, l, "k", "w2")
	asks(t, l, lim, ask{"k", "w3", "", 7 * time.Second, granted})
	wantStats(t, l, "k", store.LimitStats{InFlight: 1})
}

// testLimitAcquireAgain: a holder asking again is granted without taking a
// second slot, and one Release frees its slot.
func testLimitAcquireAgain(t *testing.T, s store.Store) {
	l := limiter(t, s)
	lim := store.Limit{MaxInFlight: 2}
	asks(t, l, lim,
		ask{"k", "a", "", 0, granted},
		ask{"k", "a", "", time.Second, granted},
		ask{"k", "a", "n2", 2 * time.Second, granted}, // a recovering node makes the call again
		ask{"k", "b", "", 2 * time.Second, granted},
		ask{"k", "c", "", 2 * time.Second, ahead(0)},
	)
	wantStats(t, l, "k", store.LimitStats{InFlight: 2, Waiting: 1})
	release(t, l, "k", "a")
	release(t, l, "k", "a") // a slot not held: nothing
	release(t, l, "k", "never")
	wantStats(t, l, "k", store.LimitStats{InFlight: 1, Waiting: 1})
	asks(t, l, lim, ask{"k", "c", "", 3 * time.Second, granted}, ask{"k", "d", "", 3 * time.Second, ahead(0)})
}

// testLimitCancel: a cancelled waiter leaves the queue and those behind it
// move up.
func testLimitCancel(t *testing.T, s store.Store) {
	l := limiter(t, s)
	ctx := ctxFor(t)
	lim := store.Limit{MaxInFlight: 1}
	asks(t, l, lim, ask{"k", "h", "", 0, granted}, ask{"k", "b", "", time.Millisecond, ahead(0)}, ask{"k", "c", "", 2 * time.Millisecond, ahead(1)})
	if err := l.Cancel(ctx, "k", "b"); err != nil {
		t.Fatalf("Cancel(k, b): %v", err)
	}
	for _, h := range []string{"b", "never", "h"} { // no longer there, never there, a holder: nothing
		if err := l.Cancel(ctx, "k", h); err != nil {
			t.Fatalf("Cancel(k, %s): %v", h, err)
		}
	}
	if err := l.Cancel(ctx, "unknown key", "b"); err != nil {
		t.Fatalf("Cancel of a key never used: %v", err)
	}
	wantStats(t, l, "k", store.LimitStats{InFlight: 1, Waiting: 1})
	asks(t, l, lim, ask{"k", "c", "", time.Second, ahead(0)})
	release(t, l, "k", "h")
	asks(t, l, lim, ask{"k", "c", "", 2 * time.Second, granted})
	// b asks again: at the end of the queue, not at its old place
	asks(t, l, lim, ask{"k", "d", "", 3 * time.Second, ahead(0)}, ask{"k", "b", "", 4 * time.Second, ahead(1)})
}

// testLimitWaiterTTL: a waiter that stops asking is dropped once it has
// not been seen for store.WaiterTTL, and no sooner.
func testLimitWaiterTTL(t *testing.T, s store.Store) {
	l := limiter(t, s)
	ttl := store.WaiterTTL
	lim := store.Limit{MaxInFlight: 1}
	asks(t, l, lim,
		ask{"k", "h", "", 0, granted},
		ask{"k", "gone", "", 0, ahead(0)},
		ask{"k", "c", "", time.Second, ahead(1)},
		ask{"k", "c", "", ttl, ahead(1)}, // gone was seen WaiterTTL ago: kept
		ask{"k", "c", "", ttl + time.Millisecond, ahead(0)},
	)
	wantStats(t, l, "k", store.LimitStats{InFlight: 1, Waiting: 1})
	release(t, l, "k", "h")
	asks(t, l, lim,
		ask{"k", "c", "", ttl + time.Second, granted},
		ask{"k", "gone", "", ttl + time.Second, ahead(0)}, // back, at the end
	)
	// the holder is never dropped, however long it holds
	asks(t, l, lim, ask{"k", "c", "", 10 * ttl, granted}, ask{"k", "gone", "", 10 * ttl, ahead(0)})
	wantStats(t, l, "k", store.LimitStats{InFlight: 1, Waiting: 1})
}

// testLimitRate: a rate of one a second with a burst of two grants two at
// once, then one a second, first come first served: a waiter is granted
// only when the bucket has a token for each waiter ahead of it too; a
// waiter fewer than Burst places back learns when its turn may come.
func testLimitRate(t *testing.T, s store.Store) {
	l := limiter(t, s)
	lim := store.Limit{Rate: 1, Burst: 2}
	asks(t, l, lim,
		ask{"k", "a", "", 0, granted},
		ask{"k", "b", "", 0, granted},
		ask{"k", "c", "", 0, retryAt(time.Second)},
		ask{"k", "d", "", 0, retryAfter(2*time.Second, 1)}, // c's token first, then its own
		ask{"k", "c", "", 400 * time.Millisecond, retryAt(time.Second)},
		// at +1 s the bucket has one token: c's, though d asks first
		ask{"k", "d", "", time.Second, retryAfter(2*time.Second, 1)},
		ask{"k", "c", "", time.Second, granted},
		ask{"k", "d", "", time.Second, retryAt(2 * time.Second)},
		ask{"k", "d", "", 2 * time.Second, granted},
		// five idle seconds refill the burst, no more
		ask{"k", "e", "", 7 * time.Second, granted},
		ask{"k", "f", "", 7 * time.Second, granted},
		ask{"k", "g", "", 7 * time.Second, retryAt(8 * time.Second)},
		ask{"k", "h", "", 7 * time.Second, retryAfter(9*time.Second, 1)},
		// g does not ask at +8 s; at +9 s the bucket has two tokens, one
		// for g and one for h, whichever asks first
		ask{"k", "h", "", 9 * time.Second, granted},
		ask{"k", "g", "", 9 * time.Second, granted},
		ask{"k", "i", "", 9 * time.Second, retryAt(10 * time.Second)},
		ask{"k", "j", "", 9 * time.Second, retryAfter(11*time.Second, 1)},
		ask{"k", "m", "", 9 * time.Second, ahead(2)}, // a burst or more back: it waits for those ahead
		ask{"k", "j", "", 10 * time.Second, retryAfter(11*time.Second, 1)},
		ask{"k", "m", "", 10 * time.Second, ahead(2)},
		ask{"k", "i", "", 10 * time.Second, granted},
		ask{"k", "m", "", 10 * time.Second, retryAfter(12*time.Second, 1)},
	)
	// a rate alone bounds starts, not calls in flight
	wantStats(t, l, "k", store.LimitStats{InFlight: 9, Waiting: 2})

	fast := store.Limit{Rate: 4} // burst 0 counts as 1
	asks(t, l, fast,
		ask{"q", "a", "", 0, granted},
		ask{"q", "b", "", 100 * time.Millisecond, retryAt(250 * time.Millisecond)},
		ask{"q", "c", "", 100 * time.Millisecond, ahead(1)},
		ask{"q", "c", "", 250 * time.Millisecond, ahead(1)}, // b's token
		ask{"q", "b", "", 250 * time.Millisecond, granted},
		ask{"q", "c", "", 300 * time.Millisecond, retryAt(500 * time.Millisecond)},
	)
}

// testLimitMaxAndRate: both bounds hold; a waiter blocked by the slots has
// no RetryAt, one blocked by the bucket alone has; free slots do not let a
// waiter take the token of one ahead of it.
func testLimitMaxAndRate(t *testing.T, s store.Store) {
	l := limiter(t, s)
	lim := store.Limit{MaxInFlight: 1, Rate: 1, Burst: 1}
	asks(t, l, lim, ask{"k", "a", "", 0, granted}, ask{"k", "b", "", 0, ahead(0)})
	release(t, l, "k", "a")
	asks(t, l, lim,
		ask{"k", "b", "", 500 * time.Millisecond, retryAt(time.Second)},
		ask{"k", "b", "", time.Second, granted},
		ask{"k", "c", "", 5 * time.Second, ahead(0)}, // the bucket is full, the slot is not free
	)
	release(t, l, "k", "b")
	asks(t, l, lim, ask{"k", "c", "", 5 * time.Second, granted})

	three := store.Limit{MaxInFlight: 3, Rate: 1, Burst: 1}
	asks(t, l, three,
		ask{"m", "a", "", 0, granted},
		ask{"m", "b", "", 0, retryAt(time.Second)},
		ask{"m", "c", "", 0, ahead(1)},
		// at +1 s two slots are free and the bucket has one token: b's
		ask{"m", "c", "", time.Second, ahead(1)},
		ask{"m", "b", "", time.Second, granted},
		ask{"m", "c", "", time.Second, retryAt(2 * time.Second)},
		ask{"m", "c", "", 2 * time.Second, granted},
		ask{"m", "d", "", 5 * time.Second, ahead(0)}, // the slots are full
	)
	wantStats(t, l, "m", store.LimitStats{InFlight: 3, Waiting: 1})
}

// testLimitReleaseNode: a node's slots and waiters go, on every key; other
// nodes' stay, also a slot a node took over by asking again.
func testLimitReleaseNode(t *testing.T, s store.Store) {
	l := limiter(t, s)
	one, two := store.Limit{MaxInFlight: 1}, store.Limit{MaxInFlight: 2}
	asks(t, l, two, ask{"k1", "a", "n1", 0, granted}, ask{"k1", "b", "n2", 0, granted})
	asks(t, l, one,
		ask{"k2", "c", "n1", 0, granted},
		ask{"k2", "d", "n1", time.Millisecond, ahead(0)},
		ask{"k2", "e", "n2", 2 * time.Millisecond, ahead(1)},
		ask{"k3", "x", "n1", 0, granted},
		ask{"k3", "x", "n2", time.Second, granted},
	)
	if err := l.ReleaseNode(ctxFor(t), "n1"); err != nil {
		t.Fatalf("ReleaseNode(n1): %v", err)
	}
	wantStats(t, l, "k1", store.LimitStats{InFlight: 1})
	wantStats(t, l, "k2", store.LimitStats{Waiting: 1})
	wantStats(t, l, "k3", store.LimitStats{InFlight: 1})
	asks(t, l, one, ask{"k2", "e", "n2", time.Second, granted}, ask{"k3", "y", "n2", time.Second, ahead(0)})
	if err := l.ReleaseNode(ctxFor(t), "n9"); err != nil {
		t.Fatalf("ReleaseNode of a node holding nothing: %v", err)
	}
	wantStats(t, l, "k1", store.LimitStats{InFlight: 1})
}

// testLimitStats: a key never used is empty; stats follow grants, waits,
// releases and cancels.
func testLimitStats(t *testing.T, s store.Store) {
	l := limiter(t, s)
	ctx := ctxFor(t)
	wantStats(t, l, "never", store.LimitStats{})
	lim := store.Limit{MaxInFlight: 2}
	acquire := func(holder string) func() error {
		return func() error {
			_, err := l.Acquire(ctx, store.Slot{Key: "k", Holder: holder, Node: "n"}, lim, base)
			return err
		}
	}
	steps := []struct {
		what string
		do   func() error
		want store.LimitStats
	}{
		{"grant a", acquire("a"), store.LimitStats{InFlight: 1}},
		{"grant b", acquire("b"), store.LimitStats{InFlight: 2}},
		{"queue c", acquire("c"), store.LimitStats{InFlight: 2, Waiting: 1}},
		{"queue d", acquire("d"), store.LimitStats{InFlight: 2, Waiting: 2}},
		{"release a", func() error { return l.Release(ctx, "k", "a") }, store.LimitStats{InFlight: 1, Waiting: 2}},
		{"release a waiter: nothing", func() error { return l.Release(ctx, "k", "c") }, store.LimitStats{InFlight: 1, Waiting: 2}},
		{"cancel d", func() error { return l.Cancel(ctx, "k", "d") }, store.LimitStats{InFlight: 1, Waiting: 1}},
		{"cancel a holder: nothing", func() error { return l.Cancel(ctx, "k", "b") }, store.LimitStats{InFlight: 1, Waiting: 1}},
		{"release b", func() error { return l.Release(ctx, "k", "b") }, store.LimitStats{Waiting: 1}},
		{"cancel c", func() error { return l.Cancel(ctx, "k", "c") }, store.LimitStats{}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		got, err := l.LimitStats(ctx, "k")
		if err != nil {
			t.Fatalf("LimitStats after %s: %v", st.what, err)
		}
		diff(t, "LimitStats after "+st.what, st.want, got)
	}
	wantStats(t, l, "never", store.LimitStats{})
}

// testLimitConcurrent: callers on many goroutines never hold more slots
// than the key allows, and every one of them is served.
func testLimitConcurrent(t *testing.T, s store.Store) {
	l := limiter(t, s)
	ctx := ctxFor(t)
	const (
		max     = 3
		workers = 8
		calls   = 15
	)
	lim := store.Limit{MaxInFlight: max}
	var (
		inFlight, peak atomic.Int64
		wg             sync.WaitGroup
		errs           = make(chan error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			for c := range calls {
				sl := store.Slot{Key: "k", Holder: fmt.Sprintf("w%d-c%d", w, c), Node: fmt.Sprintf("n%d", w%2)}
				for {
					res, err := l.Acquire(ctx, sl, lim, base)
					if err != nil {
						errs <- fmt.Errorf("Acquire(%s): %v", sl.Holder, err)
						return
					}
					if res.Granted {
						break
					}
				}
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				if n > max {
					errs <- fmt.Errorf("%d calls in flight, more than %d", n, max)
				}
				st, err := l.LimitStats(ctx, "k")
				if err != nil || st.InFlight < 1 || st.InFlight > max {
					errs <- fmt.Errorf("LimitStats while holding a slot: %+v, %v; want 1 to %d in flight", st, err, max)
				}
				inFlight.Add(-1)
				if err := l.Release(ctx, "k", sl.Holder); err != nil {
					errs <- fmt.Errorf("Release(%s): %v", sl.Holder, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if peak.Load() < 2 {
		t.Logf("at most %d call in flight at once: the run did not overlap much", peak.Load())
	}
	wantStats(t, l, "k", store.LimitStats{})
}

// testLimitOddKeys: keys with the characters hosts, patterns and free text
// bring (colons, braces, spaces, stars, percent signs) are counted apart.
func testLimitOddKeys(t *testing.T, s store.Store) {
	l := limiter(t, s)
	keys := []string{
		"http:*.example.com", "http:api.example.com:8443", "a b", "{x}", "}{", "{", "a:b:c",
		"%3A", "a%3Ab%3Ac", "k}:held", "k", "ünïcode", "",
	}
	lim := store.Limit{MaxInFlight: 1}
	for _, k := range keys {
		asks(t, l, lim, ask{k, "h", "n1", 0, granted}, ask{k, "w", "n2", 0, ahead(0)})
	}
	for _, k := range keys {
		wantStats(t, l, k, store.LimitStats{InFlight: 1, Waiting: 1})
	}
	if err := l.ReleaseNode(ctxFor(t), "n1"); err != nil {
		t.Fatalf("ReleaseNode(n1): %v", err)
	}
	for _, k := range keys {
		wantStats(t, l, k, store.LimitStats{Waiting: 1})
		asks(t, l, lim, ask{k, "w", "n2", time.Second, granted})
	}
}
