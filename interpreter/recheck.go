package interpreter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// A commit whose outcome is unknown (its call timed out, its connection
// dropped, and reading the record back did not settle it, as when the
// store is paused) may still land: the command may sit in a socket buffer
// and run when the store answers again, after the read that said it had
// not. The timer that started the step fires again and redoes it when it
// did not land; when it did, nothing would perform the task calls it
// scheduled, and they would wait for their timeout (or, without one,
// forever). So the execution is looked at again once the store answers:
// recoverExecution makes the calls that are in flight in the record and
// that nobody in this process is making, as a node does for a partition
// it takes over. Calls are at least once, with their idempotency key.

// recheckFirst is how long after an ambiguous commit the first look is;
// recheckMax bounds the wait between looks while the store does not
// answer; maxRechecks bounds the executions waiting for a look (past it,
// the oldest are dropped and left to the recovery of a partition takeover).
const (
	recheckFirst = time.Second
	recheckMax   = 15 * time.Second
	maxRechecks  = 100_000
)

type rechecks struct {
	mu  sync.Mutex
	due map[string]recheckEntry
}

type recheckEntry struct {
	at    time.Time
	every time.Duration
}

func newRechecks() *rechecks {
	return &rechecks{due: map[string]recheckEntry{}}
}

// ambiguous reports whether a commit's error leaves its outcome unknown:
// the store's refusals (a version conflict, a lost lease, a taken task, a
// missing record) are answers.
func ambiguous(err error) bool {
	return err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrLeaseLost) &&
		!errors.Is(err, store.ErrTaskTaken) && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists)
}

// recheckLater looks at execution id again after recheckFirst.
func (e *Engine) recheckLater(id string) {
	rc := e.rechecks
	rc.mu.Lock()
	if len(rc.due) >= maxRechecks {
		for old := range rc.due { // any one: map order
			delete(rc.due, old)
			break
		}
	}
	rc.due[id] = recheckEntry{at: time.Now().Add(recheckFirst), every: recheckFirst}
	rc.mu.Unlock()
}

// RechecksPending is how many executions wait to be looked at again after
// a commit whose outcome was unknown.
func (e *Engine) RechecksPending() int {
	e.rechecks.mu.Lock()
	defer e.rechecks.mu.Unlock()
	return len(e.rechecks.due)
}

// runRechecks looks at the executions that are due, in real time (it is
// about the network, whatever the engine's clock), until ctx ends.
func (e *Engine) runRechecks(ctx context.Context) {
	rc := e.rechecks
	tick := time.NewTicker(recheckFirst / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		rc.mu.Lock()
		var due []string
		for id, en := range rc.due {
			if !en.at.After(now) {
				due = append(due, id)
			}
		}
		rc.mu.Unlock()
		for _, id := range due {
			if ctx.Err() != nil {
				return
			}
			e.recheck(ctx, id)
		}
	}
}

// recheck looks at one execution: when the store answers, its calls in
// flight are made (recoverExecution) and it is done; otherwise it is
// looked at again later.
func (e *Engine) recheck(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	inFlight, err := e.recoverExecution(rctx, id)
	if err != nil {
		rc := e.rechecks
		rc.mu.Lock()
		if en, ok := rc.due[id]; ok {
			en.every = min(2*en.every, recheckMax)
			en.at = time.Now().Add(en.every)
			rc.due[id] = en
		}
		rc.mu.Unlock()
		return
	}
	if inFlight {
		e.log.Debug("execution looked at again after a commit of unknown outcome", slog.String("execution_id", id))
	}
	e.rechecks.mu.Lock()
	delete(e.rechecks.due, id)
	e.rechecks.mu.Unlock()
}
