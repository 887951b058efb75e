package interpreter

// Distributed Map: a Map whose ItemProcessor runs in DISTRIBUTED mode runs
// each item (or batch of items) as a child execution of its own, linked to
// the Map's thread by a Map Run. The parent's history holds the Map Run's
// start and end only, never an event per item, so a Map over any number of
// items fits in it. The Map thread keeps, per child, whether it started and
// whether it ended, and the results (bounded by the payload limit, as the
// state's result is); the children's ends come back through the outbox
// (children.go), one commit on the parent for each.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
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
	// Path locates the Map state in the parent's definition: the
	// children run its processor.
	Path      []scopeStep `json:"path"`
	StartedAt time.Time   `json:"startedAt"`
	// Counts of the children that ended, by how.
	Succeeded int  `json:"succeeded,omitempty"`
	Failed    int  `json:"failed,omitempty"`
	TimedOut  int  `json:"timedOut,omitempty"`
	Aborted   int  `json:"aborted,omitempty"`
	Express   bool `json:"express,omitempty"` // ExecutionType EXPRESS (run as standard children here)
}

// childLaunch is an effect: a Map Run child to start once the step commits.
type childLaunch struct {
	Machine string
	Version int
	Name    string
	Input   value.Value
	Link    parentLink
}

// DefaultMapRunChildren is Config.MapRunChildren's default: how many
// children of one Map Run run at once at most when its MaxConcurrency is 0
// or larger (AWS allows up to 10,000; a self-hosted store and its nodes
// stay healthy with fewer).
const DefaultMapRunChildren = 1000

// mapRunChildName is the name of a Map Run's child number index: derived
// from the run and the index, so that starting it again (a node that took
// the parent's partition over) finds the child started before. It has the
// shape of a UUID, as AWS's child names.
func mapRunChildName(runID string, index int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s#%d", runID, index))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// mapRunChildID is the stored id of a Map Run's child.
func (m *mapRun) childID(index int) string { return m.Machine + ":" + mapRunChildName(m.ID, index) }

// startDistributed starts a distributed Map: MapStateStarted, the
// tolerated-failure fields (read after it, as AWS does), MapRunStarted,
// and the first children.
func (r *run) startDistributed(t *thread, s *dsl.State) {
	env := r.env(t, s, "")
	plan, err := distStart(s, t.Input.Get(), env)
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	r.event(t.Prev, "MapStateStarted").int("length", int64(plan.Length)).endIn(t)
	if err := distTolerance(s, &plan, env); err != nil {
		// AWS fails the execution here: no MapRunStarted, no MapStateFailed.
		r.finishThread(t, nil, r.runtimeErr(t, s, err))
		return
	}
	inputs, err := distChildInputs(s, &plan, func(i int, item value.Value) states.Env {
		e := r.contextEnv(t, s, "")
		e.Context.(*value.Object).Set("Map", states.MapItemContext(i, item))
		return e
	})
	if err != nil {
		r.stateFailedMapRun(t, s, r.runtimeErr(t, s, err))
		return
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
	run := &mapRun{ID: id, Machine: r.smName + "/" + label, Label: label, Path: path, StartedAt: r.now,
		Express: s.Distributed.ExecutionType == "EXPRESS"}
	started := r.event(t.Prev, "MapRunStarted").str("mapRunArn", r.space.MapRun(r.smName, label, id)).endIn(t)
	n := len(inputs)
	items := make([]any, n)
	copy(items, inputs)
	cw := &childrenWait{StartedID: started, Kids: make([]int, n), Results: make([]jv, n), Done: make([]bool, n),
		MaxConc: plan.MaxConcurrency, Items: lazyOf(items), TolPct: plan.TolerancePercent, HasPct: plan.HasPercent,
		TolCount: plan.ToleranceCount, HasCount: plan.HasCount, LastEvent: started, Succeeded: make([]bool, n), Run: run}
	t.Children, t.Phase = cw, phaseChildren
	if r.hdr.Enc < encodingChildren {
		r.hdr.Enc = encodingChildren
	}
	r.touch(t)
	r.restoreKept(t, cw)
	cw.Resume = nil // a redrive starts failed children afresh, as new children
	for _, done := range cw.Done {
		if done {
			run.Succeeded++ // succeeded before a redrive
		}
	}
	r.runDocs = append(r.runDocs, r.mapRunView(t, cw, MapRunRunning))
	r.launchChildren(t, s)
	if cw.Running == 0 && cw.NextIndex >= n {
		r.mapRunSucceeded(t, s)
	}
}

// stateFailedMapRun fails a distributed Map whose run cannot go on.
func (r *run) stateFailedMapRun(t *thread, s *dsl.State, fe *failure.Error) {
	r.stateFailed(t, s, fe)
}

// launchChildren starts children of Map thread t up to its concurrency, in
// item order. Their starts are effects: the children are created after
// this step commits (and again by a node that recovers the parent).
func (r *run) launchChildren(t *thread, s *dsl.State) {
	cw := t.Children
	limit := int64(r.limits.MapRunChildren)
	if limit <= 0 {
		limit = DefaultMapRunChildren
	}
	if cw.MaxConc > 0 && cw.MaxConc < limit {
		limit = cw.MaxConc
	}
	for cw.NextIndex < len(cw.Kids) && int64(cw.Running) < limit {
		i := cw.NextIndex
		cw.NextIndex++
		if cw.Done[i] {
			continue // succeeded before a redrive
		}
		in, ok := cw.Items.Index(i)
		if !ok {
			continue // a damaged record: nothing to start
		}
		cw.Kids[i] = 1
		cw.Running++
		r.launches = append(r.launches, r.launchOf(t, i, in))
	}
	r.touch(t)
}

// launchOf is the start of Map thread t's child number i.
func (r *run) launchOf(t *thread, i int, input value.Value) childLaunch {
	cw := t.Children
	return childLaunch{Machine: cw.Run.Machine, Version: r.version, Name: mapRunChildName(cw.Run.ID, i), Input: input,
		Link: parentLink{ID: r.id, Thread: t.ID, ScheduledID: cw.StartedID, Run: cw.Run.ID, Index: i, Path: cw.Run.Path}}
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
	cw, i := t.Children, link.Index
	if i < 0 || i >= len(cw.Done) || cw.Done[i] || cw.Kids[i] == 0 {
		return false
	}
	s := r.state(t)
	if s == nil {
		return false
	}
	cw.Done[i] = true
	cw.Running--
	r.touch(t)
	run := cw.Run
	if rec.Status == store.StatusSucceeded {
		out, err := value.Decode(rec.Output)
		if err != nil {
			out = nil
		}
		cw.Results[i], cw.Succeeded[i] = jv{out}, true
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
		cw.Failed++
		cw.Results[i] = jv{states.ErrorOutput(failure.New(rec.Error, rec.Cause))}
		tol := states.MapPlan{TolerancePercent: cw.TolPct, HasPercent: cw.HasPct, ToleranceCount: cw.TolCount, HasCount: cw.HasCount}
		if !tol.Tolerated(cw.Failed, len(cw.Kids)) {
			r.mapRunFailed(t, s, failure.New(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
			r.drain()
			return true
		}
	}
	r.launchChildren(t, s)
	if cw.Running == 0 && cw.NextIndex >= len(cw.Kids) {
		r.mapRunSucceeded(t, s)
	}
	r.drain()
	return true
}

// recheckMapRun applies a Map Run's changed bounds (UpdateMapRun): fail
// it when its failures are now beyond its tolerance, else start what the
// new concurrency allows.
func (r *run) recheckMapRun(t *thread, s *dsl.State) {
	cw := t.Children
	tol := states.MapPlan{TolerancePercent: cw.TolPct, HasPercent: cw.HasPct, ToleranceCount: cw.TolCount, HasCount: cw.HasCount}
	if !tol.Tolerated(cw.Failed, len(cw.Kids)) {
		r.mapRunFailed(t, s, failure.New(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
	} else {
		r.launchChildren(t, s)
		if cw.Running == 0 && cw.NextIndex >= len(cw.Kids) {
			r.mapRunSucceeded(t, s)
		}
	}
	r.drain()
}

// mapRunSucceeded ends a Map Run whose children all ended within its
// tolerance: MapRunSucceeded, then the Map state succeeds with the results.
func (r *run) mapRunSucceeded(t *thread, s *dsl.State) {
	r.event(t.Prev, "MapRunSucceeded").endIn(t)
	r.mapRunEnded(t, "SUCCEEDED")
	r.childrenDone(t, s)
	r.drainParent(t)
}

// mapRunFailed ends a Map Run that cannot succeed: MapRunFailed, its
// running children stopped, and the Map state fails with fe (Retry and
// Catch apply).
func (r *run) mapRunFailed(t *thread, s *dsl.State, fe *failure.Error) {
	r.event(t.Prev, "MapRunFailed").optStr("error", fe.Name).optStr("cause", fe.Cause).endIn(t)
	r.stopRunChildren(t)
	r.mapRunEnded(t, "FAILED")
	t.Keep = keep(t.Children)
	t.Children, t.Phase = nil, phaseReady
	r.touch(t)
	r.stateFailed(t, s, fe)
	r.drainParent(t)
}

// abortMapRun stops a Map Run whose execution stops, times out, or whose
// enclosing Parallel or Map fails: MapRunAborted (not on a timeout, where
// AWS writes no …Aborted events) and its running children stopped.
func (r *run) abortMapRun(t *thread, timedOut bool) {
	if !timedOut {
		r.event(t.Prev, "MapRunAborted").endIn(t)
	}
	r.stopRunChildren(t)
	r.mapRunEnded(t, "ABORTED")
}

// stopRunChildren stops the children of t's Map Run that have not ended.
func (r *run) stopRunChildren(t *thread) {
	cw := t.Children
	for i, started := range cw.Kids {
		if started != 0 && !cw.Done[i] {
			r.stopKids = append(r.stopKids, cw.Run.childID(i))
		}
	}
}

// mapRunEnded records, as an effect, how the Map Run of t ended, for the
// Map Run's own record (DescribeMapRun after the parent moved on).
func (r *run) mapRunEnded(t *thread, status string) {
	cw := t.Children
	r.runDocs = append(r.runDocs, r.mapRunView(t, cw, status))
}

// launch starts Map Run children (effects of a committed step), each on a
// kept worker, until it sticks or the engine stops.
func (e *Engine) launch(parentID string, ls []childLaunch) {
	for _, l := range ls {
		e.wg.Add(1)
		e.workers.run(func() {
			defer e.wg.Done()
			for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
				err := e.startMapRunChild(e.ctx, l)
				if err == nil || e.ctx.Err() != nil {
					return
				}
				e.log.Warn("Map Run child not started yet; retrying", slog.String("execution_id", parentID), slog.Int("index", l.Link.Index), slog.Any("error", err))
				select {
				case <-e.ctx.Done():
					return
				case <-e.cfg.Clock.After(backoff):
				}
			}
		})
	}
}

// startMapRunChild creates one Map Run child. A child that cannot start
// at all (its input is over the payload limit) ends the parent's wait for
// it as a failed child, so that the run goes on or fails by its tolerance.
func (e *Engine) startMapRunChild(ctx context.Context, l childLaunch) error {
	in := value.Marshal(l.Input)
	link := l.Link
	_, _, err := e.startExecution(ctx, StartParams{StateMachine: l.Machine, Name: l.Name, Input: in, Version: l.Version}, &link)
	var fe *failure.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrPayloadTooLarge):
		fe = failure.Newf(failure.DataLimitExceeded, "The input of the Map Run's child %d is larger than the maximum of %d bytes", link.Index, e.cfg.Limits.MaxPayload)
	case errors.Is(err, store.ErrAlreadyExists):
		fe = failure.Newf(failure.TaskFailed, "The Map Run's child %d: %v", link.Index, err)
	default:
		return err
	}
	failed := &store.Execution{ID: l.Machine + ":" + l.Name, Name: l.Name, Status: store.StatusFailed, Error: fe.Name, Cause: fe.Cause}
	_, _, merr := e.modify(ctx, link.ID, func(r *run) bool { return r.mapRunChildEnded(&link, failed) })
	if errors.Is(merr, store.ErrNotFound) {
		return nil
	}
	return merr
}

// tellMapRun commits a Map Run child's end on its parent.
func (e *Engine) tellMapRun(ctx context.Context, link *parentLink, rec *store.Execution) error {
	_, _, err := e.modify(ctx, link.ID, func(r *run) bool { return r.mapRunChildEnded(link, rec) })
	return err
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

// relaunch starts again the children a recovered parent's Map Runs have
// running: those already created are found under their names.
func (e *Engine) relaunch(r *run) (any bool) {
	var ls []childLaunch
	for _, t := range r.threads {
		cw := t.Children
		if t.Phase != phaseChildren || cw == nil || cw.Run == nil {
			continue
		}
		any = true
		for i, started := range cw.Kids {
			if started != 0 && !cw.Done[i] {
				in, ok := cw.Items.Index(i)
				if ok {
					ls = append(ls, r.launchOf(t, i, in))
				}
			}
		}
	}
	if len(ls) > 0 {
		e.launch(r.id, ls)
	}
	return any
}
