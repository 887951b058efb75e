// Package fastclock is an engine clock that lets waiting take no real time:
// Wait states, retry back-off and task timeouts of one execution pass as
// soon as nothing else can happen first. `sfn run --fast-time` and the
// sfntest package run executions on it.
//
// The clock is real time plus an offset. Drive jumps the offset to the
// execution's next due time whenever the execution is quiet, and wakes the
// engine's waits that the jump reaches.
//
// The execution is quiet when no task call is open: from the commit that
// schedules a call to the commit that records its end, the clock does not
// jump, since the next due time may be that task's timeout, which must not
// fire before the call's (instant, in-process) answer is committed. The
// store that Watch returns tells the clock which calls commits open and
// close; a call that waits with Sleep (a mocked answer given after a delay)
// does not hold the clock, and its end is a due time like the others.
package fastclock

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Clock is an interpreter.Clock whose time can jump forward.
type Clock struct {
	start   time.Time
	mu      sync.Mutex
	offset  time.Duration
	waiters []*waiter
	open    map[int64]bool  // scheduled-event ids of open calls (negative: commits under way)
	prev    map[int64]int64 // started-event id -> its scheduled-event id
	asleep  int             // Sleep calls not woken yet
	guards  atomic.Int64    // ids of the commits under way
}

type waiter struct {
	at    time.Time
	ch    chan time.Time
	sleep bool // a Sleep: counted in asleep until woken
	done  bool
}

// New returns a clock at the current time.
func New() *Clock {
	return &Clock{start: time.Now(), open: map[int64]bool{}, prev: map[int64]int64{}}
}

// Now is real time plus the jumps so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Clock) now() time.Time { return c.start.Add(time.Since(c.start) + c.offset) }

// After fires after d of real time, or earlier when a jump reaches it.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	return c.wait(d, false).ch
}

// Sleep waits for d on the clock, or until ctx ends (its error, then). A
// task call that sleeps does not hold the clock: Drive may jump to the
// end of the sleep, or to an earlier due time (the task's own timeout).
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	w := c.wait(d, true)
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.wake(w, time.Time{})
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *Clock) wait(d time.Duration, sleep bool) *waiter {
	w := &waiter{ch: make(chan time.Time, 1), sleep: sleep}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		w.done = true
		w.ch <- c.now()
		return w
	}
	w.at = c.now().Add(d)
	if sleep {
		c.asleep++
	}
	c.waiters = append(c.waiters, w)
	time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.wake(w, c.now())
	})
	return w
}

// wake ends a wait once; c.mu is held. A zero now wakes nobody (the
// waiter gave up).
func (c *Clock) wake(w *waiter, now time.Time) {
	if w.done {
		return
	}
	w.done = true
	if w.sleep {
		c.asleep--
	}
	if !now.IsZero() {
		w.ch <- now // buffered, and sent once
	}
}

// JumpTo moves the clock forward to t (never back) and wakes the waits it
// reaches.
func (c *Clock) JumpTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(c.now()); d > 0 {
		c.offset += d
	}
	now := c.now()
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		switch {
		case w.done:
		case w.at.After(now):
			kept = append(kept, w)
		default:
			c.wake(w, now)
		}
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}

// next is the time Drive may jump to: the record's due time or the end of
// the earliest sleep, whichever comes first; ok is false while a call that
// does not sleep is open.
func (c *Clock) next(due time.Time) (t time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.open) > c.asleep {
		return time.Time{}, false
	}
	t = due
	for _, w := range c.waiters {
		if w.sleep && !w.done && (t.IsZero() || w.at.Before(t)) {
			t = w.at
		}
	}
	return t, true
}

// Drive jumps to the execution's next due time whenever it is quiet: no
// open call (other than sleeping ones), and the record unchanged for a
// moment (the engine is not between a read and a commit). st is the store
// the engine uses; Drive returns when ctx ends.
func (c *Clock) Drive(ctx context.Context, st store.Store, id string) {
	var lastVersion int64 = -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
		if _, quiet := c.next(time.Time{}); !quiet {
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
		if t, quiet := c.next(rec.DueAt); quiet && !t.IsZero() {
			c.JumpTo(t)
		}
	}
}

// event is the part of a history event the clock reads.
type event struct {
	ID   int64  `json:"id"`
	Prev int64  `json:"previousEventId"`
	Type string `json:"type"`
}

// committed follows the calls that committed events open and close. Every
// task and activity attempt counts: the engine's TaskInterceptor (or a
// handler) answers them in this process.
func (c *Clock) committed(events []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		var ev event
		if json.Unmarshal(e.Data, &ev) != nil {
			continue
		}
		c.note(ev)
	}
}

// note applies one event; c.mu is held.
func (c *Clock) note(ev event) {
	kind, what := callEvent(ev.Type)
	switch {
	case kind != "" && what == "Scheduled":
		c.open[ev.ID] = true
	case kind != "" && what == "Started" && c.open[ev.Prev]:
		c.prev[ev.ID] = ev.Prev
	case kind != "" && (what == "Succeeded" || what == "Failed" || what == "TimedOut") || strings.HasSuffix(ev.Type, "StateAborted"):
		sched := ev.Prev
		if s, ok := c.prev[ev.Prev]; ok {
			sched = s
			delete(c.prev, ev.Prev)
		}
		delete(c.open, sched)
	case finalEvent(ev.Type):
		for id := range c.open {
			if id > 0 {
				delete(c.open, id)
			}
		}
		clear(c.prev)
	}
}

// callEvent splits "TaskScheduled" into "Task" and "Scheduled", and the
// same for Activity events; kind is "" for other events.
func callEvent(typ string) (kind, what string) {
	for _, k := range []string{"Task", "Activity"} {
		if rest, ok := strings.CutPrefix(typ, k); ok {
			switch rest {
			case "Scheduled", "Started", "Succeeded", "Failed", "TimedOut":
				return k, rest
			}
		}
	}
	return "", ""
}

func finalEvent(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
		return true
	}
	return false
}

// Watch wraps the engine's store so that the clock learns of the calls
// each commit opens and closes. A commit counts as an open call while it
// is under way, so that the clock cannot jump between the moment the
// record changes in the store and the moment the clock learns of the calls
// the commit opened. The engine makes a call only after the commit that
// schedules it returns, so the call is counted before it starts.
func (c *Clock) Watch(st store.Store) store.Store {
	return watched{Store: st, clock: c}
}

type watched struct {
	store.Store
	clock *Clock
}

func (s watched) CreateExecution(ctx context.Context, p store.CreateParams) (string, error) {
	done := s.clock.guard()
	id, err := s.Store.CreateExecution(ctx, p)
	done(err == nil, p.Events)
	return id, err
}

func (s watched) Commit(ctx context.Context, p store.CommitParams) error {
	done := s.clock.guard()
	err := s.Store.Commit(ctx, p)
	done(err == nil, p.Events)
	return err
}

// guard opens a pretend call (with a negative id, which no event has) for
// the duration of a commit; done closes it after the committed events, if
// any, are counted.
func (c *Clock) guard() (done func(ok bool, events []store.Event)) {
	id := -c.guards.Add(1)
	c.mu.Lock()
	c.open[id] = true
	c.mu.Unlock()
	return func(ok bool, events []store.Event) {
		if ok {
			c.committed(events)
		}
		c.mu.Lock()
		delete(c.open, id)
		c.mu.Unlock()
	}
}
