package store

import (
	"context"
	"errors"
	"time"
)

// Limits protect the services workflows call: a key (an HTTP host, a
// handler, a state machine's nested starts …) may have a maximum of calls
// in flight and/or a rate (calls per second, with a burst). The engine
// takes a slot before it makes a call of a limited key and gives it back
// when the call returns; a call that gets none waits, durably, in the
// key's queue, first come first served across executions and nodes.
//
// The store counts: every node sharing it sees the same slots, the same
// token bucket and the same queue, and one Acquire is one round trip.

// Limit is what a key allows. Zero fields do not limit.
type Limit struct {
	// MaxInFlight bounds the calls holding a slot at once (0: no bound).
	MaxInFlight int
	// Rate is the calls a second that may start (0: no rate), with Burst
	// of them at once (at least 1).
	Rate  float64
	Burst int
}

// Slot names one call wanting a slot of a key: the holder (the task
// token of the attempt: unique, and the same when a recovering node makes
// the call again) and the node making it.
type Slot struct {
	Key    string
	Holder string
	Node   string
}

// SlotResult says how Acquire went.
type SlotResult struct {
	// Granted: the holder holds a slot (also when it held it already: a
	// call made again after a recovery keeps its slot).
	Granted bool
	// RetryAt, when not granted, is the earliest time another Acquire can
	// succeed for the rate alone, if the waiters ahead start as soon as
	// they may (zero when it waits for a slot, or when it is Burst or more
	// places back in the queue and so waits for waiters ahead of it).
	RetryAt time.Time
	// Ahead is how many waiters are before this one in the queue.
	Ahead int
}

// LimitStats is a key's state, for the API and the metrics.
type LimitStats struct {
	InFlight int
	Waiting  int
}

// WaiterTTL is how long a waiter stays in a queue without asking again:
// a waiter asks at least every second while it waits, so one that stops
// asking (its node died, its attempt was withdrawn without a Cancel) is
// dropped from the head of the queue after this, and blocks nobody.
const WaiterTTL = 30 * time.Second

// ErrNoLimiter: the store does not count limits.
var ErrNoLimiter = errors.New("the store does not count limits")

// Limiter is implemented by stores that count limits (the in-memory store
// and Redis).
//
// Times are the callers' (each Acquire's now), not the store's: a fake
// clock drives the engine and the contract tests on every store alike,
// RetryAt is in the clock of the node that waits for it, and the engine's
// timers run on the nodes' clocks anyway. So nodes sharing a store must
// keep their clocks in step (NTP: well under a second apart). A skew of Δ
// between two nodes:
//   - orders their waiters wrongly when they first asked less than Δ
//     apart (the node behind goes first);
//   - makes an Acquire from the node ahead drop the other's live waiters
//     once Δ passes WaiterTTL less their asking interval (about 29 s);
//     they keep asking and join the queue again, losing their place;
//   - refills the bucket by the clock of whoever asks: after a start from
//     the node behind, the node ahead finds up to Δ×Rate tokens (at most
//     Burst) more than the rate allows, and the node behind waits up to Δ
//     longer after a start from the node ahead.
type Limiter interface {
	// Acquire asks for a slot of s.Key under lim, at now (the caller's
	// clock; the rate's bucket refills by it). The holder joins the key's
	// queue (keeping its place when it is there already, and refreshing
	// its WaiterTTL) unless it is granted at once. It is granted when it
	// is among the first waiters that both the free slots and the
	// bucket's tokens allow, first come first served (queue order is the
	// time each first asked): a waiter with r waiters ahead is granted
	// only when r+1 slots are free and the bucket holds r+1 tokens, so it
	// never takes the slot or token of one ahead that still asks. A
	// holder that holds a slot already is granted again, taking nothing.
	// Waiters not seen for WaiterTTL are dropped first.
	Acquire(ctx context.Context, s Slot, lim Limit, now time.Time) (SlotResult, error)
	// Release gives back the holder's slot of key (none held: nothing).
	Release(ctx context.Context, key, holder string) error
	// Cancel takes the holder out of the key's queue (a waiter whose
	// attempt was withdrawn); not there: nothing.
	Cancel(ctx context.Context, key, holder string) error
	// ReleaseNode gives back every slot held, and drops every waiter
	// queued, by node (a node that died: its calls are made again by the
	// nodes that take its partitions over, which acquire anew).
	ReleaseNode(ctx context.Context, node string) error
	// LimitStats returns a key's slots in flight and waiters.
	LimitStats(ctx context.Context, key string) (LimitStats, error)
}

// AsLimiter returns the Limiter of s or of a store it wraps, or nil.
func AsLimiter(s Store) Limiter {
	for s != nil {
		if l, ok := s.(Limiter); ok {
			return l
		}
		u, ok := s.(Unwrapper)
		if !ok {
			return nil
		}
		s = u.Unwrap()
	}
	return nil
}
