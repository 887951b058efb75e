package interpreter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store"
)

// recovery resumes what a taken-over partition's executions had in flight
// when their previous owner stopped: handler and HTTP calls are made again
// (at-least-once, with the same idempotency key), callbacks not yet
// submitted are sent again, and activity tasks no worker took are queued
// again. Due timers need nothing: the partition's timer poll fires them.
//
// It runs off the lease loop: acquiring a partition only queues it here, so
// renewing leases never waits on recovery, however much a partition holds.
// It reads only the partition's in-flight set (store.PartitionQueries),
// except when the set cannot be trusted: a partition no node of this
// release has rebuilt yet, or any partition while a node of an earlier
// release is alive (it does not keep the sets); then it scans the
// partition's running executions and rebuilds the set.
type recovery struct {
	e     *Engine
	q     store.PartitionQueries // nil: the store has none; recovery lists every running execution
	queue chan int

	mu      sync.Mutex
	pending map[int]bool // queued and not yet recovered
	// older is set while the node registry shows a node of an earlier
	// release: recovery scans, and marks nothing rebuilt.
	older bool
}

// recoveryWorkers recover partitions side by side: most of a partition's
// time is round trips.
const recoveryWorkers = 4

func newRecovery(e *Engine, q store.PartitionQueries, partitions int) *recovery {
	return &recovery{e: e, q: q, queue: make(chan int, partitions), pending: map[int]bool{}}
}

// add queues a partition this node just acquired.
func (rc *recovery) add(p int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.pending[p] {
		return
	}
	rc.pending[p] = true
	rc.queue <- p // never blocks: at most one entry per partition
}

func (rc *recovery) setOlder(older bool) (changed bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	changed, rc.older = rc.older != older, older
	return changed
}

func (rc *recovery) olderAlive() bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.older
}

// run recovers queued partitions until ctx ends.
func (rc *recovery) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range recoveryWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-rc.queue:
					rc.recover(ctx, p)
				}
			}
		}()
	}
	wg.Wait()
}

// recover recovers one partition, again after a pause while it fails and
// this node still holds it.
func (rc *recovery) recover(ctx context.Context, p int) {
	e := rc.e
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		if !e.own.holds(p) {
			break // handed on meanwhile: its new holder recovers it
		}
		err := rc.partition(ctx, p)
		if err == nil || ctx.Err() != nil {
			break
		}
		e.log.Warn("partition recovery failed; retrying", slog.Int("partition", p), slog.Any("error", err))
		select {
		case <-ctx.Done():
		case <-e.cfg.Clock.After(backoff):
		}
	}
	rc.mu.Lock()
	delete(rc.pending, p)
	rc.mu.Unlock()
}

func (rc *recovery) partition(ctx context.Context, p int) error {
	if rc.q == nil {
		return rc.listAll(ctx, p)
	}
	older := rc.olderAlive()
	rebuilt, err := rc.q.Rebuilt(ctx, p)
	if err != nil {
		return err
	}
	if rebuilt >= store.Release && !older {
		return rc.page(ctx, p, rc.q.InFlight, nil)
	}
	// Rebuild: every running execution is looked at, and those with calls
	// in flight join the set (commits keep it from now on).
	var found []string
	if err := rc.page(ctx, p, rc.q.Running, &found); err != nil {
		return err
	}
	if err := rc.q.AddInFlight(ctx, p, found); err != nil {
		return err
	}
	if older {
		return nil // an earlier release still writes without keeping the set
	}
	if _, err := rc.q.RecountOpen(ctx, p); err != nil {
		return err
	}
	return rc.q.MarkRebuilt(ctx, p, store.Release)
}

// page recovers every execution a paged query lists; found, when set,
// collects those that had calls in flight.
func (rc *recovery) page(ctx context.Context, p int, list func(context.Context, int, string, int) ([]string, string, error), found *[]string) error {
	cursor := ""
	for {
		ids, next, err := list(ctx, p, cursor, 500)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if inFlight, _ := rc.e.recoverExecution(ctx, id); inFlight && found != nil {
				*found = append(*found, id)
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// listAll is recovery on a store without partition queries: every running
// execution of the store is listed, and those of p recovered.
func (rc *recovery) listAll(ctx context.Context, p int) error {
	cursor := ""
	for {
		list, next, err := rc.e.store.ListExecutions(ctx, store.ListQuery{Status: store.StatusRunning, Cursor: cursor, Limit: 1000})
		if err != nil {
			return err
		}
		for _, sum := range list {
			if store.PartitionOf(sum.ID, rc.e.own.leaser.Partitions()) == p {
				rc.e.recoverExecution(ctx, sum.ID)
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// recoverExecution redoes the task calls of an execution that nobody in
// this process is making, and reports whether it has any in flight. err is
// the error of reading the execution when the store did not answer (a
// missing execution is an answer: nil, nothing in flight).
func (e *Engine) recoverExecution(ctx context.Context, id string) (inFlight bool, err error) {
	rec, err := e.store.GetExecution(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if rec.Status != store.StatusRunning {
		var h header
		if decodeHeader(rec.Engine, &h) == nil && h.Parent.waits() && !h.Notified {
			// A child whose parent was not told of its end yet: its outbox
			// entry, left by a node that stopped before delivering it.
			e.deliverLater(id)
			return true, nil
		}
		return false, nil
	}
	def, err := e.recordDefinition(ctx, rec)
	if err != nil {
		return false, nil
	}
	r, err := decodeRun(rec, def, false, nil, false)
	if err != nil {
		return false, nil
	}
	r.space, r.now, r.deps, r.limits = e.cfg.Space, e.cfg.Clock.Now().UTC(), e.deps(), e.cfg.Limits
	if e.resumeMapRuns(r) {
		inFlight = true // a Map Run's children: started again, or found
	}
	for _, t := range r.threads {
		s := r.state(t)
		if !t.callInFlight(s) {
			continue
		}
		inFlight = true
		c := taskCall{State: s.Name, Thread: t.ID, ScheduledID: t.Task.ScheduledID, Spec: s.Task, Params: t.Task.Params.V, Started: r.startedAt,
			Token: MakeToken(r.id, t.ID, t.Task.ScheduledID, t.Task.Secret), Timeout: t.Task.Timeout, Heartbeat: t.Task.Heartbeat, Call: t.Task.MockCall,
			limitWait: t.Task.LimitWait, limitKey: t.Task.LimitKey}
		if t.Task.Mock != "" {
			// Answered from the same mocked response and call number as
			// when it was scheduled (a mocked activity was never queued).
			m, ok := r.deps.mock(r.smName, r.hdr.Mock.caseName(), s.Name, t.Task.MockCall)
			if !ok {
				m = mockconfig.Mocked{Err: failure.Newf(failure.Runtime, "the server's mock configuration no longer mocks state %q in the test case %q", s.Name, r.hdr.Mock.caseName())}
			}
			c.Mock = &m
		} else if s.Task.Kind == dsl.ActivityTask {
			// It may have left its queue with a node that died.
			e.requeueActivity(ctx, Token{ExecutionID: r.id, Thread: t.ID, ScheduledID: t.Task.ScheduledID, Secret: t.Task.Secret})
			continue
		}
		if e.inFlight(c.Token) {
			continue
		}
		e.log.Info("task call recovered", slog.String("execution_id", id), slog.String("state", s.Name))
		e.dispatch(id, c)
	}
	return inFlight, nil
}

// callInFlight reports whether thread t (in state s) waits on a call that
// a node taking its partition over must redo: a handler or HTTP call, a
// callback request not yet acknowledged, an activity task no worker took.
// A submitted callback and a started activity wait for someone outside.
func (t *thread) callInFlight(s *dsl.State) bool {
	if t.Phase != phaseTask || t.Task == nil || s == nil || s.Task == nil {
		return false
	}
	switch {
	case s.Task.Kind == dsl.ActivityTask:
		return !t.Task.Started
	case s.Task.WaitForToken || s.Task.Sync > 0:
		return !t.Task.Started
	}
	return true
}

// inFlight reports whether any thread of the run has a call in flight
// (store.CommitParams.InFlight).
func (r *run) inFlight() bool {
	if r.status != store.StatusRunning {
		return r.owedToParent() // the child's outbox entry
	}
	for _, t := range r.threads {
		if t.Phase == phaseTask && t.callInFlight(r.state(t)) {
			return true
		}
		if t.Phase == phaseChildren && t.Children != nil && t.Children.Run != nil {
			return true // a Map Run: its children's starts are effects
		}
	}
	return false
}

// RecoveryPending is how many acquired partitions wait for their recovery
// or are being recovered (0 on a store that is not shared).
func (e *Engine) RecoveryPending() int {
	if e.recovery == nil {
		return 0
	}
	e.recovery.mu.Lock()
	defer e.recovery.mu.Unlock()
	return len(e.recovery.pending)
}
