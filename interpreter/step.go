package interpreter

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/intrinsic"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/states"
	"github.com/sfn-project/sfn/store"
)

// stepDeps are the step's sources of randomness, injected so that the core
// stays deterministic under test.
type stepDeps struct {
	UUID   func() string
	Random func() float64
	Secret func() string // the unguessable part of a task token
	// ContextIDs is Config.ContextIDs.
	ContextIDs func(id string) (execID, execName string, ok bool)
	// Mocks is Config.Mocks.
	Mocks *mockconfig.Config
}

// mock is the mocked answer to call number call of state in an execution
// of state machine sm started with test case tc; ok is false when the
// test case does not mock the state (it runs for real). A mocked
// execution on a server whose mock configuration no longer has its test
// case gets failed calls (States.Runtime), never real ones.
func (d stepDeps) mock(sm, tc, state string, call int) (m mockconfig.Mocked, ok bool) {
	if d.Mocks == nil {
		return mockconfig.Mocked{Err: failure.Newf(failure.Runtime, "the execution was started with the test case %q, and this server has no mock configuration (sfn serve --mock-config) to answer its calls", tc)}, true
	}
	t, err := d.Mocks.TestCase(mockedMachine(sm), tc)
	if err != nil {
		return mockconfig.Mocked{Err: failure.Newf(failure.Runtime, "the execution was started with the test case %q: %v", tc, err)}, true
	}
	return t.Mock(state, call)
}

// Limits are the per-execution limits (AWS's by default).
type Limits struct {
	// MaxPayload bounds a state's input and output, and task results (bytes).
	MaxPayload int
	// MaxHistory bounds the events of one execution, its last event
	// included: an execution that would write more fails (States.Runtime).
	MaxHistory int
	// StepEvents is how many events a step may write before it commits and
	// continues in a new step (so a loop of pure states still checkpoints,
	// and no commit carries a whole Map at once). A step begins a state, a
	// timer or a Map iteration only when what it may write on the way to
	// success fits (unitEvents); a failure that stops a Parallel's or Map's
	// running children writes their …Aborted events in the same commit (the
	// abort is one change; they are at most 40 per Map and always within
	// MaxHistory).
	StepEvents int
	// StepBytes is how many bytes of events a step may write before it
	// commits and continues in a new step; the work under way finishes its
	// own events (each at most about MaxPayload). 0: DefaultLimits'.
	StepBytes int
	// MapRunChildren bounds the children one Map Run has running at once
	// (a distributed Map's MaxConcurrency 0 or above it); 0:
	// DefaultMapRunChildren.
	MapRunChildren int
}

// DefaultLimits are AWS Step Functions' limits, and the engine's own bounds
// on one commit (StepEvents, StepBytes: a commit of 1 MiB keeps one Redis
// script call in the tens of milliseconds).
var DefaultLimits = Limits{MaxPayload: 256 * 1024, MaxHistory: 25000, StepEvents: 1000, StepBytes: 1 << 20}

// taskCall is an effect: a task attempt to perform once the step commits.
type taskCall struct {
	State       string
	Attempt     int
	Thread      int
	ScheduledID int64
	Spec        *dsl.TaskSpec
	Params      value.Value
	Token       string
	Timeout     int64
	Heartbeat   int64
	// Started is when the execution started: a child execution's derived
	// name and its link tell this execution from an earlier one of the
	// same name (retention freed the name, not the child).
	Started time.Time
	// Mock, when set, is the mocked answer of a mocked execution's call:
	// no call is made.
	Mock *mockconfig.Mocked
	// Call is the attempt's call number among its state's attempts in the
	// execution (from 0, retries included), in executions that count them.
	Call int
	// release gives back the slot of the limit the call was made under
	// (calllimits.go); nil when it is under none.
	release func()
	// limitWait and limitKey are a recovered attempt's recorded wait for
	// a limit (zero: none): it ends before the call is made.
	limitWait time.Time
	limitKey  string
	// limitWaited is how long the call waited for limitKey's slot.
	limitWaited time.Duration
}

// run is one execution while a step works on it: decoded, changed in
// memory, then committed as a whole. It does no I/O.
type run struct {
	// memo is the JSONata form of the last object a JSONata expression of
	// this step produced (intrinsic.Memo): the next state's input.
	memo                 intrinsic.Memo
	id, smName, execName string
	version              int
	status               string
	input, output        value.Value
	inputJSON            []byte // the stored input; input is decoded from it when first needed
	errName, cause       string
	startedAt, stoppedAt time.Time
	inputHash            string

	hdr     header
	def     *dsl.Definition
	threads map[int]*thread
	dirty   map[int]bool
	deleted map[int]bool
	lastID  int64
	events  []store.Event
	size    int
	ew      eventWriter
	rep     report
	arena   []byte    // event bytes of this step
	scratch []byte    // where an event that does not fit in the history is written, and dropped
	tsTime  time.Time // the last timestamp formatted, and its text
	tsText  []byte
	now     time.Time
	deps    stepDeps
	limits  Limits
	space   arn.Space // where the context object's ARNs point (hdr.ARNIDs)
	runq    []int
	running int // the thread runThread is advancing (it needs no queue entry)
	// overflow is set when an event did not fit in the history (event):
	// the step ends the execution with the history error (historyFull).
	overflow bool

	calls      []taskCall
	cancels    []string       // tokens of tasks withdrawn by this step
	stopKids   []stopKid      // child executions this step no longer waits for
	launches   []childLaunch  // Map Run children to start
	reads      []itemsRead    // Map Runs whose items to read
	writes     []resultsWrite // Map Runs whose results to write
	dropChunks []runChunks    // ended Map Runs whose item chunks to delete
	runDocs    []MapRun       // Map Runs whose records to write (started, ended)
	activities []store.ActivityTask
	claim      *store.ActivityTask  // a held activity task this step's commit takes out of its queue
	withdrawn  []store.ActivityTask // activity tasks queued earlier that this step withdrew
	execCtx    *value.Object
	smCtx      *value.Object
}

func (r *run) touch(t *thread) { r.dirty[t.ID] = true }

func (r *run) newThread(parent, index int, scope []scopeStep, state string, input value.Value, prev int64) *thread {
	r.hdr.NextThread++
	t := &thread{ID: r.hdr.NextThread, Parent: parent, Index: index, Scope: scope, State: state, Input: lazyOf(input), Prev: prev}
	r.threads[t.ID] = t
	r.touch(t)
	return t
}

func (r *run) dropThread(t *thread) {
	delete(r.threads, t.ID)
	delete(r.dirty, t.ID)
	r.deleted[t.ID] = true
}

func (r *run) enqueue(t *thread) { r.runq = append(r.runq, t.ID) }

func (r *run) state(t *thread) *dsl.State {
	m := machineOf(r.def, t.Scope)
	if m == nil {
		return nil
	}
	return m.States[t.State]
}

// ---- inputs ----

// start writes ExecutionStarted and enters the first state.
func (r *run) start() {
	w := r.event(0, "ExecutionStarted").val("input", r.input).int("version", int64(r.version))
	if r.hdr.Mock.caseName() != "" {
		// A mocked execution says so from its first event.
		w.str("testCase", r.hdr.Mock.Case)
	}
	id := w.end()
	if r.def.TimeoutSeconds > 0 {
		r.hdr.TimeoutAt = r.now.Add(time.Duration(r.def.TimeoutSeconds) * time.Second)
	}
	root := r.newThread(-1, 0, nil, r.def.StartAt, r.input, id)
	r.enqueue(root)
	r.drain()
}

// resume continues what a step that yielded left: runnable threads, and
// Map iterations it had no room to start.
func (r *run) resume() {
	for _, id := range r.sortedThreadIDs() {
		t := r.threads[id]
		switch {
		case t == nil || r.status != store.StatusRunning:
			// dropped by a Map that failed meanwhile, or the execution ended
		case t.Phase == phaseReady:
			r.enqueue(t)
		case r.startsPending(t):
			r.continueMap(t, r.state(t))
		}
	}
	r.drain()
}

func (r *run) sortedThreadIDs() []int {
	ids := make([]int, 0, len(r.threads))
	for id := range r.threads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// fireTimers handles every deadline at or before now.
func (r *run) fireTimers() {
	if r.status != store.StatusRunning {
		return
	}
	if !r.hdr.TimeoutAt.IsZero() && !r.now.Before(r.hdr.TimeoutAt) {
		r.abort(failure.Timeout, "", true)
		return
	}
	for _, id := range r.sortedThreadIDs() {
		t := r.threads[id]
		if t == nil {
			continue
		}
		if r.status != store.StatusRunning || r.historyFull() || r.full(unitEvents(t)) {
			break // a thread still due keeps the record due now: the next step fires it
		}
		switch t.Phase {
		case phaseWait:
			if !r.now.Before(t.WakeAt) {
				s := r.state(t)
				out := t.Pending.V
				t.Pending, t.WakeAt = jv{}, time.Time{}
				t.Phase = phaseReady
				r.exitWait(t, s, out)
			}
		case phaseBackoff:
			if !r.now.Before(t.WakeAt) {
				t.Phase, t.WakeAt = phaseReady, time.Time{}
				r.touch(t)
				r.enqueue(t)
			}
		case phaseTask:
			tw := t.Task
			timedOut := !tw.TimeoutAt.IsZero() && !r.now.Before(tw.TimeoutAt)
			heartbeatMissed := !tw.HeartbeatAt.IsZero() && !r.now.Before(tw.HeartbeatAt)
			if timedOut || heartbeatMissed {
				cause := ""
				if heartbeatMissed && !timedOut {
					cause = "The task missed its heartbeat: no heartbeat within " + fmt.Sprint(tw.Heartbeat) + " seconds"
				}
				s := r.state(t)
				if s.Task.Kind != dsl.ActivityTask {
					r.markStarted(t, s, "") // the call was under way
				}
				r.event(t.Prev, tw.eventName("TimedOut")).str("error", failure.Timeout).optStr("cause", cause).endIn(t)
				r.noteTask(s, tw, "timed_out")
				r.withdraw(t)
				t.Task = nil
				t.Phase = phaseReady
				if heartbeatMissed && !timedOut {
					// Reported as States.Timeout (as AWS), but Retry and
					// Catch also match it by States.HeartbeatTimeout.
					r.stateFailedAs(t, s, failure.New(failure.Timeout, cause), failure.HeartbeatTimeout)
				} else {
					r.stateFailed(t, s, &failure.Error{Name: failure.Timeout, Cause: cause, Heartbeat: heartbeatMissed && !timedOut})
				}
			}
		}
	}
	r.drain()
}

// taskResult applies a task's outcome. It reports false when the attempt it
// names is no longer waiting (a late or duplicate answer).
func (r *run) taskResult(threadID int, scheduledID int64, output value.Value, ferr *failure.Error) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil || t.Task.ScheduledID != scheduledID {
		return false
	}
	s := r.state(t)
	r.markStarted(t, s, "")
	tw := t.Task
	t.Task = nil
	t.Phase = phaseReady
	if ferr != nil {
		r.noteTask(s, tw, "failed")
		r.event(t.Prev, tw.eventName("Failed")).optStr("error", ferr.Name).optStr("cause", ferr.Cause).optStr("mockedResponse", tw.Mock).endIn(t)
		r.stateFailed(t, s, ferr)
		r.drain()
		return true
	}
	encoded := value.Marshal(output) // measured once, written as is
	if n := len(encoded); n > r.limits.MaxPayload {
		ferr = failure.Newf(failure.DataLimitExceeded, "The task result of %d bytes exceeds the maximum of %d bytes", n, r.limits.MaxPayload)
		r.event(t.Prev, tw.eventName("Failed")).str("error", ferr.Name).str("cause", ferr.Cause).endIn(t)
		r.stateFailed(t, s, ferr)
		r.drain()
		return true
	}
	r.event(t.Prev, tw.eventName("Succeeded")).raw("output", encoded).optStr("mockedResponse", tw.Mock).endIn(t)
	r.noteTask(s, tw, "succeeded")
	env := r.env(t, s, "")
	out, vars, err := states.TaskOutput(s, t.Input.Get(), output, env)
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
	} else {
		r.exitState(t, s, out, vars) // moveTo queues the thread for its next state
	}
	r.drain()
	return true
}

// markStarted writes TaskStarted (ActivityStarted) once per attempt.
func (r *run) markStarted(t *thread, s *dsl.State, worker string) {
	if t.Task == nil || t.Task.Started {
		return
	}
	t.Task.Started = true
	r.touch(t)
	w := r.event(t.Prev, t.Task.eventName("Started")).str("resource", s.Task.Resource)
	if s.Task.Kind == dsl.ActivityTask {
		w.optStr("workerName", worker)
	}
	if t.Task.LimitKey != "" {
		// The attempt waited for its key's limit before it was made (an
		// sfn extension of the event): which key, and how long.
		w.str("limitKey", t.Task.LimitKey).raw("limitWaitSeconds", strconv.AppendFloat(nil, float64(t.Task.LimitWaited)/1000, 'f', -1, 64))
	}
	w.endIn(t)
}

// submitted records that a callback task's request was acknowledged: the
// state now waits for the token to come back.
func (r *run) submitted(threadID int, scheduledID int64, response value.Value) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil || t.Task.ScheduledID != scheduledID || t.Task.Submitted {
		return false // a call made twice (recovery raced its first dispatch) is acknowledged once
	}
	s := r.state(t)
	r.markStarted(t, s, "")
	r.event(t.Prev, "TaskSubmitted").str("resource", s.Task.Resource).val("output", response).endIn(t)
	if s.Task.Kind == dsl.ExecutionTask {
		// Encoding 4: only a child execution's attempt reads them.
		t.Task.Submitted = true
		if s.Task.Sync > 0 {
			t.Task.Child = childOf(s, response)
		}
		if r.hdr.Enc < encodingChildren {
			r.hdr.Enc = encodingChildren
		}
	}
	r.touch(t)
	r.historyFull()
	return true
}

// heartbeat extends a task's heartbeat deadline.
func (r *run) heartbeat(threadID int, scheduledID int64) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil || t.Task.ScheduledID != scheduledID {
		return false
	}
	if t.Task.Heartbeat > 0 {
		t.Task.HeartbeatAt = r.now.Add(time.Duration(t.Task.Heartbeat) * time.Second)
		r.touch(t)
	}
	return true
}

// activityStarted records that a worker took an activity task.
func (r *run) activityStarted(threadID int, scheduledID int64, worker string) bool {
	t := r.threads[threadID]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil || t.Task.ScheduledID != scheduledID || t.Task.Started {
		return false
	}
	r.markStarted(t, r.state(t), worker)
	t.Task.Worker = worker
	if t.Task.Heartbeat > 0 {
		t.Task.HeartbeatAt = r.now.Add(time.Duration(t.Task.Heartbeat) * time.Second)
	}
	r.historyFull()
	return true
}

// abort ends a running execution: stopped (ABORTED) or timed out (TIMED_OUT).
func (r *run) abort(errName, cause string, timedOut bool) {
	if r.status != store.StatusRunning {
		return
	}
	ids := r.sortedThreadIDs()
	for i := len(ids) - 1; i >= 0; i-- {
		t := r.threads[ids[i]]
		if t.Phase == phaseDone {
			continue
		}
		if t.Task != nil {
			r.withdraw(t)
		}
		if t.Children != nil && t.Children.Run != nil {
			r.abortMapRun(t, timedOut)
		}
		if timedOut {
			continue // AWS writes no …StateAborted events on a timeout
		}
		// A stop cuts short the states that are running something (a task,
		// branches, iterations): AWS records their …StateAborted. A Wait is
		// only waiting, and AWS records no WaitStateAborted when an
		// execution is stopped during one (LocalStack's recording of AWS,
		// test_stop_execution: ExecutionStarted, WaitStateEntered,
		// ExecutionAborted).
		if s := r.state(t); s != nil && t.Entered && s.Kind != dsl.Wait {
			r.event(t.Prev, abortedName(s.Kind)).str("name", s.Name).endIn(t)
		}
		if p := r.threads[t.Parent]; p != nil {
			if ps := r.state(p); ps != nil && ps.Kind == dsl.Map {
				r.event(t.Prev, "MapIterationAborted").str("name", ps.Name).int("index", int64(t.Index)).end()
			}
		}
	}
	last := r.lastID
	if timedOut {
		if cause == "" {
			cause = "The execution ran longer than its TimeoutSeconds"
		}
		r.event(last, "ExecutionTimedOut").str("error", failure.Timeout).str("cause", cause).end()
		r.status, r.errName, r.cause = store.StatusTimedOut, failure.Timeout, cause
	} else {
		r.event(last, "ExecutionAborted").optStr("error", errName).optStr("cause", cause).end()
		r.status, r.errName, r.cause = store.StatusAborted, errName, cause
	}
	r.stoppedAt = r.hdr.LastTime
	r.runq = nil
	kept := map[int]*keptChildren{}
	for id, t := range r.threads {
		if t.Phase != phaseDone && t.Children != nil {
			kept[id] = r.keepTree(t) // before any thread changes: a redrive runs only the rest
		}
	}
	for _, t := range r.threads {
		if t.Phase != phaseDone {
			if k := kept[t.ID]; k != nil {
				t.Keep = k
			}
			t.Task, t.Children = nil, nil
			t.Phase = phaseDone
			t.Err = failure.New(r.errName, r.cause)
			r.touch(t)
		}
	}
}

// ---- running threads ----

func (r *run) drain() {
	for len(r.runq) > 0 && r.status == store.StatusRunning && !r.historyFull() {
		t := r.threads[r.runq[0]]
		if t == nil || t.Phase != phaseReady {
			r.runq = r.runq[1:]
			continue
		}
		if r.full(unitEvents(t)) {
			return // the threads left ready make the record due now: a new step goes on
		}
		r.runq = r.runq[1:]
		r.runThread(t)
	}
	r.historyFull()
}

// unitEvents bounds the events that running thread t's current state, or
// firing its timer, writes on the way to success: the state's own (entered,
// started or scheduled, exited, and a Map or Parallel that ends at once: up
// to 4), then, when the thread ends with it, 3 for each Map or Parallel
// around it that ends too (iteration ended, state succeeded, state exited)
// and the execution's end. Map iterations it starts check the budget
// themselves (startIterations).
func unitEvents(t *thread) int { return 5 + 3*len(t.Scope) }

// full reports whether the step must commit before work that may write up
// to n more events, or has written its bytes (Limits.StepBytes). A step
// that has written nothing always goes on, so that every step progresses
// however small the budget.
func (r *run) full(n int) bool {
	if len(r.events) == 0 {
		return false
	}
	return len(r.events)+n > r.limits.StepEvents || r.size >= r.limits.StepBytes
}

// historyFull ends the execution once an event did not fit in its history
// (run.overflow), and reports whether one did. The work under way when it
// happened wrote nothing more; its effects are withdrawn with the rest
// (endExecution).
func (r *run) historyFull() bool {
	if !r.overflow {
		return false
	}
	r.endExecution(nil, nil)
	return true
}

// historyError is how an execution whose history is full fails, as AWS
// records it ("The execution reached the maximum number of history events
// (25000)."; Avoid reaching the history quota, in AWS's guide).
func (r *run) historyError() *failure.Error {
	return failure.Newf(failure.Runtime, "The execution reached the maximum number of history events (%d).", r.limits.MaxHistory)
}

// runThread runs states of one thread until it blocks, ends, or the step's
// event budget is spent.
func (r *run) runThread(t *thread) {
	prev := r.running
	r.running = t.ID
	r.runStates(t)
	r.running = prev
}

func (r *run) runStates(t *thread) {
	for t.Phase == phaseReady && r.status == store.StatusRunning && !r.historyFull() {
		if r.full(unitEvents(t)) {
			r.runq = append([]int{t.ID}, r.runq...) // first in the next step
			return
		}
		s := r.state(t)
		if s == nil {
			r.endExecution(nil, failure.Newf(failure.Runtime, "state %q does not exist in the definition version %d", t.State, r.version))
			return
		}
		r.touch(t)
		if !t.Entered {
			// A state's input is the previous state's output, whose size was
			// checked when it was written.
			t.Entered = true
			t.EnteredAt = r.now
			t.Attempts = 0
			t.Retries = nil
			if s.Kind == dsl.Wait {
				r.enterWait(t, s)
				continue
			}
			t.EnteredID = r.event(t.Prev, enteredName(s.Kind)).str("name", s.Name).val("input", t.Input.Get()).endIn(t)
		}
		r.runState(t, s)
	}
}

func (r *run) runState(t *thread, s *dsl.State) {
	switch s.Kind {
	case dsl.Pass:
		out, vars, err := states.Pass(s, t.Input.Get(), r.env(t, s, ""))
		if err != nil {
			r.stateFailed(t, s, r.runtimeErr(t, s, err))
			return
		}
		r.exitState(t, s, out, vars)
	case dsl.Succeed:
		out, err := states.Succeed(s, t.Input.Get(), r.env(t, s, ""))
		if err != nil {
			r.stateFailed(t, s, r.runtimeErr(t, s, err))
			return
		}
		r.exitState(t, s, out, nil)
	case dsl.Choice:
		next, out, vars, err := states.Choice(s, t.Input.Get(), r.env(t, s, ""))
		if err != nil {
			r.stateFailed(t, s, r.runtimeErr(t, s, err))
			return
		}
		merged, fe := r.checkVars(t, vars)
		if fe != nil {
			r.stateFailed(t, s, fe)
			return
		}
		r.event(t.Prev, "ChoiceStateExited").str("name", s.Name).val("output", out).assigned(vars).endIn(t)
		r.setVars(t, merged)
		r.moveTo(t, next, out)
	case dsl.Fail:
		name, cause, err := states.Fail(s, t.Input.Get(), r.env(t, s, ""))
		if err != nil {
			r.finishThread(t, nil, r.runtimeErr(t, s, err))
			return
		}
		r.finishThread(t, nil, &failure.Error{Name: name, Cause: cause})
	case dsl.Task:
		r.scheduleTask(t, s)
	case dsl.Parallel:
		r.startParallel(t, s)
	case dsl.Map:
		if s.Distributed != nil {
			r.startDistributed(t, s)
			return
		}
		r.startMap(t, s)
	}
}

// moveTo transitions a thread to its next state and makes sure it runs:
// a thread resumed from outside a run loop (a task result, a timer, a
// finished branch) is not on the run queue yet. A duplicate entry is
// harmless: drain skips threads that are no longer ready.
func (r *run) moveTo(t *thread, next string, input value.Value) {
	t.State, t.Input, t.Entered, t.Phase = next, lazyOf(input), false, phaseReady
	t.Attempts, t.Retries, t.Keep = 0, nil, nil
	r.touch(t)
	if t.ID != r.running {
		r.enqueue(t)
	}
}

// exitState writes …StateExited, sets the variables the state assigned
// (vars, nil for none) and moves on (or ends the thread).
func (r *run) exitState(t *thread, s *dsl.State, out value.Value, vars *value.Object) {
	merged, fe := r.checkVars(t, vars)
	if fe != nil {
		r.stateFailed(t, s, fe)
		return
	}
	before := r.size
	w := r.event(t.Prev, exitedName(s.Kind)).str("name", s.Name).val("output", out)
	outputEnd := len(w.buf)
	w.assigned(vars)
	extra := len(w.buf) - outputEnd // the variables are bounded on their own
	w.endIn(t)
	if r.size-before-extra > r.limits.MaxPayload {
		r.finishThread(t, nil, failure.Newf(failure.DataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.Name))
		return
	}
	r.setVars(t, merged)
	if s.IsTerminal() {
		r.finishThread(t, out, nil)
		return
	}
	r.moveTo(t, s.Next, out)
}

// runtimeErr converts an evaluation error; States.Runtime gets AWS's prefix
// naming the state and the event that entered it.
func (r *run) runtimeErr(t *thread, s *dsl.State, err error) *failure.Error {
	fe := states.AsFailure(err)
	switch fe.Name {
	case failure.Runtime:
		return failure.Newf(failure.Runtime, "An error occurred while executing the state '%s' (entered at the event id #%d). %s", s.Name, t.EnteredID, fe.Cause)
	case failure.QueryEvaluationError:
		// AWS records a failed JSONata evaluation as an event of its own
		// (EvaluationFailed) before the state fails with it.
		fe = failure.Newf(failure.QueryEvaluationError, "An error occurred while executing the state '%s' (entered at the event id #%d). %s", s.Name, t.EnteredID, fe.Cause)
		r.event(t.Prev, "EvaluationFailed").str("error", fe.Name).str("cause", fe.Cause).str("state", s.Name).endIn(t)
	}
	return fe
}

// stateFailed applies Retry, then Catch, then fails the thread.
func (r *run) stateFailed(t *thread, s *dsl.State, fe *failure.Error) {
	r.stateFailedAs(t, s, fe, "")
}

// stateFailedAs is stateFailed for an error that Retry and Catch also match
// under a second name (alias; "" for none).
func (r *run) stateFailedAs(t *thread, s *dsl.State, fe *failure.Error, alias string) {
	var aliases []string
	if alias != "" {
		aliases = []string{alias}
	}
	r.touch(t)
	retryable := s.Kind == dsl.Task || s.Kind == dsl.Parallel || s.Kind == dsl.Map
	if retryable && !fe.Terminal() && len(s.Retry) > 0 {
		d := states.Retry(s.Retry, t.Retries, fe.Name, r.deps.Random(), aliases...)
		if d.Retry && !d.WithinBudget(s.Retry, r.now.Sub(t.EnteredAt)) {
			// The retrier's time budget would be spent before the next
			// attempt: the error goes on to Catch now rather than later.
			d.Retry = false
		}
		if d.Retry {
			t.Keep = nil // a retry runs the whole Parallel or Map again
			for len(t.Retries) < len(s.Retry) {
				t.Retries = append(t.Retries, 0)
			}
			t.Retries[d.Index]++
			t.Attempts++
			r.noteRetry(s.Name, fe.Name)
			if d.Delay <= 0 {
				t.Phase = phaseReady
				r.enqueue(t)
			} else {
				t.Phase, t.WakeAt = phaseBackoff, r.now.Add(d.Delay)
			}
			return
		}
	}
	switch s.Kind {
	case dsl.Parallel:
		r.event(t.Prev, "ParallelStateFailed").endIn(t)
	case dsl.Map:
		r.event(t.Prev, "MapStateFailed").endIn(t)
	}
	if retryable && !fe.Terminal() {
		if c := states.Catch(s.Catch, fe.Name, aliases...); c != nil {
			out, vars, err := states.CatchOutput(s, c, t.Input.Get(), fe, r.env(t, s, ""))
			var merged *value.Object
			if err == nil {
				var lim *failure.Error
				if merged, lim = r.checkVars(t, vars); lim != nil {
					err = lim
				}
			}
			if err == nil {
				t.Keep = nil
				r.noteCatch(fe.Name)
				r.event(t.Prev, exitedName(s.Kind)).str("name", s.Name).val("output", out).assigned(vars).endIn(t)
				r.setVars(t, merged)
				r.moveTo(t, c.Next, out)
				r.enqueue(t)
				return
			}
			fe = r.runtimeErr(t, s, err)
		}
	}
	r.finishThread(t, nil, fe)
}

// finishThread ends a thread with an output or an error and tells its parent.
func (r *run) finishThread(t *thread, out value.Value, fe *failure.Error) {
	t.Phase = phaseDone
	t.Result, t.Err = jv{out}, fe
	r.touch(t)
	if t.Parent < 0 {
		r.endExecution(out, fe)
		return
	}
	p := r.threads[t.Parent]
	if p == nil || p.Children == nil {
		return
	}
	r.childEnded(p, r.state(p), t)
}

// endExecution writes the last event. Once an event did not fit in the
// history, the execution fails with the history error whatever ended it:
// the events that led there were not written.
func (r *run) endExecution(out value.Value, fe *failure.Error) {
	if r.status != store.StatusRunning {
		return
	}
	if r.overflow {
		out, fe = nil, r.historyError()
	}
	if fe == nil {
		r.event(r.lastID, "ExecutionSucceeded").val("output", out).end()
		r.status, r.output = store.StatusSucceeded, out
	} else {
		r.event(r.lastID, "ExecutionFailed").optStr("error", fe.Name).optStr("cause", fe.Cause).end()
		r.status, r.errName, r.cause = store.StatusFailed, fe.Name, fe.Cause
		if root := r.rootThread(); root != nil {
			r.hdr.Failed = root.ID
		}
	}
	r.stoppedAt = r.hdr.LastTime
	r.runq = nil
	for _, t := range r.threads {
		if t.Task != nil {
			r.withdraw(t)
		}
		if t.Children != nil && t.Children.Run != nil && t.Phase == phaseChildren {
			r.abortMapRun(t, true) // its children stopped; no room for events
		}
	}
}

func (r *run) rootThread() *thread {
	for _, t := range r.threads {
		if t.Parent < 0 {
			return t
		}
	}
	return nil
}

// withdraw cancels thread t's task attempt: a call already made is
// cancelled after the commit; one this very step scheduled is never made,
// and an activity task it queued is never queued.
func (r *run) withdraw(t *thread) {
	tok := r.token(t)
	if tok == "" {
		return
	}
	// tok is set, so t has a task; a call or queue entry this very step
	// made goes with it.
	s := r.state(t)
	activity := s != nil && s.Task != nil && s.Task.Kind == dsl.ActivityTask
	calls, queued := len(r.calls), len(r.activities)
	r.calls = slices.DeleteFunc(r.calls, func(c taskCall) bool { return c.Token == tok })
	r.activities = slices.DeleteFunc(r.activities, func(a store.ActivityTask) bool { return a.Token == tok })
	if len(r.calls) == calls && r.status == store.StatusRunning && s != nil && s.Task != nil && !activity {
		// The call went out after an earlier commit: it had started, and
		// the history says so before the state is aborted.
		r.markStarted(t, s, "")
	}
	r.cancels = append(r.cancels, tok)
	if t.Task.Child != "" {
		r.stopKids = append(r.stopKids, stopKid{id: t.Task.Child}) // a .sync child nobody waits for any more
	}
	if activity && len(r.activities) == queued && !t.Task.Started && !t.Task.ScheduledAt.IsZero() {
		// Queued by an earlier commit and never taken: out of its queue
		// with this one, so that no worker polls it and no queue keeps it.
		r.withdrawn = append(r.withdrawn, r.queuedTask(t, s))
	}
}

// queuedTask is the queue entry of thread t's activity task. scheduleTask
// queues it, and a requeue or a withdrawal names it again with the same
// token, input bytes and time: the Redis store matches elements exactly.
func (r *run) queuedTask(t *thread, s *dsl.State) store.ActivityTask {
	return store.ActivityTask{Activity: s.Task.Name, Token: r.token(t), ExecutionID: r.id,
		Input: value.Marshal(t.Task.Params.V), QueuedAt: t.Task.ScheduledAt}
}

// endIn finishes an event that belongs to thread t's sequence.
func (w *eventWriter) endIn(t *thread) int64 {
	id := w.end()
	t.Prev = id
	return id
}

// eventName names one of this attempt's task events: AWS's Activity…
// names for an activity task (docs/api.md's event table), Task… for the rest.
func (w *taskWait) eventName(suffix string) string {
	if w.Events != "" {
		return w.Events + suffix
	}
	return "Task" + suffix
}

// taskEventPrefix is the prefix a new attempt of state s writes its events
// with (taskWait.Events).
func taskEventPrefix(s *dsl.State) string {
	if s.Task != nil && s.Task.Kind == dsl.ActivityTask {
		return "Activity"
	}
	return ""
}

// enterWait writes WaitStateEntered with the time the Wait ends ("until"),
// so the history says when it will continue; the due time is computed first,
// with the id the Entered event is about to get.
func (r *run) enterWait(t *thread, s *dsl.State) {
	t.EnteredID = r.lastID + 1
	until, out, err := states.Wait(s, t.Input.Get(), r.now, r.env(t, s, ""))
	w := r.event(t.Prev, "WaitStateEntered").str("name", s.Name).val("input", t.Input.Get())
	if err == nil {
		w.str("until", FormatTime(until))
	}
	w.endIn(t)
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	if !until.After(r.now) {
		r.exitWait(t, s, out)
		return
	}
	t.Phase, t.WakeAt, t.Pending = phaseWait, until, jv{out}
}

// exitWait ends a Wait state: its Assign is evaluated as it exits, over its
// effective input, with the variables from when it was entered (nothing
// can change them while the thread waits: its own states are blocked, and
// other threads never assign an outer scope's variables).
func (r *run) exitWait(t *thread, s *dsl.State, out value.Value) {
	vars, err := states.InputAssigned(s, t.Input.Get(), r.env(t, s, ""))
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	r.exitState(t, s, out, vars)
}

// redrive resumes a FAILED, TIMED_OUT or ABORTED execution from the state
// that did not succeed, with the input it had; its retry counters start again.
func (r *run) redrive(clientToken string) error {
	switch r.status {
	case store.StatusFailed, store.StatusTimedOut, store.StatusAborted:
	default:
		return fmt.Errorf("execution %s is %s: %w", r.id, r.status, ErrNotRedrivable)
	}
	if r.limits.MaxHistory > 0 && r.lastID+1 >= int64(r.limits.MaxHistory) {
		// No room for ExecutionRedriven and what would follow it: AWS
		// refuses such a redrive ("Execution history event limit exceeded").
		return fmt.Errorf("execution %s has %d history events, the maximum is %d: %w", r.id, r.lastID, r.limits.MaxHistory, ErrNotRedrivable)
	}
	if r.hdr.RedriveCount >= MaxRedrives {
		return fmt.Errorf("execution %s was redriven %d times already: %w", r.id, r.hdr.RedriveCount, ErrNotRedrivable)
	}
	root := r.rootThread()
	if root == nil {
		return fmt.Errorf("execution %s has no thread to resume: %w", r.id, ErrNotRedrivable)
	}
	for id, t := range r.threads {
		if id != root.ID {
			r.dropThread(t)
		}
	}
	r.hdr.RedriveCount++
	r.hdr.Notified = false // a child tells its parent of its new end too (a no-op if nothing waits)
	r.execCtx = nil
	r.event(r.lastID, "ExecutionRedriven").int("redriveCount", int64(r.hdr.RedriveCount)).optStr("clientToken", clientToken).endIn(root)
	r.status, r.errName, r.cause, r.output, r.stoppedAt = store.StatusRunning, "", "", nil, time.Time{}
	if r.def.TimeoutSeconds > 0 {
		r.hdr.TimeoutAt = r.now.Add(time.Duration(r.def.TimeoutSeconds) * time.Second)
	}
	root.Phase, root.Entered, root.Err, root.Task, root.Children = phaseReady, false, nil, nil, nil
	root.Result, root.Pending, root.WakeAt = jv{}, jv{}, time.Time{}
	root.Attempts, root.Retries = 0, nil
	r.touch(root)
	// The redriven state runs in the next step, not in this commit: the
	// answer to a redrive shows the execution RUNNING (docs/api.md), and the
	// record is due now, so the timer loop picks it up at once.
	return nil
}
