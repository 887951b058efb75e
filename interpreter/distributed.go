package interpreter

// Distributed Map: a Map whose ItemProcessor runs in DISTRIBUTED mode runs
// each item (or batch of items) as a child execution of its own, linked to
// the Map's thread by a Map Run. The parent's history holds the Map Run's
// start and end only, never an event per item, so a Map over any number of
// items fits in it, and so does its record: the Map thread keeps counts,
// the children running now (at most its concurrency), and the results
// while they fit in a state's payload. The children's ends come back
// through the outbox (children.go), one commit on the parent for each.
//
// Items from the state's input stay in the thread (the input is bounded
// by the payload limit). Items an ItemReader reads are read by an effect
// after MapRunStarted commits, turned into the children's inputs
// (ItemSelector, ItemBatcher) and written in chunks of store documents,
// which the children's starts read; a ResultWriter writes the results,
// read back from the children, once the last child ended.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/itemio"
	"github.com/sfn-project/sfn/states"
	"github.com/sfn-project/sfn/store"
)

// mapRun is a distributed Map's run, kept in its thread's childrenWait
// (encoding 4).
type mapRun struct {
	ID string `json:"id"`
	// Machine is the children's state machine name, "<sm>/<Label>" (or
	// "<sm>/<ID>" without a Label): their ids and ARNs are AWS's,
	// …:execution:<sm>/<Label>:<uuid>.
	Machine string `json:"machine"`
	Label   string `json:"label"` // the Label part of Machine
	// Path locates the Map state in the state machine's definition, from
	// its top: the children run its processor.
	Path      []scopeStep `json:"path"`
	StartedAt time.Time   `json:"startedAt"`
	Express   bool        `json:"express,omitempty"` // ExecutionType EXPRESS (run as standard children here)

	// Total is the number of children (items, or batches); Next the
	// number started so far, in item order; Running those started that
	// have not ended.
	Total   int   `json:"total"`
	Next    int   `json:"next"`
	Running []int `json:"running,omitempty"`
	// Counts of the children that ended, by how.
	Succeeded int `json:"succeeded,omitempty"`
	Failed    int `json:"failed,omitempty"`
	TimedOut  int `json:"timedOut,omitempty"`
	Aborted   int `json:"aborted,omitempty"`

	// Results are the ended children's outputs (failed ones: their error
	// output) by index, while their size is within the payload limit;
	// past it (Overflow) they are dropped: the Map fails at its end unless
	// a ResultWriter takes them.
	Results     runResults `json:"results,omitzero"`
	ResultBytes int        `json:"resultBytes,omitempty"`
	Overflow    bool       `json:"overflow,omitempty"`

	// Chunked: the children's inputs are in store documents (an
	// ItemReader's items), not in the thread; Reading while they are read.
	Chunked bool `json:"chunked,omitempty"`
	Reading bool `json:"reading,omitempty"`
	// Writing: the ResultWriter's effect is under way.
	Writing bool `json:"writing,omitempty"`
	// Writer is the ResultWriter's Parameters (or Arguments), evaluated
	// when the Map started (states.DistributedStart): where to write.
	Writer *jv `json:"writer,omitempty"`
	// Redriven counts the redrives of the parent that ran this run again:
	// a child that failed before is redriven when its count is lower.
	Redriven int `json:"redriven,omitempty"`
}

// childLaunch is an effect: a Map Run child to start once the step commits.
type childLaunch struct {
	Machine string
	Version int
	Name    string
	// Input is the child's input; nil for a chunked run, whose launch
	// reads it from the run's documents.
	Input    value.Value
	Link     parentLink
	Redriven int
	// TestCase is the parent's, when it is a mocked execution: its Map
	// Run's children answer the calls of the processor's states from it.
	TestCase string
}

// DefaultMapRunChildren is Limits.MapRunChildren's default: how many
// children of one Map Run run at once at most when its MaxConcurrency is 0
// or larger (AWS allows up to 10,000; a self-hosted store and its nodes
// stay healthy with fewer).
const DefaultMapRunChildren = 1000

// Where a chunked run keeps its children's inputs: documents of this kind,
// named "<run id>/<chunk>", of chunkSize inputs each (a JSON array).
const (
	mapItemsDocKind = "mapitems"
	chunkSize       = 1000
)

// mapRunChildName is the name of a Map Run's child number index: derived
// from the run and the index, so that starting it again (a node that took
// the parent's partition over) finds the child started before. It has the
// shape of a UUID, as AWS's child names.
func mapRunChildName(runID string, index int) string {
	return uuidOf(fmt.Appendf(nil, "%s#%d", runID, index))
}

// runARN is the ARN of a Map Run of this execution.
func (r *run) runARN(run *mapRun) string { return r.space.MapRun(r.smName, run.Label, run.ID) }

// childID is the stored id of a Map Run's child.
func (m *mapRun) childID(index int) string { return m.Machine + ":" + mapRunChildName(m.ID, index) }

// limit is how many children of the run may run at once.
func (r *run) runLimit(cw *childrenWait) int {
	limit := int64(r.limits.MapRunChildren)
	if limit <= 0 {
		limit = DefaultMapRunChildren
	}
	if cw.MaxConc > 0 && cw.MaxConc < limit {
		limit = cw.MaxConc
	}
	return int(limit)
}

// startDistributed starts a distributed Map: MapStateStarted, the
// tolerated-failure fields (read after it, as AWS does), MapRunStarted,
// and the first children (or the reading of the items).
func (r *run) startDistributed(t *thread, s *dsl.State) {
	env := r.env(t, s, "")
	plan, err := states.DistributedStart(s, t.Input.Get(), env)
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	r.event(t.Prev, "MapStateStarted").int("length", int64(plan.Length)).endIn(t)
	if err := states.DistributedTolerance(s, &plan, env); err != nil {
		// AWS fails the execution here: no MapRunStarted, no MapStateFailed.
		r.finishThread(t, nil, r.runtimeErr(t, s, err))
		return
	}
	run, k := r.newMapRun(t, s)
	// A redriven run whose items were read keeps them (its chunks): the
	// object may have changed since, and the succeeded children ran on
	// what was read then.
	reread := k == nil || !k.Chunked
	var read *itemio.ReadRequest
	if rd := s.Distributed.Reader; rd != nil && plan.Reader != nil && reread {
		req := readRequest(rd, plan.Reader)
		read = &req
	}
	var inputs []value.Value
	if read == nil && !run.Chunked {
		if inputs, err = states.ChildInputs(s, &plan, r.itemEnv(t, s, "")); err != nil {
			r.stateFailed(t, s, r.runtimeErr(t, s, err))
			return
		}
	}
	if plan.WriterParameters != nil {
		run.Writer = &jv{plan.WriterParameters}
	}
	var started int64
	if k == nil {
		started = r.event(t.Prev, "MapRunStarted").str("mapRunArn", r.runARN(run)).endIn(t)
	} else {
		// The parent's redrive runs its run again (AWS's MapRunRedriven).
		started = r.event(t.Prev, "MapRunRedriven").str("mapRunArn", r.runARN(run)).
			int("redriveCount", int64(run.Redriven)).endIn(t)
	}
	cw := &childrenWait{StartedID: started, MaxConc: plan.MaxConcurrency, TolPct: plan.TolerancePercent, HasPct: plan.HasPercent,
		TolCount: plan.ToleranceCount, HasCount: plan.HasCount, LastEvent: started, Run: run}
	if read == nil && !run.Chunked {
		items := make([]any, len(inputs))
		copy(items, inputs)
		cw.Items = lazyOf(items)
		run.Total = len(items)
	}
	t.Children, t.Phase = cw, phaseChildren
	if r.hdr.Enc < encodingChildren {
		r.hdr.Enc = encodingChildren
	}
	r.touch(t)
	r.runDocs = append(r.runDocs, r.mapRunView(t, cw, MapRunRunning))
	if read != nil {
		run.Chunked, run.Reading = true, true
		r.reads = append(r.reads, itemsRead{thread: t.ID, run: run.ID, req: *read, plan: plan, state: s, env: r.frozenEnv(t, s)})
		return
	}
	r.continueMapRun(t, s)
}

// newMapRun makes thread t's Map Run: a new one, or, when t resumes after a
// redrive, the run it had (AWS redrives the run: the children that
// succeeded are not run again, the failed ones are redriven).
func (r *run) newMapRun(t *thread, s *dsl.State) (*mapRun, *mapRun) {
	var kept *mapRun
	if t.Keep != nil && t.Keep.Run != nil {
		kept = t.Keep.Run
	}
	t.Keep = nil
	if kept != nil {
		return &mapRun{ID: kept.ID, Machine: kept.Machine, Label: kept.Label, Path: kept.Path, StartedAt: kept.StartedAt,
			Express: kept.Express, Total: kept.Total, Redriven: kept.Redriven + 1, Chunked: kept.Chunked}, kept
	}
	id := r.deps.UUID()
	label := s.Distributed.Label
	if label == "" {
		label = id
	}
	// The path is from the top of the state machine's definition: a Map
	// Run child that runs a distributed Map of its own runs a part of it.
	var path []scopeStep
	if p := r.hdr.Parent; p != nil && p.Run != "" {
		path = append(path, p.Path...)
	}
	path = append(path, childScope(t, s, 0)...)
	return &mapRun{ID: id, Machine: r.smName + "/" + label, Label: label, Path: path, StartedAt: r.now,
		Express: s.Distributed.ExecutionType == "EXPRESS"}, nil
}

// itemEnv builds the environment an item's ItemSelector reads: the
// state's, with $$.Map.Item set.
func (r *run) itemEnv(t *thread, s *dsl.State, source string) func(int, value.Value) states.Env {
	return func(i int, item value.Value) states.Env {
		e := r.contextEnv(t, s, "")
		e.Context.(*value.Object).Set("Map", mapItemContext(i, item, source))
		return e
	}
}

// mapItemContext is $$.Map for item i, with the object's URI as its
// Source when the item was read from one.
func mapItemContext(i int, item value.Value, source string) *value.Object {
	if source == "" {
		return states.MapItemContext(i, item)
	}
	return value.ObjectOf("Item", value.ObjectOf("Index", value.Int(int64(i)), "Value", item, "Source", source))
}

// continueMapRun starts what the run's concurrency allows, and ends the
// run when every child ended.
func (r *run) continueMapRun(t *thread, s *dsl.State) {
	cw := t.Children
	run := cw.Run
	if run.Writing {
		return
	}
	// While the items are read, the children of the chunks read so far
	// start (run.Total grows with them); the run ends once all are read.
	limit := r.runLimit(cw)
	for run.Next < run.Total && len(run.Running) < limit {
		i := run.Next
		run.Next++
		var in value.Value
		if !run.Chunked {
			v, ok := cw.Items.Index(i)
			if !ok {
				continue // a damaged record: nothing to start
			}
			in = v
		}
		run.Running = append(run.Running, i)
		r.launches = append(r.launches, r.launchOf(t, i, in))
	}
	r.touch(t)
	if len(run.Running) == 0 && run.Next >= run.Total && !run.Reading {
		r.mapRunComplete(t, s)
	}
}

// launchOf is the start of Map thread t's child number i.
func (r *run) launchOf(t *thread, i int, input value.Value) childLaunch {
	run := t.Children.Run
	return childLaunch{Machine: run.Machine, Version: r.version, Name: mapRunChildName(run.ID, i), Input: input, Redriven: run.Redriven,
		TestCase: r.hdr.Mock.caseName(), Link: parentLink{ID: r.id, Thread: t.ID, ScheduledID: t.Children.StartedID, Run: run.ID, Index: i, Path: run.Path}}
}

// mapRunChildEnded applies the end of a Map Run's child to its Map thread.
// It reports false when that child's end is known already, or the run is
// over: delivering twice changes nothing.
func (r *run) mapRunChildEnded(link *parentLink, rec *store.Execution) bool {
	t := r.threads[link.Thread]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseChildren || t.Children == nil ||
		t.Children.Run == nil || t.Children.Run.ID != link.Run {
		return false
	}
	cw, run := t.Children, t.Children.Run
	if link.ScheduledID != cw.StartedID {
		return false // an end told to an earlier run of it (before a redrive of the parent)
	}
	at := slices.Index(run.Running, link.Index)
	if at < 0 {
		return false
	}
	s := r.state(t)
	if s == nil {
		return false
	}
	run.Running = slices.Delete(run.Running, at, at+1)
	r.touch(t)
	var result value.Value
	if rec.Status == store.StatusSucceeded {
		out, err := value.Decode(rec.Output)
		if err != nil {
			out = nil
		}
		result = out
		run.Succeeded++
	} else {
		switch rec.Status {
		case store.StatusTimedOut:
			run.TimedOut++
		case store.StatusAborted:
			run.Aborted++
		default:
			run.Failed++
		}
		result = states.ErrorOutput(failure.New(rec.Error, rec.Cause))
	}
	r.keepResult(cw, link.Index, result)
	if !r.runTolerated(cw) {
		r.mapRunFailed(t, s, failure.New(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
		r.drain()
		return true
	}
	r.continueMapRun(t, s)
	r.drain()
	return true
}

// keepResult keeps child i's result for the Map's output while the results
// fit in a payload (a ResultWriter reads them back from the children).
func (r *run) keepResult(cw *childrenWait, i int, v value.Value) {
	run := cw.Run
	if run.Overflow {
		return
	}
	b := value.Marshal(v)
	n := len(b) + 1
	if run.ResultBytes+n > r.limits.MaxPayload {
		run.Overflow, run.Results, run.ResultBytes = true, runResults{}, 0
		return
	}
	run.Results.add(i, b)
	run.ResultBytes += n
}

// mapRunComplete ends a run whose children all ended within its
// tolerance: the ResultWriter's effect first when there is one, else
// MapRunSucceeded and the Map state's result.
func (r *run) mapRunComplete(t *thread, s *dsl.State) {
	cw := t.Children
	run := cw.Run
	if w := s.Distributed.Writer; w != nil {
		run.Writing = true
		r.touch(t)
		r.writes = append(r.writes, r.resultsWriteOf(t, w))
		return
	}
	if run.Overflow {
		r.mapRunFailed(t, s, failure.Newf(failure.DataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.Name))
		return
	}
	results, err := run.Results.array(run.Total)
	if err != nil {
		r.mapRunFailed(t, s, failure.Newf(failure.Runtime, "the Map Run's results: %v", err))
		return
	}
	r.mapRunSucceeded(t, s, results)
}

// runTolerated reports whether a run's failures so far are within its
// tolerance. While its items are still being read the total is not known
// yet: only the count applies; the percentage is checked once the reading
// ended (itemsReady).
func (r *run) runTolerated(cw *childrenWait) bool {
	run := cw.Run
	failed := run.Failed + run.TimedOut + run.Aborted
	if failed == 0 {
		return true
	}
	tol := cw.tolerance()
	if run.Reading {
		if !tol.HasCount && !tol.HasPercent {
			return false // nothing is tolerated
		}
		return !tol.HasCount || int64(failed) <= tol.ToleranceCount // either threshold exceeded fails the run
	}
	return tol.Tolerated(failed, run.Total)
}

// mapRunSucceeded writes MapRunSucceeded, then the Map state succeeds with
// result (the children's outputs, or the ResultWriter's details).
func (r *run) mapRunSucceeded(t *thread, s *dsl.State, result value.Value) {
	r.event(t.Prev, "MapRunSucceeded").endIn(t)
	r.mapRunEnded(t, MapRunSucceeded)
	t.Children = nil
	t.Phase = phaseReady
	r.event(t.Prev, "MapStateSucceeded").endIn(t)
	out, vars, err := states.Output(s, t.Input.Get(), result, r.env(t, s, ""))
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
	} else {
		r.exitState(t, s, out, vars)
	}
	r.drainParent(t)
}

// recheckMapRun applies a Map Run's changed bounds (UpdateMapRun): fail
// it when its failures are now beyond its tolerance, else start what the
// new concurrency allows.
func (r *run) recheckMapRun(t *thread, s *dsl.State) {
	cw := t.Children
	if !r.runTolerated(cw) {
		r.mapRunFailed(t, s, failure.New(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
	} else {
		r.continueMapRun(t, s)
	}
	r.drain()
}

// mapRunFailed ends a Map Run that cannot succeed: MapRunFailed, its
// running children stopped, and the Map state fails with fe (Retry and
// Catch apply). The run is kept for a redrive of the parent.
func (r *run) mapRunFailed(t *thread, s *dsl.State, fe *failure.Error) {
	r.event(t.Prev, "MapRunFailed").optStr("error", fe.Name).optStr("cause", fe.Cause).endIn(t)
	r.stopRunChildren(t)
	r.mapRunEnded(t, MapRunFailed)
	t.Keep = &keptChildren{Run: keptRun(t.Children.Run)}
	t.Children, t.Phase = nil, phaseReady
	r.touch(t)
	r.stateFailed(t, s, fe)
	r.drainParent(t)
}

// keptRun is what a redrive of the parent needs of a run.
func keptRun(m *mapRun) *mapRun {
	return &mapRun{ID: m.ID, Machine: m.Machine, Label: m.Label, Path: m.Path, StartedAt: m.StartedAt, Express: m.Express,
		Total: m.Total, Redriven: m.Redriven, Chunked: m.Chunked && !m.Reading}
}

// abortMapRun stops a Map Run whose execution stops, times out, or whose
// enclosing Parallel or Map fails: MapRunAborted (not on a timeout, where
// AWS writes no …Aborted events) and its running children stopped.
func (r *run) abortMapRun(t *thread, timedOut bool) {
	if !timedOut {
		r.event(t.Prev, "MapRunAborted").endIn(t)
	}
	r.stopRunChildren(t)
	r.mapRunEnded(t, MapRunAborted)
}

// stopRunChildren stops the children of t's Map Run that have not ended.
func (r *run) stopRunChildren(t *thread) {
	run := t.Children.Run
	for _, i := range run.Running {
		// Only while it runs for this run: a redrive of the parent may
		// have redriven it for the next one by the time the stop comes.
		r.stopKids = append(r.stopKids, stopKid{id: run.childID(i), gen: t.Children.StartedID})
	}
}

// mapRunEnded records, as an effect, how the Map Run of t ended, for the
// Map Run's own record (DescribeMapRun after the parent moved on).
func (r *run) mapRunEnded(t *thread, status string) {
	r.runDocs = append(r.runDocs, r.mapRunView(t, t.Children, status))
	if run := t.Children.Run; run.Chunked && status == MapRunSucceeded {
		// Kept otherwise: a redrive starts the failed children from them.
		r.dropChunks = append(r.dropChunks, runChunks{id: run.ID, total: run.Total})
	}
}

// runChunks names a chunked run's documents, to delete.
type runChunks struct {
	id    string
	total int
}

// ---- effects ----

// launch starts Map Run children (effects of a committed step), each on a
// kept worker, until it sticks or the engine stops.
func (e *Engine) launch(parentID string, ls []childLaunch) {
	for _, l := range ls {
		e.untilDone("Map Run child not started yet", slog.String("execution_id", parentID),
			func() error { return e.startMapRunChild(e.ctx, l) })
	}
}

// startMapRunChild creates one Map Run child. A child started before
// (the start made again after a crash, or a redrive of the parent) is
// found under its name: one that ended is reported at once, or, when it
// failed before the parent's latest redrive, redriven. A child that cannot
// start at all (its input is over the payload limit) is reported as a
// failed child, so that the run goes on or fails by its tolerance.
func (e *Engine) startMapRunChild(ctx context.Context, l childLaunch) error {
	link := l.Link
	in := l.Input
	if in == nil {
		v, err := e.chunkedInput(ctx, link.Run, link.Index)
		if err != nil {
			return err
		}
		in = v
	}
	ex, existing, err := e.startExecution(ctx, StartParams{StateMachine: l.Machine, Name: l.Name, Input: value.Marshal(in), Version: l.Version, TestCase: l.TestCase}, &link)
	var fe *failure.Error
	switch {
	case err == nil && !existing:
		return nil
	case err == nil:
		rec, err := e.store.GetExecution(ctx, ex.ID)
		if err != nil {
			return err
		}
		var h header
		if err := decodeHeader(rec.Engine, &h); err != nil {
			return err
		}
		earlier := h.Parent == nil || h.Parent.ScheduledID != link.ScheduledID // started by the run before a redrive
		switch {
		case rec.Status == store.StatusRunning && !earlier:
			return nil // it tells the parent when it ends
		case rec.Status == store.StatusSucceeded:
			e.tellMapRunLater(&link, rec)
			return nil
		case rec.Status == store.StatusRunning:
			// Still running for the run before: stopped (its end is told to
			// that run, which ignores it), then redriven for this one.
			if _, err := e.StopExecution(ctx, rec.ID, "", "stopped to be redriven with its parent"); err != nil {
				return err
			}
			return e.redriveMapRunChild(ctx, rec.ID, &link)
		case earlier:
			return e.redriveMapRunChild(ctx, rec.ID, &link)
		}
		e.tellMapRunLater(&link, rec)
		return nil
	case errors.Is(err, ErrPayloadTooLarge):
		fe = failure.Newf(failure.DataLimitExceeded, "The input of the Map Run's child %d is larger than the maximum of %d bytes", link.Index, e.cfg.Limits.MaxPayload)
	case errors.Is(err, store.ErrAlreadyExists):
		fe = failure.Newf(failure.TaskFailed, "The Map Run's child %d: %v", link.Index, err)
	case errors.Is(err, ErrNoTestCase):
		// A mocked parent on a node whose mock configuration lost its test
		// case: the child cannot be mocked, and must not run for real.
		fe = failure.Newf(failure.Runtime, "The Map Run's child %d: %v", link.Index, err)
	default:
		return err
	}
	failed := &store.Execution{ID: l.Machine + ":" + l.Name, Name: l.Name, Status: store.StatusFailed, Error: fe.Name, Cause: fe.Cause}
	e.tellMapRunLater(&link, failed)
	return nil
}

// runInbox gathers the ends of Map Run children that this node is to tell
// their parents, by parent: one commit on a parent tells it every end
// gathered meanwhile, so that a run's children ending at once cost their
// parent a few commits, not one each (which would queue on its record).
type runInbox struct {
	mu sync.Mutex
	// pending: the ends waiting, by parent; a parent is present while a
	// worker tells it (its slice may be empty).
	pending map[string][]childEnd
}

type childEnd struct {
	link parentLink
	rec  *store.Execution
}

// tellMapRunLater tells a Map Run child's end to its parent, in the
// background, gathered with the other ends for that parent.
func (e *Engine) tellMapRunLater(link *parentLink, rec *store.Execution) {
	in := &e.inbox
	in.mu.Lock()
	if in.pending == nil {
		in.pending = map[string][]childEnd{}
	}
	q, busy := in.pending[link.ID]
	in.pending[link.ID] = append(q, childEnd{link: *link, rec: rec})
	in.mu.Unlock()
	if busy {
		return // its worker takes it with the next batch
	}
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		e.drainInbox(link.ID)
	})
}

// drainInbox tells parent the ends gathered for it until none is left,
// each batch until it sticks or the engine stops.
func (e *Engine) drainInbox(parent string) {
	in := &e.inbox
	backoff := 50 * time.Millisecond
	var batch []childEnd
	for {
		in.mu.Lock()
		batch = append(batch, in.pending[parent]...)
		if len(batch) == 0 {
			delete(in.pending, parent)
			in.mu.Unlock()
			return
		}
		in.pending[parent] = []childEnd{}
		in.mu.Unlock()
		_, _, err := e.modify(e.ctx, parent, func(r *run) bool {
			any := false
			for i := range batch {
				if r.mapRunChildEnded(&batch[i].link, batch[i].rec) {
					any = true
				}
			}
			return any
		})
		if err == nil || errors.Is(err, store.ErrNotFound) {
			batch, backoff = batch[:0], 50*time.Millisecond
			continue
		}
		if e.ctx.Err() != nil {
			in.mu.Lock()
			delete(in.pending, parent)
			in.mu.Unlock()
			return // whoever recovers the parent finds these ends
		}
		e.log.Warn("Map Run children's ends not told to their parent yet; retrying", slog.String("execution_id", parent), slog.Any("error", err))
		select {
		case <-e.ctx.Done():
		case <-e.cfg.Clock.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// redriveMapRunChild redrives a Map Run child that did not succeed, for a
// redrive of its parent: its link becomes the parent's new one (the Map's
// thread and start event), so that its new end reaches the run again.
func (e *Engine) redriveMapRunChild(ctx context.Context, id string, link *parentLink) error {
	var refused error
	_, _, err := e.modify(ctx, id, func(r *run) bool {
		if refused = r.redrive(""); refused != nil {
			return false
		}
		l := *link
		r.hdr.Parent = &l
		return true
	})
	if err == nil && refused != nil {
		// Not redrivable (its history is full, or redriven too often): it
		// ends the parent's wait as it is.
		rec, gerr := e.store.GetExecution(ctx, id)
		if gerr != nil {
			return gerr
		}
		return e.tellMapRun(ctx, link, rec)
	}
	return err
}

// tellMapRun commits a Map Run child's end on its parent.
func (e *Engine) tellMapRun(ctx context.Context, link *parentLink, rec *store.Execution) error {
	_, _, err := e.modify(ctx, link.ID, func(r *run) bool { return r.mapRunChildEnded(link, rec) })
	if errors.Is(err, store.ErrNotFound) {
		return nil // the parent is gone: nobody waits
	}
	return err
}

// chunkedInput reads child i's input from its run's documents. Children
// start in item order, so consecutive starts read the same chunk: the
// last chunks read stay decoded (chunkCache), and the starts that need a
// chunk at once wait for one read of it.
func (e *Engine) chunkedInput(ctx context.Context, runID string, i int) (value.Value, error) {
	name := runID + "/" + strconv.Itoa(i/chunkSize)
	c, load := e.chunks.entry(name)
	if load {
		c.a, c.err = e.readChunk(ctx, name)
		close(c.done)
		if c.err != nil {
			e.chunks.forget(name, c) // the next start reads it again
		}
	} else {
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("Map Run %s: the inputs of child %d: %w", runID, i, c.err)
	}
	if i%chunkSize >= len(c.a) {
		return nil, fmt.Errorf("Map Run %s: child %d is not in its chunk", runID, i)
	}
	return c.a[i%chunkSize], nil
}

// readChunk reads and decodes one chunk of a run's children's inputs.
func (e *Engine) readChunk(ctx context.Context, name string) ([]any, error) {
	d, err := e.store.GetDoc(ctx, mapItemsDocKind, name)
	if err != nil {
		return nil, err
	}
	v, err := value.Decode(d.Data)
	if err != nil {
		return nil, err
	}
	a, _ := v.([]any)
	return a, nil
}

// chunkCache keeps the last chunks of children's inputs read, decoded (a
// chunk's values are never changed: children are started from them).
type chunkCache struct {
	mu sync.Mutex
	m  map[string]*chunkEntry
}

// chunkEntry is a chunk being read (done open) or read.
type chunkEntry struct {
	done chan struct{}
	a    []any
	err  error
}

// chunkCacheSize bounds chunkCache: a few runs' current chunks.
const chunkCacheSize = 64

// entry returns the chunk's entry; load is true for the caller that must
// read it (and then close done).
func (c *chunkCache) entry(name string) (x *chunkEntry, load bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.m[name]; x != nil {
		return x, false
	}
	if c.m == nil || len(c.m) >= chunkCacheSize {
		c.m = map[string]*chunkEntry{} // start over: the next reads are of new chunks
	}
	x = &chunkEntry{done: make(chan struct{})}
	c.m[name] = x
	return x, true
}

func (c *chunkCache) forget(name string, x *chunkEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[name] == x {
		delete(c.m, name)
	}
}

// dropChunksLater deletes a chunked run's documents once it ended, in the
// background (best effort: what a crash leaves is small and harmless).
func (e *Engine) dropChunksLater(runID string, total int) {
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		for c := 0; c*chunkSize < total; c++ {
			if err := e.store.DeleteDoc(e.ctx, mapItemsDocKind, runID+"/"+strconv.Itoa(c)); err != nil {
				if e.ctx.Err() == nil {
					e.log.Warn("Map Run item chunk not deleted", slog.String("map_run", runID), slog.Any("error", err))
				}
				return
			}
		}
	})
}

// processorDefinition is the definition a Map Run child runs: the
// processor of the Map state at path in version of state machine sm.
func (e *Engine) processorDefinition(ctx context.Context, sm string, version int, path []scopeStep) (*dsl.Definition, error) {
	var key strings.Builder
	fmt.Fprintf(&key, "%s@%d", sm, version)
	for _, p := range path {
		fmt.Fprintf(&key, "/%s#%d", p.State, p.Branch)
	}
	e.defsMu.RLock()
	def := e.defs[key.String()]
	e.defsMu.RUnlock()
	if def != nil {
		return def, nil
	}
	parent, err := e.definition(ctx, sm, version)
	if err != nil {
		return nil, err
	}
	m := machineOf(parent, path)
	if m == nil || len(path) == 0 {
		return nil, fmt.Errorf("state machine %s version %d has no Map processor at %v", sm, version, path)
	}
	def = &dsl.Definition{Machine: *m, Source: parent.Source, Format: parent.Format}
	e.defsMu.Lock()
	e.defs[key.String()] = def
	e.defsMu.Unlock()
	return def, nil
}

// recordDefinition is the definition an execution record runs: its state
// machine version's, or for a Map Run child (a state machine name
// "<sm>/<label>"), the processor its link names.
func (e *Engine) recordDefinition(ctx context.Context, rec *store.Execution) (*dsl.Definition, error) {
	sm, _, child := strings.Cut(rec.StateMachine, "/")
	if !child {
		return e.definition(ctx, rec.StateMachine, rec.Version)
	}
	var h header
	if err := decodeHeader(rec.Engine, &h); err != nil {
		return nil, fmt.Errorf("execution %s: engine state: %w", rec.ID, err)
	}
	if h.Parent == nil || len(h.Parent.Path) == 0 {
		return nil, fmt.Errorf("execution %s: a Map Run child without its link to the Map", rec.ID)
	}
	return e.processorDefinition(ctx, sm, rec.Version, h.Parent.Path)
}

// resumeMapRuns redoes, for a recovered parent, what its Map Runs have
// under way: the starts of the children running (those created already
// are found under their names), the reading of the items, the writing of
// the results. It reports whether the parent has a Map Run.
func (e *Engine) resumeMapRuns(r *run) (any bool) {
	var ls []childLaunch
	for _, t := range r.threads {
		cw := t.Children
		if t.Phase != phaseChildren || cw == nil || cw.Run == nil {
			continue
		}
		any = true
		run := cw.Run
		s := r.state(t)
		switch {
		case run.Reading && s != nil && s.Distributed != nil && s.Distributed.Reader != nil:
			env := r.contextEnv(t, s, "")
			plan, err := states.DistributedStart(s, t.Input.Get(), env)
			if err == nil {
				err = states.DistributedTolerance(s, &plan, env)
			}
			if err != nil || plan.Reader == nil {
				continue // it did not fail the first time: the state machine changed under it
			}
			e.readItemsLater(r.id, itemsRead{thread: t.ID, run: run.ID, req: readRequest(s.Distributed.Reader, plan.Reader), plan: plan, state: s, env: r.frozenEnv(t, s)})
		case run.Writing && s != nil && s.Distributed != nil && s.Distributed.Writer != nil:
			e.writeResultsLater(r.id, r.resultsWriteOf(t, s.Distributed.Writer))
		default:
			for _, i := range run.Running {
				var in value.Value
				if !run.Chunked {
					v, ok := cw.Items.Index(i)
					if !ok {
						continue
					}
					in = v
				}
				ls = append(ls, r.launchOf(t, i, in))
			}
		}
	}
	if len(ls) > 0 {
		e.launch(r.id, ls)
	}
	return any
}

// ---- reading items and writing results ----

// itemsRead is an effect: read a chunked run's items.
type itemsRead struct {
	thread int
	run    string
	req    itemio.ReadRequest
	plan   states.DistributedPlan
	state  *dsl.State
	env    func(i int, item value.Value, source string) states.Env
}

// frozenEnv is an environment for ItemSelector over read items, taken from
// thread t now: it reads nothing of the run after the step commits.
func (r *run) frozenEnv(t *thread, s *dsl.State) func(int, value.Value, string) states.Env {
	base := r.contextEnv(t, s, "")
	vars := frozenVars{}
	for th := t; th != nil; th = r.threads[th.Parent] {
		if th.Vars != nil {
			if o, ok := th.Vars.V.(*value.Object); ok {
				for _, k := range o.Keys() {
					if _, shadowed := vars[k]; !shadowed {
						v, _ := o.Get(k)
						vars[k] = v
					}
				}
			}
		}
		if th.Parent < 0 {
			break
		}
	}
	ctx := base.Context.(*value.Object)
	return func(i int, item value.Value, source string) states.Env {
		c := value.NewObject(len(ctx.Keys()) + 1)
		for _, k := range ctx.Keys() {
			v, _ := ctx.Get(k)
			c.Set(k, v)
		}
		c.Set("Map", mapItemContext(i, item, source))
		e := base
		e.Context, e.Vars, e.Memo = c, vars, nil
		return e
	}
}

// frozenVars are workflow variables copied out of a run.
type frozenVars map[string]value.Value

func (v frozenVars) Lookup(name string) (value.Value, bool) {
	x, ok := v[name]
	return x, ok
}

// readItemsLater reads a chunked run's items in the background, until it
// sticks or the engine stops.
func (e *Engine) readItemsLater(parentID string, rd itemsRead) {
	if !e.active.claim("read " + rd.run) {
		return // under way on this node already (a recovery found it again)
	}
	e.untilDone("Map Run items not read yet", slog.String("execution_id", parentID), func() error {
		err := e.readItems(e.ctx, parentID, rd)
		if err == nil {
			e.active.release("read " + rd.run)
		}
		return err
	})
}

// readItems reads the items, turns them into the children's inputs (the
// ItemSelector, then batches), writes them in chunks, and tells the
// parent how many there are, or how the reading failed. An error is the
// store's (tried again); the reader's own failures end the run.
func (e *Engine) readItems(ctx context.Context, parentID string, rd itemsRead) error {
	var total int
	var storeErr error
	ferr := func() *failure.Error {
		if e.cfg.ItemIO == nil {
			return failure.New(failure.ItemReaderFailed, "this server has no object stores configured (sfn serve --object-stores)")
		}
		items, err := e.cfg.ItemIO.Read(ctx, rd.req)
		if err != nil {
			return asFailure(err, failure.ItemReaderFailed)
		}
		defer items.Close()
		var b *states.Batcher // nil: one child per item
		if rd.state.Distributed.Batcher != nil {
			b = states.NewBatcher(&rd.plan)
		}
		chunk := make([]any, 0, chunkSize)
		flush := func() *failure.Error {
			if len(chunk) == 0 {
				return nil
			}
			name := rd.run + "/" + strconv.Itoa(total/chunkSize)
			if err := e.putChunk(ctx, name, chunk); err != nil {
				storeErr = err // the store's: read again, not a failure of the run
				return nil
			}
			total += len(chunk)
			full := len(chunk) == chunkSize
			chunk = chunk[:0]
			if full {
				// The children of this chunk may start while the rest is read.
				n := total
				if _, _, err := e.modify(ctx, parentID, func(r *run) bool { return r.itemsReady(rd.thread, rd.run, n, false, nil) }); err != nil && !errors.Is(err, store.ErrNotFound) {
					storeErr = err
				}
			}
			return nil
		}
		emit := func(in value.Value) *failure.Error {
			chunk = append(chunk, in)
			if len(chunk) == chunkSize {
				return flush()
			}
			return nil
		}
		for i := 0; ; i++ {
			item, ok, err := items.Next(ctx)
			if err != nil {
				return asFailure(err, failure.ItemReaderFailed)
			}
			if !ok {
				break
			}
			in, err := states.MapItemInput(rd.state, &rd.plan.MapPlan, item, rd.env(i, item, items.Source()))
			if err != nil {
				return asFailure(err, failure.ItemReaderFailed)
			}
			if b == nil {
				if fe := emit(in); fe != nil || storeErr != nil {
					return fe
				}
			} else if out := b.Add(in); out != nil {
				if fe := emit(out); fe != nil || storeErr != nil {
					return fe
				}
			}
		}
		if b != nil {
			if out := b.Flush(); out != nil {
				if fe := emit(out); fe != nil {
					return fe
				}
			}
		}
		return flush()
	}()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if storeErr != nil && ferr == nil {
		return storeErr
	}
	_, _, err := e.modify(ctx, parentID, func(r *run) bool { return r.itemsReady(rd.thread, rd.run, total, true, ferr) })
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// putChunk writes one chunk of a run's inputs (again: the same content).
func (e *Engine) putChunk(ctx context.Context, name string, chunk []any) error {
	data := value.Marshal(chunk)
	d, err := e.store.GetDoc(ctx, mapItemsDocKind, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d = store.Doc{Kind: mapItemsDocKind, Name: name}
	case err != nil:
		return err
	}
	d.Data = data
	_, err = e.store.PutDoc(ctx, d)
	return err
}

// itemsReady applies the end of a run's reading to its Map thread.
// itemsReady applies what a run's reading has stored: total children's
// inputs so far (their chunks are written), and, when final, that the
// reading ended, or how it failed. A reading done again (a recovery) tells
// totals it told before: they only ever grow.
func (r *run) itemsReady(threadID int, runID string, total int, final bool, ferr *failure.Error) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseChildren || t.Children == nil ||
		t.Children.Run == nil || t.Children.Run.ID != runID || !t.Children.Run.Reading {
		return false
	}
	s := r.state(t)
	run := t.Children.Run
	r.touch(t)
	if ferr != nil {
		run.Reading = false
		r.mapRunFailed(t, s, ferr)
		r.drain()
		return true
	}
	if total <= run.Total && !final {
		return false
	}
	run.Total = max(run.Total, total)
	if final {
		run.Reading = false
		r.runDocs = append(r.runDocs, r.mapRunView(t, t.Children, MapRunRunning))
		if !r.runTolerated(t.Children) {
			r.mapRunFailed(t, s, failure.New(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
			r.drain()
			return true
		}
	}
	r.continueMapRun(t, s)
	r.drain()
	return true
}

// resultsWrite is an effect: write a run's results with its ResultWriter,
// or, for a ResultWriter with only a WriterConfig (inState), shape them
// as the Map state's result.
type resultsWrite struct {
	thread  int
	run     mapRun
	arn     string
	smARN   string
	req     itemio.WriteRequest
	inState bool
}

// resultsWriteOf is the ResultWriter effect of Map thread t's run.
func (r *run) resultsWriteOf(t *thread, w *dsl.ResultWriter) resultsWrite {
	run := t.Children.Run
	arn := r.runARN(run)
	var params value.Value
	if run.Writer != nil {
		params = run.Writer.V
	}
	return resultsWrite{thread: t.ID, run: *run, arn: arn, smARN: r.space.StateMachine(run.Machine), inState: w.Resource == "",
		req: itemio.WriteRequest{Params: params, MapRunARN: arn, OutputType: w.OutputType, Transformation: w.Transformation}}
}

// writeResultsLater writes a run's results in the background, until it
// sticks or the engine stops.
func (e *Engine) writeResultsLater(parentID string, w resultsWrite) {
	if !e.active.claim("write " + w.run.ID) {
		return // under way on this node already (a recovery found it again)
	}
	e.untilDone("Map Run results not written yet", slog.String("execution_id", parentID), func() error {
		err := e.writeResults(e.ctx, parentID, w)
		if err == nil {
			e.active.release("write " + w.run.ID)
		}
		return err
	})
}

// activeSet names the long background works (a run's reading, its
// writing) under way on this node, so that a recovery that finds them
// again does not start them twice here.
type activeSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (a *activeSet) claim(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m[name] {
		return false
	}
	if a.m == nil {
		a.m = map[string]bool{}
	}
	a.m[name] = true
	return true
}

func (a *activeSet) release(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, name)
}

// writeResults reads the run's children back and writes their results.
func (e *Engine) writeResults(ctx context.Context, parentID string, w resultsWrite) error {
	var details itemio.WriterDetails
	var shaped []any // inState: the Map state's result
	var storeErr error
	ferr := func() *failure.Error {
		if e.cfg.ItemIO == nil && !w.inState {
			return failure.New(failure.ResultWriterFailed, "this server has no object stores configured (sfn serve --object-stores)")
		}
		// The children are read back side by side (readers at once), each
		// into its own slot: the files list them in item order.
		const readers = 64
		results := make([]itemio.Result, w.run.Total)
		found := make([]bool, w.run.Total)
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		for range min(readers, w.run.Total) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for failed.Load() == nil {
					i := int(next.Add(1) - 1)
					if i >= w.run.Total {
						return
					}
					rec, err := e.store.GetExecution(ctx, w.run.childID(i))
					if errors.Is(err, store.ErrNotFound) {
						continue // never started
					}
					if err != nil {
						failed.Store(&err)
						return
					}
					found[i] = true
					results[i] = itemio.Result{Index: i, ExecutionArn: e.cfg.Space.ExecutionOfID(rec.ID), Name: rec.Name,
						Status: rec.Status, Input: rec.Input, Output: rec.Output, Error: rec.Error, Cause: rec.Cause,
						StartDate: rec.StartedAt, StopDate: rec.StoppedAt, StateMachineArn: w.smARN, RedriveCount: rec.RedriveCount}
				}
			}()
		}
		wg.Wait()
		if p := failed.Load(); p != nil {
			storeErr = *p // the store's: written again, not a failure of the run
			return nil
		}
		n := 0
		for i, ok := range found {
			if ok {
				results[n] = results[i]
				n++
			}
		}
		results = results[:n]
		if w.inState {
			var err error
			if shaped, err = itemio.Transform(results, w.req.Transformation); err != nil {
				return asFailure(err, failure.ResultWriterFailed)
			}
			return nil
		}
		d, err := e.cfg.ItemIO.Write(ctx, w.req, results)
		if err != nil {
			return asFailure(err, failure.ResultWriterFailed)
		}
		details = d
		return nil
	}()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if storeErr != nil && ferr == nil {
		return storeErr
	}
	_, _, err := e.modify(ctx, parentID, func(r *run) bool {
		if w.inState && ferr == nil {
			return r.resultsWritten(w.thread, w.run.ID, shaped, nil)
		}
		return r.resultsWritten(w.thread, w.run.ID, value.ObjectOf("MapRunArn", w.arn, "ResultWriterDetails",
			value.ObjectOf("Bucket", details.Bucket, "Key", details.Key)), ferr)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// resultsWritten applies the end of a run's ResultWriter: result is the
// Map state's (the writer's details, or the shaped results).
func (r *run) resultsWritten(threadID int, runID string, result value.Value, ferr *failure.Error) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseChildren || t.Children == nil ||
		t.Children.Run == nil || t.Children.Run.ID != runID || !t.Children.Run.Writing {
		return false
	}
	s := r.state(t)
	t.Children.Run.Writing = false
	r.touch(t)
	if ferr != nil {
		r.mapRunFailed(t, s, ferr)
	} else {
		r.mapRunSucceeded(t, s, result)
	}
	r.drain()
	return true
}

// asFailure is err as a *failure.Error (a handler's, a reader's), named
// name when it is not one.
func asFailure(err error, name string) *failure.Error {
	var fe *failure.Error
	if errors.As(err, &fe) {
		return fe
	}
	return failure.New(name, err.Error())
}

// readRequest is an ItemReader's request, its Parameters (or Arguments)
// and MaxItems evaluated (states.DistributedStart).
func readRequest(rd *dsl.ItemReader, c *states.ReaderCall) itemio.ReadRequest {
	return itemio.ReadRequest{Resource: rd.Resource, Params: c.Parameters, InputType: rd.InputType, CSVHeaderLocation: rd.CSVHeaderLocation,
		CSVHeaders: rd.CSVHeaders, CSVDelimiter: rd.CSVDelimiter, MaxItems: c.MaxItems}
}

// runResults are a Map Run's results as they come, "[index,value]" pairs
// in the order the children ended: kept as JSON text, so that a commit of
// the Map's thread copies them instead of encoding a map (they may be up
// to the payload limit, and the thread is written at every child's end).
// The text is as encoding/json would store it (compact, HTML-escaped), so
// that it reads back the same.
type runResults struct{ raw []byte }

// add appends child i's result, v as JSON.
func (rr *runResults) add(i int, v []byte) {
	if len(rr.raw) > 0 {
		rr.raw = append(rr.raw, ',')
	}
	rr.raw = append(rr.raw, '[')
	rr.raw = strconv.AppendInt(rr.raw, int64(i), 10)
	rr.raw = append(rr.raw, ',')
	if bytes.IndexAny(v, "<>&\u2028\u2029") >= 0 {
		var esc bytes.Buffer
		json.HTMLEscape(&esc, v)
		v = esc.Bytes()
	}
	rr.raw = append(rr.raw, v...)
	rr.raw = append(rr.raw, ']')
}

// array is the results in item order, null for a child without one.
func (rr runResults) array(total int) ([]any, error) {
	out := make([]any, total)
	if len(rr.raw) == 0 {
		return out, nil
	}
	v, err := value.Decode(rr.MarshalJSONBytes())
	if err != nil {
		return nil, err
	}
	pairs, _ := v.([]any)
	for _, p := range pairs {
		pair, _ := p.([]any)
		if len(pair) != 2 {
			return nil, fmt.Errorf("a damaged result entry")
		}
		n, _ := pair[0].(value.Number)
		i, ok := n.Int64()
		if !ok || i < 0 || int(i) >= total {
			return nil, fmt.Errorf("a result for child %v of %d", pair[0], total)
		}
		out[i] = pair[1]
	}
	return out, nil
}

// IsZero makes an empty set of results absent from the record.
func (rr runResults) IsZero() bool { return len(rr.raw) == 0 }

// MarshalJSONBytes is the results as a JSON array.
func (rr runResults) MarshalJSONBytes() []byte {
	b := make([]byte, 0, len(rr.raw)+2)
	b = append(b, '[')
	b = append(b, rr.raw...)
	return append(b, ']')
}

func (rr runResults) MarshalJSON() ([]byte, error) { return rr.MarshalJSONBytes(), nil }

// UnmarshalJSON keeps the pairs as the encoder wrote them (compact,
// HTML-escaped, as for lazyJV).
func (rr *runResults) UnmarshalJSON(b []byte) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	raw := buf.Bytes()
	if bytes.IndexAny(raw, "<>&\u2028\u2029") >= 0 {
		var esc bytes.Buffer
		json.HTMLEscape(&esc, raw)
		raw = esc.Bytes()
	}
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return fmt.Errorf("Map Run results: not a JSON array")
	}
	rr.raw = append([]byte(nil), raw[1:len(raw)-1]...)
	return nil
}
