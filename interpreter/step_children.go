package interpreter

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/states"
)

// ---- context object ----

// env is the evaluation environment of state s in thread t: the context
// object ($$) with the execution, the state, the state machine and, for
// callbacks, the task token.
func (r *run) env(t *thread, s *dsl.State, token string) states.Env {
	if !s.UsesContext && token == "" {
		return states.Env{UUID: r.deps.UUID, Random: r.deps.Random, MaxPayload: r.limits.MaxPayload, Memo: &r.memo, Vars: scope{r, t}, Now: r.now}
	}
	return r.contextEnv(t, s, token)
}

// contextEnv always builds the context object.
func (r *run) contextEnv(t *thread, s *dsl.State, token string) states.Env {
	if r.execCtx == nil {
		id, smID, name := r.id, r.smName+":"+strconv.Itoa(r.version), r.execName
		if r.hdr.ARNIDs {
			id, smID = r.space.ExecutionOfID(r.id), r.space.StateMachine(r.smName)
		}
		if r.deps.ContextIDs != nil {
			if cid, cname, ok := r.deps.ContextIDs(r.id); ok {
				id, name = cid, cname
			}
		}
		e := value.NewObject(5)
		e.Set("Id", id)
		e.Set("Input", r.executionInput())
		e.Set("Name", name)
		e.Set("StartTime", FormatTime(r.startedAt))
		if r.hdr.RedriveCount > 0 {
			e.Set("RedriveCount", value.Int(int64(r.hdr.RedriveCount)))
		}
		r.execCtx = e
		sm := value.NewObject(2)
		sm.Set("Id", smID)
		sm.Set("Name", r.smName)
		r.smCtx = sm
	}
	st := value.NewObject(3)
	st.Set("EnteredTime", FormatTime(t.EnteredAt))
	st.Set("Name", s.Name)
	st.Set("RetryCount", value.Int(int64(t.Attempts)))
	ctx := value.NewObject(4)
	ctx.Set("Execution", r.execCtx)
	ctx.Set("State", st)
	ctx.Set("StateMachine", r.smCtx)
	if token != "" {
		ctx.Set("Task", value.ObjectOf("Token", token))
	}
	return states.Env{Context: ctx, UUID: r.deps.UUID, Random: r.deps.Random, MaxPayload: r.limits.MaxPayload, Memo: &r.memo, Vars: scope{r, t}, Now: r.now}
}

// ---- tasks ----

// token names a task attempt: the execution, the thread, the TaskScheduled
// event, and a random secret that makes it unguessable.
func (r *run) token(t *thread) string {
	if t.Task == nil {
		return ""
	}
	return MakeToken(r.id, t.ID, t.Task.ScheduledID, t.Task.Secret)
}

// MakeToken builds a task token.
func MakeToken(executionID string, thread int, scheduledID int64, secret string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(executionID)) + "." + strconv.Itoa(thread) + "." +
		strconv.FormatInt(scheduledID, 10) + "." + secret
}

// Token is a parsed task token.
type Token struct {
	ExecutionID string
	Thread      int
	ScheduledID int64
	Secret      string
}

// ParseToken parses a task token; ok is false for anything malformed.
func ParseToken(s string) (Token, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return Token{}, false
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || len(id) == 0 {
		return Token{}, false
	}
	th, err1 := strconv.Atoi(parts[1])
	sch, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || parts[3] == "" {
		return Token{}, false
	}
	return Token{ExecutionID: string(id), Thread: th, ScheduledID: sch, Secret: parts[3]}, true
}

// scheduleTask prepares one attempt: Parameters, then TaskScheduled, and
// leaves the call as an effect for after the commit.
func (r *run) scheduleTask(t *thread, s *dsl.State) {
	secret := r.deps.Secret()
	scheduledID := r.lastID + 1
	tok := ""
	if s.Task.WaitForToken || s.Task.Kind == dsl.ActivityTask {
		tok = MakeToken(r.id, t.ID, scheduledID, secret)
	}
	call, err := states.Task(s, t.Input.Get(), r.env(t, s, tok))
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	prefix := taskEventPrefix(s)
	var mock *mockconfig.Mocked
	mockCall := 0
	if r.hdr.Mock != nil {
		// Every attempt of a state in a mocked execution is its next call,
		// counted whether the test case mocks the state or not.
		if r.hdr.Mock.Calls == nil {
			r.hdr.Mock.Calls = map[string]int{}
		}
		mockCall = r.hdr.Mock.Calls[s.Name]
		r.hdr.Mock.Calls[s.Name] = mockCall + 1
		if r.hdr.Mock.Case == "" {
			// Counted for a TaskInterceptor only.
		} else if m, ok := r.deps.mock(r.smName, r.hdr.Mock.Case, s.Name, mockCall); ok {
			if m.Response == "" {
				m.Response = "(none)" // the server's mock configuration lost the test case
			}
			mock = &m
		}
	}
	w := r.event(t.Prev, (&taskWait{Events: prefix}).eventName("Scheduled")).str("resource", s.Task.Resource).val("parameters", call.Parameters)
	if call.TimeoutSeconds > 0 {
		w.int("timeoutSeconds", call.TimeoutSeconds)
	}
	if call.HeartbeatSeconds > 0 {
		w.int("heartbeatSeconds", call.HeartbeatSeconds)
	}
	if mock != nil {
		w.str("mockedResponse", mock.Response)
	}
	w.endIn(t)
	tw := &taskWait{ScheduledID: scheduledID, ScheduledAt: r.now, Resource: s.Task.Resource, Params: jv{call.Parameters}, Secret: secret,
		Timeout: call.TimeoutSeconds, Heartbeat: call.HeartbeatSeconds, Events: prefix}
	tw.MockCall = mockCall // 0 where calls are not counted
	if mock != nil {
		tw.Mock = mock.Response
	}
	if call.TimeoutSeconds > 0 {
		tw.TimeoutAt = r.now.Add(time.Duration(call.TimeoutSeconds) * time.Second)
	}
	if call.HeartbeatSeconds > 0 && s.Task.Kind != dsl.ActivityTask {
		// Activities count heartbeats from when a worker takes the task.
		tw.HeartbeatAt = r.now.Add(time.Duration(call.HeartbeatSeconds) * time.Second)
	}
	t.Task = tw
	t.Phase = phaseTask
	r.touch(t)
	if s.Task.Kind == dsl.ActivityTask && mock == nil {
		// A mocked activity is answered by its mock: no worker sees it.
		r.activities = append(r.activities, r.queuedTask(t, s))
	}
	r.calls = append(r.calls, taskCall{State: s.Name, Attempt: t.Attempts, Thread: t.ID, ScheduledID: scheduledID, Spec: s.Task, Params: call.Parameters, Started: r.startedAt,
		Token: MakeToken(r.id, t.ID, scheduledID, secret), Timeout: call.TimeoutSeconds, Heartbeat: call.HeartbeatSeconds, Mock: mock, Call: mockCall})
}

// ---- Parallel and Map ----

func childScope(t *thread, s *dsl.State, branch int) []scopeStep {
	scope := make([]scopeStep, len(t.Scope)+1)
	copy(scope, t.Scope)
	scope[len(t.Scope)] = scopeStep{State: s.Name, Branch: branch}
	return scope
}

func (r *run) startParallel(t *thread, s *dsl.State) {
	in, err := states.ParallelInput(s, t.Input.Get(), r.env(t, s, ""))
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	started := r.event(t.Prev, "ParallelStateStarted").endIn(t)
	n := len(s.Branches)
	cw := &childrenWait{StartedID: started, Kids: make([]int, n), Results: make([]jv, n), Done: make([]bool, n),
		Succeeded: make([]bool, n), LastEvent: started}
	t.Children, t.Phase = cw, phaseChildren
	r.touch(t)
	r.restoreKept(t, cw)
	if cw.Running == 0 && allDone(cw.Done) {
		r.childrenDone(t, s)
		return
	}
	for i, b := range s.Branches {
		if cw.Done[i] {
			continue // succeeded before a redrive
		}
		state, input, kept, vars := b.StartAt, in, (*keptChildren)(nil), (*jv)(nil)
		if rp := cw.resumeAt(i); rp != nil {
			state, input, kept, vars = rp.State, rp.Input.V, rp.Keep, rp.Vars
		}
		kid := r.newThread(t.ID, i, childScope(t, s, i), state, input, started)
		kid.Keep, kid.Vars = kept, vars
		cw.Kids[i] = kid.ID
		cw.Running++
		r.enqueue(kid)
	}
}

func (r *run) startMap(t *thread, s *dsl.State) {
	env := r.env(t, s, "")
	plan, err := states.MapStart(s, t.Input.Get(), env)
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	n := len(plan.Items)
	started := r.event(t.Prev, "MapStateStarted").int("length", int64(n)).endIn(t)
	cw := &childrenWait{StartedID: started, Kids: make([]int, n), Results: make([]jv, n), Done: make([]bool, n),
		MaxConc: plan.MaxConcurrency, Effective: lazyOf(plan.Effective), Items: lazyOf(plan.Items),
		TolPct: plan.TolerancePercent, HasPct: plan.HasPercent, TolCount: plan.ToleranceCount, HasCount: plan.HasCount, LastEvent: started,
		Succeeded: make([]bool, n)}
	t.Children, t.Phase = cw, phaseChildren
	r.touch(t)
	r.restoreKept(t, cw)
	r.startIterations(t, s)
	if t.Children == cw && cw.Running == 0 && cw.NextIndex >= n {
		r.childrenDone(t, s) // no items, or all succeeded before a redrive
	}
}

// restoreKept marks the children that succeeded before a redrive as done,
// with their results, so that only the others run again.
func (r *run) restoreKept(t *thread, cw *childrenWait) {
	k := t.Keep
	t.Keep = nil
	if k == nil || len(k.Succeeded) != len(cw.Done) {
		return
	}
	for i, ok := range k.Succeeded {
		if ok {
			cw.Done[i], cw.Succeeded[i], cw.Results[i] = true, true, k.Results[i]
		}
	}
	if len(k.Resume) == len(cw.Done) {
		cw.Resume = k.Resume
	}
}

// resumeAt takes the resume point of child i, if a redrive left one.
func (cw *childrenWait) resumeAt(i int) *resumePoint {
	if i >= len(cw.Resume) || cw.Resume[i] == nil {
		return nil
	}
	rp := cw.Resume[i]
	cw.Resume[i] = nil
	return rp
}

// keepTree records, for a Parallel or Map thread t that is failing or being
// stopped, what its children achieved: the results of those that succeeded
// and where each other one stands (recursively for nested Parallel/Map), so
// that a redrive runs only what did not succeed. It changes nothing.
func (r *run) keepTree(t *thread) *keptChildren {
	cw := t.Children
	if cw == nil {
		return t.Keep
	}
	if cw.Run != nil {
		// Map Run children are executions: a redrive runs the run again,
		// finding those that succeeded and redriving the others.
		return &keptChildren{Run: keptRun(cw.Run)}
	}
	k := keep(cw)
	k.Resume = make([]*resumePoint, len(cw.Kids))
	for i, id := range cw.Kids {
		if cw.Succeeded != nil && cw.Succeeded[i] {
			continue
		}
		if i < len(cw.Resume) && cw.Resume[i] != nil {
			k.Resume[i] = cw.Resume[i] // failed earlier in this step, or never restarted
			continue
		}
		if kid := r.threads[id]; id != 0 && kid != nil && kid.Phase != phaseDone {
			k.Resume[i] = &resumePoint{State: kid.State, Input: jv{kid.Input.Get()}, Keep: r.keepTree(kid), Vars: kid.Vars}
		}
	}
	return k
}

func allDone(done []bool) bool {
	for _, d := range done {
		if !d {
			return false
		}
	}
	return true
}

// keep records the succeeded children of a Parallel or Map that is failing.
func keep(cw *childrenWait) *keptChildren {
	if cw == nil {
		return nil
	}
	k := &keptChildren{Succeeded: append([]bool(nil), cw.Succeeded...), Results: append([]jv(nil), cw.Results...)}
	for i := range k.Results {
		if !k.Succeeded[i] {
			k.Results[i] = jv{}
		}
	}
	return k
}

// startIterations starts Map iterations up to the Map's concurrency
// (states.Concurrency: MaxConcurrency, at most 40 as AWS's inline Map), in
// item order, while the step has room for their MapIterationStarted
// events. Those it has no room for start in the next step (startsPending,
// resume); an iteration that ends starts the next one. So a Map over any
// number of items has at most 40 threads, and writes its events in
// bounded commits, however many items it has.
func (r *run) startIterations(t *thread, s *dsl.State) {
	cw := t.Children
	limit := states.Concurrency(cw.MaxConc)
	r.touch(t) // NextIndex moves
	for cw.NextIndex < len(cw.Kids) && int64(cw.Running) < limit && !r.overflow {
		i := cw.NextIndex
		item, ok := cw.Items.Index(i) // always an array (MapStart); anything else starts nothing
		if !ok || i >= len(cw.Done) {
			cw.NextIndex = len(cw.Kids) // a damaged record: nothing more to start
			return
		}
		if cw.Done[i] {
			cw.NextIndex++
			continue // succeeded before a redrive
		}
		if r.full(1) {
			return // no room for its MapIterationStarted: the next step starts it
		}
		cw.NextIndex++
		in := item
		if s.Parameters != nil || s.ItemSelector != nil {
			// Only a selector reads the context: building it reads the
			// execution's input, which may be as large as the items.
			env := r.contextEnv(t, s, "")
			env.Context.(*value.Object).Set("Map", states.MapItemContext(i, item))
			plan := states.MapPlan{Effective: cw.Effective.Get()}
			var err error
			if in, err = states.MapItemInput(s, &plan, item, env); err != nil {
				// The selector failed for this item: the Map fails as AWS does.
				r.abortChildren(t, s)
				r.stateFailed(t, s, r.runtimeErr(t, s, err))
				return
			}
		}
		started := r.event(cw.StartedID, "MapIterationStarted").str("name", s.Name).int("index", int64(i)).end()
		state, kept, vars := s.Processor.StartAt, (*keptChildren)(nil), (*jv)(nil)
		if rp := cw.resumeAt(i); rp != nil {
			state, in, kept, vars = rp.State, rp.Input.V, rp.Keep, rp.Vars
		}
		kid := r.newThread(t.ID, i, childScope(t, s, 0), state, in, started)
		kid.Keep, kid.Vars = kept, vars
		cw.Kids[i] = kid.ID
		cw.Running++
		r.enqueue(kid)
	}
}

// startsPending reports whether Map thread t has iterations to start that a
// step had no room for (startIterations): the record is then due now.
func (r *run) startsPending(t *thread) bool {
	cw := t.Children
	if t.Phase != phaseChildren || cw == nil || cw.Run != nil || cw.NextIndex >= len(cw.Kids) || int64(cw.Running) >= states.Concurrency(cw.MaxConc) {
		return false
	}
	s := r.state(t)
	return s != nil && s.Kind == dsl.Map
}

// continueMap starts the iterations Map thread t may start now, and ends
// the Map when none is left to run or to start.
func (r *run) continueMap(t *thread, s *dsl.State) {
	cw := t.Children
	r.startIterations(t, s)
	if t.Children == cw && cw.Running == 0 && cw.NextIndex >= len(cw.Kids) {
		t.Prev = cw.LastEvent
		r.childrenDone(t, s)
		r.drainParent(t)
	}
}

// childEnded handles a branch or iteration that finished.
func (r *run) childEnded(p *thread, s *dsl.State, kid *thread) {
	cw := p.Children
	i := kid.Index
	cw.Running--
	cw.Done[i] = true
	r.touch(p)
	last := kid.Prev
	if s.Kind == dsl.Map {
		typ := "MapIterationSucceeded"
		if kid.Err != nil {
			typ = "MapIterationFailed"
		}
		last = r.event(kid.Prev, typ).str("name", s.Name).int("index", int64(i)).end()
	}
	cw.LastEvent = last
	r.dropThread(kid)
	if kid.Err != nil {
		if cw.Resume == nil {
			cw.Resume = make([]*resumePoint, len(cw.Kids))
		}
		cw.Resume[i] = &resumePoint{State: kid.State, Input: jv{kid.Input.Get()}, Keep: kid.Keep, Vars: kid.Vars}
	}
	if kid.Err == nil {
		cw.Results[i] = kid.Result
		if cw.Succeeded != nil {
			cw.Succeeded[i] = true
		}
	} else if s.Kind == dsl.Map && (cw.HasPct || cw.HasCount) {
		cw.Failed++
		cw.Results[i] = jv{states.ErrorOutput(kid.Err)}
		if tol := cw.tolerance(); !tol.Tolerated(cw.Failed, len(cw.Kids)) {
			p.Keep = r.keepTree(p)
			r.abortChildren(p, s)
			p.Prev = last
			r.stateFailed(p, s, failure.Newf(failure.ExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
			r.drainParent(p)
			return
		}
	} else {
		p.Keep = r.keepTree(p)
		r.abortChildren(p, s)
		p.Prev = last
		p.Children = nil
		p.Phase = phaseReady
		r.stateFailed(p, s, kid.Err)
		r.drainParent(p)
		return
	}
	if s.Kind == dsl.Map {
		r.continueMap(p, s)
		return
	}
	if cw.Running == 0 {
		p.Prev = cw.LastEvent
		r.childrenDone(p, s)
		r.drainParent(p)
	}
}

// drainParent makes sure a parent that became runnable gets run.
func (r *run) drainParent(p *thread) {
	if p.Phase == phaseReady && !slices.Contains(r.runq, p.ID) {
		r.enqueue(p)
	}
}

// childrenDone finishes a Parallel or Map whose threads all succeeded.
func (r *run) childrenDone(t *thread, s *dsl.State) {
	cw := t.Children
	results := make([]any, len(cw.Results))
	for i, res := range cw.Results {
		results[i] = res.V
	}
	t.Children = nil
	t.Phase = phaseReady
	typ := "ParallelStateSucceeded"
	if s.Kind == dsl.Map {
		typ = "MapStateSucceeded"
	}
	r.event(t.Prev, typ).endIn(t)
	out, vars, err := states.Output(s, t.Input.Get(), results, r.env(t, s, ""))
	if err != nil {
		r.stateFailed(t, s, r.runtimeErr(t, s, err))
		return
	}
	r.exitState(t, s, out, vars)
}

// abortChildren stops the running branches or iterations of t (a sibling
// failed): their current states get …StateAborted, iterations
// MapIterationAborted, and their tasks are withdrawn.
func (r *run) abortChildren(t *thread, s *dsl.State) {
	cw := t.Children
	if cw == nil {
		return
	}
	if cw.Run != nil {
		r.abortMapRun(t, false)
		cw.Running = 0
		t.Children = nil
		t.Phase = phaseReady
		r.touch(t)
		return
	}
	for i, id := range cw.Kids {
		if id == 0 || cw.Done[i] {
			continue
		}
		kid := r.threads[id]
		if kid == nil {
			continue
		}
		r.abortSubtree(kid)
		if s.Kind == dsl.Map {
			r.event(kid.Prev, "MapIterationAborted").str("name", s.Name).int("index", int64(i)).end()
		}
		cw.Done[i] = true
		r.dropThread(kid)
	}
	cw.Running = 0
	t.Children = nil
	t.Phase = phaseReady
	r.touch(t)
}

func (r *run) abortSubtree(t *thread) {
	s := r.state(t)
	if t.Children != nil && s != nil {
		r.abortChildren(t, s)
	}
	if t.Task != nil {
		r.withdraw(t)
		t.Task = nil
	}
	if s != nil && t.Entered && t.Phase != phaseDone {
		r.event(t.Prev, abortedName(s.Kind)).str("name", s.Name).endIn(t)
	}
	t.Phase = phaseDone
}

// tolerance is the Map's tolerated failures, as the plan that counts them.
func (cw *childrenWait) tolerance() states.MapPlan {
	return states.MapPlan{TolerancePercent: cw.TolPct, HasPercent: cw.HasPct, ToleranceCount: cw.TolCount, HasCount: cw.HasCount}
}
