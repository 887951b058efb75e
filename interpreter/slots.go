package interpreter

import (
	"container/list"
	"context"
	"sync"
)

// slots bound the task calls a node has in flight (Config.MaxTaskCalls).
// A call over the bound waits for a slot, first come first served, so
// calls start in the order they were scheduled and none is dropped; a call
// whose context ends while it waits (its task timed out or was withdrawn,
// the engine stops) leaves the line.
type slots struct {
	mu      sync.Mutex
	free    int
	waiters list.List // of chan struct{}, closed when granted a slot
}

func newSlots(n int) *slots { return &slots{free: n} }

// ticket is a place in line: granted is closed when it holds a slot.
type ticket struct {
	granted chan struct{}
	el      *list.Element
}

// enqueue takes a place in line, in the caller's order: a slot at once
// when one is free and nobody waits.
func (s *slots) enqueue() *ticket {
	tk := &ticket{granted: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 && s.waiters.Len() == 0 {
		s.free--
		close(tk.granted)
		return tk
	}
	tk.el = s.waiters.PushBack(tk.granted)
	return tk
}

// wait waits for the ticket's slot; false (and the place given up) when
// ctx ended first.
func (s *slots) wait(ctx context.Context, tk *ticket) bool {
	select {
	case <-tk.granted:
		return true
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-tk.granted: // granted as ctx ended: hand the slot on
		s.mu.Unlock()
		s.release()
	default:
		s.waiters.Remove(tk.el)
		s.mu.Unlock()
	}
	return false
}

// release gives a slot back, to the first in line if any.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if front := s.waiters.Front(); front != nil {
		s.waiters.Remove(front)
		close(front.Value.(chan struct{}))
		return
	}
	s.free++
}

// waiting is how many calls wait for a slot.
func (s *slots) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.Len()
}

// TaskCallsWaiting is how many task calls wait for one of this node's
// Config.MaxTaskCalls slots.
func (e *Engine) TaskCallsWaiting() int { return e.slots.waiting() }
