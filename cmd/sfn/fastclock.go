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

// fastIdle is the engine's timer poll under --fast-time: the engine waits
// min(fastIdle, time to its next timer), so each wait jumps straight to the
// next timer.
const fastIdle = time.Hour

// fastClock is the engine's clock for `sfn run --fast-time`: real time plus
// an offset that jumps forward whenever the engine waits, so Wait states,
// retry back-off and timeouts take no real time.
//
// While a handler call is open — from the commit that schedules it to the
// commit that records its end — the clock does not jump: the engine's next
// timer may be that task's timeout, which must not fire before the
// (instant, mocked) answer is committed. settlingStore tracks the open calls.
type fastClock struct {
	start  time.Time
	mu     sync.Mutex
	offset time.Duration
	open   map[int64]bool  // TaskScheduled ids of open handler calls
	prev   map[int64]int64 // TaskStarted id -> its TaskScheduled id
	busy   atomic.Int64    // len(open)
}

func newFastClock() *fastClock {
	return &fastClock{start: time.Now(), open: map[int64]bool{}, prev: map[int64]int64{}}
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.start) + c.offset)
}

func (c *fastClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if c.busy.Load() == 0 {
		if d >= fastIdle {
			// Nothing is due: let real work happen first rather than spin.
			time.Sleep(time.Millisecond)
		}
		c.mu.Lock()
		if d > 0 {
			c.offset += d
		}
		c.mu.Unlock()
		ch <- c.Now()
		return ch
	}
	// Busy: wake the engine, without moving time, once the calls are settled.
	go func() {
		for c.busy.Load() > 0 {
			time.Sleep(time.Millisecond)
		}
		ch <- c.Now()
	}()
	return ch
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
