package interpreter

// The commit path: a change to one execution is applied to its record and
// committed as one step (modify), and the step's effects are performed
// after it (afterCommit).

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// deps are the step's sources of randomness.
func (e *Engine) deps() stepDeps {
	return stepDeps{UUID: e.cfg.UUID, Random: e.cfg.Random, Secret: randomSecret, ContextIDs: e.cfg.ContextIDs, Mocks: e.cfg.Mocks}
}

// execLocks serialise the changes to one execution within this node: each
// execution has a lock of its own while someone changes it, so that a
// step waiting on the store holds back that execution only (a fixed set of
// striped locks made executions sharing a stripe wait for each other's
// round trips).
type execLocks struct {
	mu sync.Mutex
	m  map[string]*execLock
}

type execLock struct {
	sync.Mutex
	refs int // holders and waiters; the entry goes when none is left
}

// lock locks id's lock and returns its unlock.
func (l *execLocks) lock(id string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*execLock{}
	}
	x := l.m[id]
	if x == nil {
		x = &execLock{}
		l.m[id] = x
	}
	x.refs++
	l.mu.Unlock()
	x.Lock()
	return func() {
		x.Unlock()
		l.mu.Lock()
		if x.refs--; x.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}

// modify loads an execution, applies change, and commits when it reports a
// change; on a conflict (another writer got there first) it reloads and
// applies the change again to the new truth. It starts from the record this
// node committed last when it has it (recordCache), and reads the store
// when it has not, when the commit conflicts, and before it concludes from
// a cached record that there is nothing to do.
func (e *Engine) modify(ctx context.Context, id string, change func(r *run) bool) (*store.Execution, bool, error) {
	return e.modifyAs(ctx, id, false, change)
}

// errNotHolder: holder work (modifyAs with holder set) for an execution
// whose partition this node does not hold.
var errNotHolder = errors.New("this node does not hold the execution's partition")

// modifyAs commits with the fence this node holds for the execution's
// partition when it began. With holder set (the work only the partition's
// holder does: timers) it does not commit at all without one, so that a
// node that lost the partition cannot write into it. Other writes (stop,
// task results, from any node) need no lease: without one they are plain
// compare-and-set on the record version.
func (e *Engine) modifyAs(ctx context.Context, id string, holder bool, change func(r *run) bool) (*store.Execution, bool, error) {
	fence := e.own.fence(id)
	if holder && e.own != nil && fence == 0 {
		return nil, false, errNotHolder
	}
	defer e.locks.lock(id)()
	cached, decoded := e.records.take(id)
	for attempt := 0; ; attempt++ {
		rec, fromCache := cached, cached != nil
		cached = nil
		if rec == nil {
			var err error
			if rec, err = e.store.GetExecution(ctx, id); err != nil {
				e.records.drop(id)
				return nil, false, err
			}
			e.records.put(rec) // the truth, for the next look
		}
		def, err := e.recordDefinition(ctx, rec)
		if err != nil {
			return nil, false, err
		}
		r, err := decodeRun(rec, def, fromCache, decoded, e.cfg.CheckCachedThreads)
		decoded = nil // the run owns them now, and may change them
		if err != nil {
			e.records.drop(id)
			return nil, false, err
		}
		r.now = e.cfg.Clock.Now().UTC()
		r.deps = e.deps()
		r.limits = e.cfg.Limits
		r.space = e.cfg.Space
		r.rep.on = e.cfg.Observer != nil
		if !change(r) {
			if fromCache {
				continue // confirm against the store: the cached record may be old
			}
			return rec, false, nil
		}
		next, set, del, err := r.record()
		if err != nil {
			return nil, false, err
		}
		var change []byte // the change log's entry, on a change of status (statuschange.go)
		if next.Status != rec.Status {
			change = e.statusChange(next, rec.RecordVersion+1, false)
		}
		err = e.store.Commit(ctx, store.CommitParams{ID: id, ExpectedVersion: rec.RecordVersion, Fence: fence, Record: next, Base: rec,
			SetThreads: set, DeleteThreads: del, Events: r.events, Activities: r.activities, Claim: r.claim,
			Withdraw: r.withdrawn, InFlight: r.inFlight(), Change: change})
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrTaskTaken) {
			e.records.put(rec) // nothing was written: the record stands
			return nil, false, err
		}
		if err != nil && !errors.Is(err, store.ErrLeaseLost) && e.landed(ctx, id, rec.RecordVersion+1, next, set) {
			err = nil // the write timed out but was applied: never write it twice
		}
		if err != nil {
			e.records.drop(id)
			if ambiguous(err) {
				e.recheckLater(id) // it may land yet, with calls to make (recheck.go)
			}
			return nil, false, err
		}
		next.RecordVersion = rec.RecordVersion + 1
		full := committed(rec, next, set, del)
		e.records.putDecoded(full, r.decodedThreads(full))
		e.afterCommit(r.effects(next))
		return next, true, nil
	}
}

// landed resolves an ambiguous write (a timeout, a dropped connection) by
// re-reading (readBack): the commit landed when the record is at the
// version it would have made, with its events, its engine header and the
// threads it wrote. It is false when the record says otherwise, and when
// it could not be read at all (the write's own error then stands).
func (e *Engine) landed(ctx context.Context, id string, version int64, wrote *store.Execution, threads map[string][]byte) bool {
	rec, err := e.readBack(ctx, id)
	return err == nil && sameWrite(rec, version, wrote, threads)
}

// sameWrite reports whether rec is the write of wrote (at version, with
// threads). Another writer's commit from the same version (this one may
// have started from an old cached record) differs in all but the rarest
// cases: a step that wrote events carries its time, to the nanosecond, in
// the header, and a change without events changes a thread.
func sameWrite(rec *store.Execution, version int64, wrote *store.Execution, threads map[string][]byte) bool {
	if rec.RecordVersion != version || rec.LastEventID != wrote.LastEventID ||
		rec.Status != wrote.Status || !bytes.Equal(rec.Engine, wrote.Engine) || !rec.StartedAt.Equal(wrote.StartedAt) {
		return false
	}
	for k, b := range threads {
		if !bytes.Equal(rec.Threads[k], b) {
			return false
		}
	}
	return true
}

// How readBack reads: each read has its own short deadline, and a read
// that fails is tried again after a back-off that doubles, readBackTries
// reads in all (about 4.4 s at most, within an answer's write deadline).
const (
	readBackTimeout = time.Second
	readBackTries   = 4
	readBackBackoff = 50 * time.Millisecond
)

// readBack reads an execution after a write whose outcome is unknown, to
// answer what happened rather than an error when the write was applied.
// The caller's context is often what ran out (a request bounded by the
// store timeout), so the reads do not inherit its deadline or its
// cancellation, only its values; and the store that just failed one call
// may fail the next, so a failed read is tried again. store.ErrNotFound is
// an answer (nothing was created), not a failure to read.
func (e *Engine) readBack(ctx context.Context, id string) (*store.Execution, error) {
	base := context.WithoutCancel(ctx)
	stopping := e.ctx.Done() // the engine's stop, once it was started (New sets e.ctx)
	backoff := readBackBackoff
	for try := 1; ; try++ {
		rctx, cancel := context.WithTimeout(base, readBackTimeout)
		rec, err := e.store.GetExecution(rctx, id)
		cancel()
		if err == nil || errors.Is(err, store.ErrNotFound) || try == readBackTries {
			return rec, err
		}
		// Real time, whatever the engine's clock: it is about the network.
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-stopping:
			t.Stop()
			return nil, err
		}
		backoff *= 2
	}
}

// effects are what a committed step leaves to do: the step builds them
// (run.effects), and the engine performs them once the commit landed.
type effects struct {
	id         string
	report     StepReport           // for the Observer
	ended      *endedExecution      // set when the step ended the execution
	cancels    []string             // tokens of calls the step withdrew
	calls      []taskCall           // calls the step scheduled (those also withdrawn excluded)
	activities []store.ActivityTask // queued by the step
	due        time.Time            // when the execution is due next (zero: never)
	deliver    bool                 // a .sync child that ended: tell its parent (children.go)
	runChild   *store.Execution     // a Map Run's child that ended: tell its run
	runLink    *parentLink          // its link
	stopKids   []stopKid            // child executions to stop
	launches   []childLaunch        // Map Run children to start
	reads      []itemsRead          // Map Run items to read
	writes     []resultsWrite       // Map Run results to write
	dropChunks []runChunks          // Map Run item chunks to delete
	runDocs    []MapRun             // Map Runs whose records to write
}

// endedExecution is what the log line of an ended execution says.
type endedExecution struct {
	smName, status, errName, cause string
	output                         value.Value
}

// effects returns the step's effects; rec is the record it committed. The
// report is there when the engine has an Observer (r.rep.on).
func (r *run) effects(rec *store.Execution) effects {
	eff := effects{id: r.id, cancels: r.cancels, activities: r.activities, due: rec.DueAt, deliver: r.owedToParent(), stopKids: r.stopKids,
		launches: r.launches, runDocs: r.runDocs, reads: r.reads, writes: r.writes, dropChunks: r.dropChunks}
	if r.rep.on {
		eff.report = r.stepReport()
	}
	if r.endsRunChild() && len(r.events) > 0 {
		eff.runChild, eff.runLink = rec, r.hdr.Parent
	}
	if r.status != store.StatusRunning && len(r.events) > 0 {
		eff.ended = &endedExecution{smName: r.smName, status: r.status, errName: r.errName, cause: r.cause, output: r.output}
	}
	for _, c := range r.calls {
		if !slices.Contains(r.cancels, c.Token) { // scheduled and withdrawn in one step
			eff.calls = append(eff.calls, c)
		}
	}
	return eff
}

// afterCommit performs a committed step's effects: cancelled calls, task
// calls, waking the pollers of queued activity tasks, the next timer (a
// continuation, when the step yielded, is a timer due now).
func (e *Engine) afterCommit(eff effects) {
	if e.cfg.Observer != nil {
		e.cfg.Observer.StepCommitted(eff.report)
	}
	if eff.ended != nil {
		e.logEnd(eff.id, eff.ended)
	}
	for _, tok := range eff.cancels {
		e.inflightMu.Lock()
		if c := e.inflight[tok]; c != nil {
			c()
		}
		e.inflightMu.Unlock()
	}
	for _, c := range eff.calls {
		e.dispatch(eff.id, c)
	}
	for _, a := range eff.activities {
		e.activityArrived(a.Activity)
	}
	if !eff.due.IsZero() {
		e.timers.add(eff.id, eff.due)
	}
	if eff.deliver {
		e.deliverLater(eff.id)
	}
	if eff.runChild != nil {
		e.tellMapRunLater(eff.runLink, eff.runChild)
	}
	if len(eff.stopKids) > 0 {
		e.stopChildren(eff.id, eff.stopKids)
	}
	for _, m := range eff.runDocs {
		if e.recordMapRun(e.ctx, m) == nil {
			// A run's record is written before its children start and the
			// commit's caller goes on (a few times per run: its start,
			// changes, its end), so that it is there within a round trip
			// of the event that tells of it.
			continue
		}
		e.recordMapRunLater(m)
	}
	if len(eff.launches) > 0 {
		e.launch(eff.id, eff.launches)
	}
	for _, rd := range eff.reads {
		e.readItemsLater(eff.id, rd)
	}
	for _, w := range eff.writes {
		e.writeResultsLater(eff.id, w)
	}
	for _, c := range eff.dropChunks {
		e.dropChunksLater(c.id, c.total)
	}
}
