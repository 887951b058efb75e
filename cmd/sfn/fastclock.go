package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// fastClock is the engine's clock for `sfn run --fast-time`: real time plus
// an offset that jumps forward whenever the engine waits, so Wait states,
// retry back-off and timeouts take no real time.
//
// While a task call is in flight (busy > 0) the clock does not jump: an
// idle engine waits in steps of its timer poll, and jumping then would time
// the task out before its (instant, mocked) answer is committed.
type fastClock struct {
	start  time.Time
	mu     sync.Mutex
	offset time.Duration
	busy   atomic.Int64
}

func newFastClock() *fastClock { return &fastClock{start: time.Now()} }

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.start) + c.offset)
}

func (c *fastClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		// A short real pause lets a task answer that is on its way commit first.
		time.Sleep(time.Millisecond)
		for c.busy.Load() > 0 {
			time.Sleep(time.Millisecond)
		}
		c.mu.Lock()
		if d > 0 {
			c.offset += d
		}
		c.mu.Unlock()
		ch <- c.Now()
	}()
	return ch
}
