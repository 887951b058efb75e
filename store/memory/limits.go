package memory

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Limits (store.Limiter) count in this process only, with the same rules
// as the Redis store: times are the callers' (in whole milliseconds, as
// Redis keeps them), the queue is ordered by the time each waiter first
// asked (then by holder), and a waiter not seen for store.WaiterTTL is
// dropped before anything else.

// limitState is one store's limits (its zero value is ready).
type limitState struct {
	mu   sync.Mutex
	keys map[string]*limitKey
	// lastNow is the latest time an Acquire gave (ms); a key with nothing
	// held or waiting is forgotten once its bucket is full again by it.
	lastNow int64
}

// limitKey is one key's slots, queue and bucket.
type limitKey struct {
	held map[string]string  // holder -> node
	wait map[string]*waiter // holder -> its place
	// The bucket, when the key has a rate: its theoretical arrival time
	// (see gcra), in ms; the bucket is full again from then on.
	bucket bool
	tat    float64
}

type waiter struct {
	first, seen int64 // ms
	node        string
}

// before orders the queue: first ask, then holder.
func (w *waiter) before(holder string, o *waiter, other string) bool {
	if w.first != o.first {
		return w.first < o.first
	}
	return holder < other
}

var (
	_ store.Limiter = (*Store)(nil)
	_ store.Limiter = (*Leased)(nil) // promoted from *Store
)

func stateOf(s *Store) *limitState { return &s.limits }

// Acquire implements store.Limiter.
func (s *Store) Acquire(_ context.Context, sl store.Slot, lim store.Limit, now time.Time) (store.SlotResult, error) {
	st := stateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	ms := now.UnixMilli()
	st.lastNow = max(st.lastNow, ms)
	if st.keys == nil {
		st.keys = map[string]*limitKey{}
	}
	k := st.keys[sl.Key]
	if k == nil {
		k = &limitKey{held: map[string]string{}, wait: map[string]*waiter{}}
		st.keys[sl.Key] = k
	}
	ttl := store.WaiterTTL.Milliseconds()
	for h, w := range k.wait {
		if w.seen < ms-ttl {
			delete(k.wait, h)
		}
	}
	if _, ok := k.held[sl.Holder]; ok {
		k.held[sl.Holder] = sl.Node // a recovering node took the call over
		delete(k.wait, sl.Holder)
		return store.SlotResult{Granted: true}, nil
	}
	me := k.wait[sl.Holder]
	if me == nil {
		me = &waiter{first: ms}
		k.wait[sl.Holder] = me
	}
	me.seen, me.node = ms, sl.Node
	rank := 0
	for h, w := range k.wait {
		if w.before(h, me, sl.Holder) {
			rank++
		}
	}
	free := math.MaxInt
	if lim.MaxInFlight > 0 {
		free = lim.MaxInFlight - len(k.held)
	}
	if rank >= free {
		return store.SlotResult{Ahead: rank}, nil
	}
	if lim.Rate > 0 {
		// The waiters ahead may start first: this one starts only when
		// the bucket has a token for each of them and one for it.
		tat, retry, ok := gcra(k.tat, k.bucket, lim, ms, rank)
		if !ok {
			res := store.SlotResult{Ahead: rank}
			if retry > 0 {
				res.RetryAt = time.UnixMilli(int64(math.Ceil(retry))).UTC()
			}
			return res, nil
		}
		k.bucket, k.tat = true, tat
	}
	delete(k.wait, sl.Holder)
	k.held[sl.Holder] = sl.Node
	return store.SlotResult{Granted: true}, nil
}

// forget drops key's entry when nothing is held or waiting and its bucket
// is full again; st.mu is held.
func (st *limitState) forget(key string) {
	k := st.keys[key]
	if k != nil && len(k.held) == 0 && len(k.wait) == 0 && (!k.bucket || k.tat <= float64(st.lastNow)) {
		delete(st.keys, key)
	}
}

// Release implements store.Limiter.
func (s *Store) Release(_ context.Context, key, holder string) error {
	st := stateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if k := st.keys[key]; k != nil {
		delete(k.held, holder)
		st.forget(key)
	}
	return nil
}

// Cancel implements store.Limiter.
func (s *Store) Cancel(_ context.Context, key, holder string) error {
	st := stateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if k := st.keys[key]; k != nil {
		delete(k.wait, holder)
		st.forget(key)
	}
	return nil
}

// ReleaseNode implements store.Limiter.
func (s *Store) ReleaseNode(_ context.Context, node string) error {
	st := stateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	for key, k := range st.keys {
		for h, n := range k.held {
			if n == node {
				delete(k.held, h)
			}
		}
		for h, w := range k.wait {
			if w.node == node {
				delete(k.wait, h)
			}
		}
		st.forget(key)
	}
	return nil
}

// LimitStats implements store.Limiter.
func (s *Store) LimitStats(_ context.Context, key string) (store.LimitStats, error) {
	st := stateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	k := st.keys[key]
	if k == nil {
		return store.LimitStats{}, nil
	}
	return store.LimitStats{InFlight: len(k.held), Waiting: len(k.wait)}, nil
}

// gcra is the token bucket of lim as the generic cell rate algorithm,
// the way the Redis store computes it too: a call may start at now (ms)
// when the theoretical arrival time tat (ms; none stored: now) is at most
// a burst's worth of intervals ahead, and the call ranked rank in the
// queue may when the calls ahead of it could start first, that is when tat
// plus rank intervals is. It returns the new tat and true; or, when the
// call may not start yet, the earliest time it may if the calls ahead
// start as soon as they may (0: never before some of them start, rank is
// Burst or more) and false.
func gcra(tat float64, stored bool, lim store.Limit, now int64, rank int) (newTat, retry float64, ok bool) {
	interval := 1000 / lim.Rate
	burst := max(lim.Burst, 1)
	tolerance := interval * float64(burst-1)
	t := float64(now)
	if stored && tat > t {
		t = tat
	}
	if t+float64(rank)*interval-float64(now) > tolerance {
		if rank >= burst {
			return 0, 0, false
		}
		return 0, t + float64(rank)*interval - tolerance, false
	}
	return t + interval, 0, true
}
