package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfn-project/sfn/store"
)

// fastClock is the engine's clock for `sfn run --fast-time`: real time plus
// an offset. A driver (drive) jumps the offset to the execution's next due
// time (a Wait, a retry back-off, a timeout) whenever nothing else can
// happen first, and wakes the engine's waits that the jump reaches, so
// waiting takes no real time.
//
// Nothing can happen first when no handler call is open: from the commit
// that schedules a call to the commit that records its end, the clock does
// not jump, since the next due time may be that task's timeout, which must
// not fire before the (instant, mocked) answer is committed. settlingStore
// tracks the open calls.
type fastClock struct {
	start   time.Time
	mu      sync.Mutex
	offset  time.Duration
	waiters []waiter
	open    map[int64]bool  // TaskScheduled ids of open handler calls
	prev    map[int64]int64 // TaskStarted id -> its TaskScheduled id
	busy    atomic.Int64    // len(open)
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFastClock() *fastClock {
	return &fastClock{start: time.Now(), open: map[int64]bool{}, prev: map[int64]int64{}}
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *fastClock) now() time.Time { return c.start.Add(time.Since(c.start) + c.offset) }

// After fires after d of real time, or earlier when a jump reaches it.
func (c *fastClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now()
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now().Add(d), ch: ch})
	time.AfterFunc(d, func() {
		select {
		case ch <- c.Now():
		default:
		}
	})
	return ch
}

// jumpTo moves the clock forward to t (never back) and wakes the waits it reaches.
func (c *fastClock) jumpTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(c.now()); d > 0 {
		c.offset += d
	}
	now := c.now()
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		select {
		case w.ch <- now:
		default:
		}
	}
	c.waiters = kept
}

// drive jumps to the execution's next due time whenever it is quiet: no
// open call, and the record unchanged for a moment (the engine is not
// between a read and a commit). It returns when ctx ends.
func (c *fastClock) drive(ctx context.Context, st store.Store, id string) {
	var lastVersion int64 = -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
		if c.busy.Load() > 0 {
			lastVersion = -1
			continue
		}
		rec, err := st.GetExecution(ctx, id)
		if err != nil || rec.Status != store.StatusRunning {
			continue
		}
		if rec.RecordVersion != lastVersion {
			lastVersion = rec.RecordVersion // look again in a moment
			continue
		}
		if !rec.DueAt.IsZero() && c.busy.Load() == 0 {
			c.jumpTo(rec.DueAt)
		}
	}
}

// committed follows the calls that committed events open and close.
func (c *fastClock) committed(events []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		var ev struct {
			ID       int64  `json:"id"`
			Prev     int64  `json:"previousEventId"`
			Type     string `json:"type"`
			Resource string `json:"resource"`
		}
		if json.Unmarshal(e.Data, &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "TaskScheduled" && strings.HasPrefix(ev.Resource, "handler:"):
			c.open[ev.ID] = true
		case ev.Type == "TaskStarted" && c.open[ev.Prev]:
			c.prev[ev.ID] = ev.Prev
		case ev.Type == "TaskSucceeded" || ev.Type == "TaskFailed" || ev.Type == "TaskTimedOut" || strings.HasSuffix(ev.Type, "StateAborted"):
			sched := ev.Prev
			if s, ok := c.prev[ev.Prev]; ok {
				sched = s
				delete(c.prev, ev.Prev)
			}
			delete(c.open, sched)
		case isFinalEvent(ev.Type):
			clear(c.open)
			clear(c.prev)
		}
	}
	c.busy.Store(int64(len(c.open)))
}

// settlingStore tells the fast clock about commits. The engine calls
// handlers only after the commit returns, so noting the calls after a
// successful commit is still before they start.
type settlingStore struct {
	store.Store
	clock *fastClock
}

func (s settlingStore) CreateExecution(ctx context.Context, p store.CreateParams) (string, error) {
	id, err := s.Store.CreateExecution(ctx, p)
	if err == nil {
		s.clock.committed(p.Events)
	}
	return id, err
}

func (s settlingStore) Commit(ctx context.Context, p store.CommitParams) error {
	err := s.Store.Commit(ctx, p)
	if err == nil {
		s.clock.committed(p.Events)
	}
	return err
}
