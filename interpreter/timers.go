package interpreter

import (
	"container/heap"
	"context"
	"log/slog"
	"sync"
	"time"
)

// timerQueue holds the due times this node knows of, earliest first. It is
// only a hint that saves polling: the store's DueAt is the truth, and the
// timer loop also asks the store for due executions now and then.
type timerQueue struct {
	mu   sync.Mutex
	h    timerHeap
	wake chan struct{}
}

type timerEntry struct {
	id string
	at time.Time
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

func newTimerQueue() *timerQueue { return &timerQueue{wake: make(chan struct{}, 1)} }

func (q *timerQueue) add(id string, at time.Time) {
	q.mu.Lock()
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

// runTimers fires due executions until ctx ends.
func (e *Engine) runTimers(ctx context.Context) {
	lastPoll := time.Time{}
	for {
		now := e.cfg.Clock.Now()
		ids := e.timers.due(now)
		if now.Sub(lastPoll) >= e.cfg.TimerPoll {
			lastPoll = now
			more, err := e.store.Due(ctx, now, 1000)
			if err != nil && ctx.Err() == nil {
				e.log.Warn("timer poll failed", slog.Any("error", err))
			}
			for _, id := range more {
				if e.own.owns(id) { // another node's partition: its owner fires it
					ids = append(ids, id)
				}
			}
		}
		for _, id := range ids {
			e.fire(ctx, id)
		}
		wait := e.cfg.TimerPoll
		if next := e.timers.next(); !next.IsZero() {
			if d := next.Sub(e.cfg.Clock.Now()); d < wait {
				wait = d
			}
		}
		if wait < 0 {
			wait = 0
		}
		if wait == 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-e.timers.wake:
		case <-e.cfg.Clock.After(wait):
		}
	}
}

// fire advances an execution whose deadline came (or whose step yielded).
func (e *Engine) fire(ctx context.Context, id string) {
	var lag time.Duration
	fired := false
	_, _, err := e.modify(ctx, id, func(r *run) bool {
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
	if err != nil && ctx.Err() == nil {
		e.log.Error("timer step failed", slog.String("execution_id", id), slog.Any("error", err))
	}
	if err == nil && fired && e.cfg.Observer != nil {
		e.cfg.Observer.TimerFired(lag)
	}
}

func (r *run) dirtyCount() int { return len(r.dirty) + len(r.deleted) }
