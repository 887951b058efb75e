package interpreter

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// timerQueue holds the due times this node knows of, earliest first. It is
// only a hint that saves polling: the store's DueAt is the truth, and the
// timer loop also asks the store for due executions now and then.
type timerQueue struct {
	mu     sync.Mutex
	h      timerHeap
	queued map[queuedKey]bool // what h holds, so that nothing is in it twice
	wake   chan struct{}
	repoll chan struct{} // ask the store at once (partitions were acquired)
}

type timerEntry struct {
	id string
	at time.Time
}

// queuedKey names a heap entry by instant: time.Time values of one instant
// differ as map keys (a location, a monotonic reading), and a due time
// comes both from a commit and, read back, from the store.
type queuedKey struct {
	id string
	at int64 // Unix nanoseconds
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newTimerQueue() *timerQueue {
	return &timerQueue{wake: make(chan struct{}, 1), repoll: make(chan struct{}, 1)}
}

// pollNow makes the timer loop ask the store at once.
func (q *timerQueue) pollNow() {
	select {
	case q.repoll <- struct{}{}:
	default:
	}
}

func (q *timerQueue) add(id string, at time.Time) {
	q.mu.Lock()
	if q.queued == nil {
		q.queued = map[queuedKey]bool{}
	}
	if q.queued[queuedKey{id, at.UnixNano()}] {
		q.mu.Unlock()
		return // a poll found again what the queue holds
	}
	q.queued[queuedKey{id, at.UnixNano()}] = true
	heap.Push(&q.h, timerEntry{id: id, at: at})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// due pops the entries at or before now.
func (q *timerQueue) due(now time.Time) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []string
	seen := map[string]bool{}
	for q.h.Len() > 0 && !q.h[0].at.After(now) {
		e := heap.Pop(&q.h).(timerEntry)
		delete(q.queued, queuedKey{e.id, e.at.UnixNano()})
		if !seen[e.id] {
			seen[e.id] = true
			ids = append(ids, e.id)
		}
	}
	return ids
}

// next is the earliest entry's time (zero when empty).
func (q *timerQueue) next() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.h.Len() == 0 {
		return time.Time{}
	}
	return q.h[0].at
}

// fireWorkers bound the timers a node fires at once. Firing is a read and
// a commit, two round trips that mostly wait: after a takeover the backlog
// burns faster with more of them in flight (measured: 256 against 64
// workers, 40,000 parked at 3,000/s, the largest lag after the takeover
// 2.4 s against 3.6–4.0 s), and the commits share pipelines.
const fireWorkers = 256

// timerLoop fires due executions until ctx ends. On a store that shares
// partitions it asks, every TimerPoll, the due sets of the partitions this
// node holds (store.PartitionQueries.DueIn: one query per partition, one
// round trip), for what is due now and within the next poll: what is due
// later waits in the local queue and fires on time. A poll takes a fair
// share of each partition (a backlog in one does not hold the others
// back), and fires through a bounded pool, asking again as soon as the
// pool has room while any partition had more than its share.
type timerLoop struct {
	e       *Engine
	q       store.PartitionQueries // nil: the store's global Due
	work    chan string
	mu      sync.Mutex
	firing  map[string]fireState // queued or being fired
	drained chan struct{}        // signalled when the pool's queue gets short
}

// fireState is where an execution is in the timer loop's pool.
type fireState int

const (
	fireQueued  fireState = iota + 1 // waiting for a worker
	fireRunning                      // a worker fires it
	fireAgain                        // a worker fires it, and it was due again meanwhile
)

func (e *Engine) runTimers(ctx context.Context) {
	tl := &timerLoop{e: e, work: make(chan string, 8192), firing: map[string]fireState{}, drained: make(chan struct{}, 1)}
	if e.recovery != nil {
		tl.q = e.recovery.q
	}
	var wg sync.WaitGroup
	for range fireWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tl.worker(ctx)
		}()
	}
	tl.loop(ctx)
	wg.Wait()
}

func (tl *timerLoop) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-tl.work:
			tl.mu.Lock()
			tl.firing[id] = fireRunning
			tl.mu.Unlock()
			tl.e.fire(ctx, id)
			tl.mu.Lock()
			again := tl.firing[id] == fireAgain
			delete(tl.firing, id)
			tl.mu.Unlock()
			if again {
				// Due again while it fired (a step that yielded, a timer
				// set by a commit meanwhile): fire it once more.
				tl.submit([]string{id})
			}
			if len(tl.work) < cap(tl.work)/8 { // the last poll's work is nearly all taken: time for the next
				select {
				case tl.drained <- struct{}{}:
				default:
				}
			}
		}
	}
}

// submit queues ids for firing, once each; it reports false when the
// queue is full (the rest are found again by the next poll).
func (tl *timerLoop) submit(ids []string) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, id := range ids {
		switch tl.firing[id] {
		case fireQueued:
			continue
		case fireRunning, fireAgain:
			tl.firing[id] = fireAgain
			continue
		}
		select {
		case tl.work <- id:
			tl.firing[id] = fireQueued
		default:
			return false
		}
	}
	return true
}

func (tl *timerLoop) loop(ctx context.Context) {
	e := tl.e
	lastPoll := time.Time{}
	for {
		now := e.cfg.Clock.Now()
		ids := e.timers.due(now)
		if e.own != nil {
			// Another node's partition (or one this node handed on): its
			// holder fires it.
			ids = slices.DeleteFunc(ids, func(id string) bool { return !e.own.owns(id) })
		}
		backlog := false
		if now.Sub(lastPoll) >= e.cfg.TimerPoll {
			lastPoll = now
			more, full := tl.poll(ctx, now)
			ids, backlog = append(ids, more...), full
		}
		if !tl.submit(ids) {
			backlog = true
		}
		// Until the next poll is due (polls keep their rhythm, so that the
		// lookahead of one reaches the next), or the next local timer.
		wait := lastPoll.Add(e.cfg.TimerPoll).Sub(e.cfg.Clock.Now())
		if next := e.timers.next(); !next.IsZero() {
			if d := next.Sub(e.cfg.Clock.Now()); d < wait {
				wait = d
			}
		}
		if wait <= 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var drained <-chan struct{}
		if backlog {
			drained = tl.drained
		}
		select {
		case <-ctx.Done():
			return
		case <-e.timers.wake:
		case <-e.timers.repoll:
			lastPoll = time.Time{} // partitions were acquired: ask for their timers now
		case <-drained:
			lastPoll = time.Time{} // ask again now: some partition had more
		case <-e.cfg.Clock.After(wait):
		}
	}
}

// poll asks the store what is due: the ids due now, and whether a
// partition had more than this poll took.
func (tl *timerLoop) poll(ctx context.Context, now time.Time) (due []string, full bool) {
	e := tl.e
	if tl.q == nil {
		more, err := e.store.Due(ctx, now, 1000)
		if err != nil && ctx.Err() == nil {
			e.log.Warn("timer poll failed", slog.Any("error", err))
		}
		for _, id := range more {
			if e.own.owns(id) { // another node's partition: its owner fires it
				due = append(due, id)
			}
		}
		return due, len(more) == 1000
	}
	held := e.own.partitions()
	if len(held) == 0 {
		return nil, false
	}
	share := max(32, cap(tl.work)/len(held))
	entries, err := tl.q.DueIn(ctx, held, now.Add(e.cfg.TimerPoll), share)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("timer poll failed", slog.Any("error", err))
		}
		return nil, false
	}
	// Round robin over the partitions, earliest first within each, so
	// that the pool serves them all alike.
	per := map[int][]store.DueEntry{}
	for _, d := range entries {
		per[d.Partition] = append(per[d.Partition], d)
	}
	for _, ds := range per {
		full = full || len(ds) >= share
		slices.SortFunc(ds, func(a, b store.DueEntry) int { return a.At.Compare(b.At) })
	}
	for i := 0; ; i++ {
		took := false
		for _, p := range held {
			if ds := per[p]; i < len(ds) {
				took = true
				if ds[i].At.After(now) {
					e.timers.add(ds[i].ID, ds[i].At) // due within the next poll: on time, from the local queue
				} else {
					due = append(due, ds[i].ID)
				}
			}
		}
		if !took {
			return due, full
		}
	}
}

// fire advances an execution whose deadline came (or whose step yielded).
// It is the partition holder's work: a node that does not hold the
// execution's partition leaves it to the holder, and its commit carries
// the fence it holds, so a node that lost the partition meanwhile cannot
// write into it (store.ErrLeaseLost).
func (e *Engine) fire(ctx context.Context, id string) {
	var lag time.Duration
	fired := false
	_, _, err := e.modifyAs(ctx, id, true, func(r *run) bool {
		lag, fired = 0, false // modify may call this again on a newer record
		if r.status != "RUNNING" {
			return false
		}
		due := r.dueAt()
		if due.IsZero() || due.After(r.now) {
			return false
		}
		lag, fired = r.now.Sub(due), true
		n := len(r.events)
		r.fireTimers()
		r.resume()
		return len(r.events) > n || r.dirtyCount() > 0
	})
	if errors.Is(err, errNotHolder) || errors.Is(err, store.ErrLeaseLost) {
		return // the partition's holder fires it
	}
	if err != nil && ctx.Err() == nil {
		e.log.Error("timer step failed", slog.String("execution_id", id), slog.Any("error", err))
	}
	if err == nil && fired && e.cfg.Observer != nil {
		e.cfg.Observer.TimerFired(lag)
	}
}

func (r *run) dirtyCount() int { return len(r.dirty) + len(r.deleted) }
