package interpreter

import (
	"runtime"
	"sync"
	"testing"
	"weak"
)

// Calls run concurrently however many arrive at once, idle workers are
// reused, no more than maxIdle are kept, and stop lets them go.
func TestWorkers(t *testing.T) {
	w := newWorkers(4)
	const n = 16
	var started, release sync.WaitGroup
	started.Add(n)
	release.Add(1)
	var done sync.WaitGroup
	done.Add(n)
	for range n {
		w.run(func() {
			defer done.Done()
			started.Done()
			release.Wait() // every call blocks until all have started
		})
	}
	started.Wait() // would deadlock if run waited for a free worker
	release.Done()
	done.Wait()
	waitIdle(t, w, 4)

	var again sync.WaitGroup
	again.Add(1)
	w.run(again.Done)
	again.Wait()
	waitIdle(t, w, 4)

	w.stop()
	waitIdle(t, w, 0)
	var late sync.WaitGroup
	late.Add(1)
	w.run(late.Done) // after stop: still runs
	late.Wait()
	waitIdle(t, w, 0)
}

// waitIdle waits for the idle count to settle at want; workers park
// asynchronously after their call returns.
func waitIdle(t *testing.T, w *workers, want int32) {
	t.Helper()
	for i := 0; i < 1e6; i++ {
		if w.idle.Load() == want {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("idle workers: %d, want %d", w.idle.Load(), want)
}

// An idle worker holds nothing of its last call: what the call captured
// can be collected while the worker waits.
func TestWorkersDropTheirLastCall(t *testing.T) {
	w := newWorkers(1)
	defer w.stop()
	payload := new([1 << 16]byte)
	wp := weak.Make(payload)
	var done sync.WaitGroup
	done.Add(1)
	w.run(func() {
		defer done.Done()
		payload[0] = 1 // captured
	})
	done.Wait()
	waitIdle(t, w, 1)
	payload = nil
	for range 5 {
		runtime.GC()
		if wp.Value() == nil {
			return
		}
	}
	t.Fatal("the idle worker still holds what its last call captured")
}
