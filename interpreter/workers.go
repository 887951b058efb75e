package interpreter

import (
	"sync"
	"sync/atomic"
)

// workers runs task calls on goroutines that are kept for the next call.
// A call's goroutine goes deep (the HTTP client, then the step and its
// commit), and a new goroutine's small stack is grown and copied several
// times on the way: 6% of a node's CPU on a run of short HTTP tasks. A
// kept goroutine keeps its grown stack (until a GC finds it idle and
// shrinks it).
type workers struct {
	work     chan func() // unbuffered: a send succeeds only when a worker waits
	done     chan struct{}
	stopOnce sync.Once
	idle     atomic.Int32
	maxIdle  int32
}

func newWorkers(maxIdle int) *workers {
	return &workers{work: make(chan func()), done: make(chan struct{}), maxIdle: int32(maxIdle)}
}

// run runs f on an idle worker, or on a new one when none is idle: calls
// may block for as long as their timeouts, so the number of workers is
// not bounded, only the number kept idle.
func (w *workers) run(f func()) {
	select {
	case w.work <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	for {
		f()
		f = nil // an idle worker holds nothing of its last call
		if w.idle.Add(1) > w.maxIdle {
			w.idle.Add(-1)
			return
		}
		select {
		case f = <-w.work:
			w.idle.Add(-1)
		case <-w.done:
			w.idle.Add(-1)
			return
		}
	}
}

// stop lets the idle workers end; later calls still run, each on a
// goroutine of its own.
func (w *workers) stop() { w.stopOnce.Do(func() { close(w.done) }) }
