package teststate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// tester is one TestState request while it runs.
type tester struct {
	opts  Options
	req   Request
	level InspectionLevel
	def   *dsl.Definition
	s     *dsl.State
	raw   value.Value   // the state's input
	vars  *value.Object // the variables in scope; nil: none
	// ctxObj is the context object ($$).
	ctxObj *value.Object
	now    time.Time
	mock   *mockAnswer // nil: the state's own work
	// readerItems are the items of stateConfiguration.mapItemReaderData;
	// nil without it.
	readerItems []any

	ins InspectionData
	ans Answer
	// after is the variables once the state is done (its Assign, or a
	// catcher's, applied); nil: as given.
	after *value.Object
}

// varScope is the request's variables as states read them.
type varScope struct{ o *value.Object }

func (v varScope) Lookup(name string) (value.Value, bool) {
	if v.o == nil {
		return nil, false
	}
	return v.o.Get(name)
}

func (t *tester) env() states.Env {
	return states.Env{Context: t.ctxObj, UUID: t.opts.UUID, Random: t.opts.Random, MaxPayload: maxPayload,
		Vars: varScope{t.vars}, Now: t.now}
}

// record keeps a stage of the data flow for the inspection data.
func record(dst *string, v value.Value) { *dst = value.MarshalString(v) }

// run runs the state. Its error is not the state's (that is in the
// answer): it is the caller's context ending during an HTTP call.
func (t *tester) run(ctx context.Context) error {
	s := t.s
	record(&t.ins.Input, t.raw)
	switch s.Kind {
	case dsl.Pass:
		t.pass()
	case dsl.Task:
		return t.task(ctx)
	case dsl.Choice:
		t.choice()
	case dsl.Wait:
		t.wait()
	case dsl.Succeed:
		t.succeedState()
	case dsl.Fail:
		t.failState()
	case dsl.Parallel:
		t.parallel()
	case dsl.Map:
		t.mapState()
	default:
		return fmt.Errorf("teststate: state kind %q", s.Kind)
	}
	return nil
}

// effectiveInput records a JSONPath state's input after InputPath; false
// when InputPath failed (the state failed with it).
func (t *tester) effectiveInput() (value.Value, bool) {
	eff, err := states.EffectiveInput(t.s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return nil, false
	}
	record(&t.ins.AfterInputPath, eff)
	return eff, true
}

func (t *tester) pass() {
	s := t.s
	if s.JSONata {
		out, vars, err := states.Pass(s, t.raw, t.env())
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		t.succeed(out, vars, s.Next)
		return
	}
	// AWS shows a Pass with a Result its result, and one without the
	// stages that made its result from the input. InputPath applies to
	// both (states.Pass fails a Result's Pass on a bad InputPath too).
	eff, err := states.EffectiveInput(s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	result := s.Result
	if !s.HasResult {
		record(&t.ins.AfterInputPath, eff)
		params, err := states.Parameters(s, eff, t.env())
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		record(&t.ins.AfterParameters, params)
		result = params
	} else {
		record(&t.ins.Result, result)
	}
	t.finish(result)
}

func (t *tester) choice() {
	s := t.s
	if !s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return
		}
	}
	next, out, vars, err := states.Choice(s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	t.succeed(out, vars, next)
}

// wait ends at once: a Wait's time to wait is computed (a bad SecondsPath
// fails as it would), but nobody waits for it.
func (t *tester) wait() {
	s := t.s
	if !s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return
		}
	}
	_, out, err := states.Wait(s, t.raw, t.now, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	vars, err := states.InputAssigned(s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	t.succeed(out, vars, s.Next)
}

func (t *tester) succeedState() {
	if !t.s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return
		}
	}
	out, err := states.Succeed(t.s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	t.succeed(out, nil, "")
}

func (t *tester) failState() {
	if !t.s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return
		}
	}
	name, cause, err := states.Fail(t.s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	t.fail(&failure.Error{Name: name, Cause: cause})
}

// task runs a Task state: its parameters, then the mocked answer or the
// HTTP call, then its output.
func (t *tester) task(ctx context.Context) error {
	s := t.s
	if !s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return nil
		}
	}
	call, err := states.Task(s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return nil
	}
	if s.JSONata {
		record(&t.ins.AfterArguments, call.Parameters)
	} else {
		record(&t.ins.AfterParameters, call.Parameters)
	}
	var result value.Value
	switch {
	case t.mock != nil && t.mock.err != nil:
		t.fail(t.mock.err)
		return nil
	case t.mock != nil:
		result = t.mock.result
	default:
		var fe *failure.Error
		if result, fe, err = t.callHTTP(ctx, call); err != nil {
			return err
		}
		if fe != nil {
			t.fail(fe)
			return nil
		}
	}
	if n := len(value.Marshal(result)); n > maxPayload {
		t.fail(failure.Newf(failure.DataLimitExceeded, "The task result of %d bytes exceeds the maximum of %d bytes", n, maxPayload))
		return nil
	}
	record(&t.ins.Result, result)
	t.finish(result)
	return nil
}

// finish makes the output of a state that produced result (Pass, Task,
// Parallel, Map) and succeeds with it. A JSONPath state's stages are
// recorded: ResultSelector, then its Assign (over the selected result),
// ResultPath and OutputPath, in the order states.Output applies them.
func (t *tester) finish(result value.Value) {
	s := t.s
	env := t.env()
	if s.JSONata {
		out, vars, err := states.Output(s, t.raw, result, env)
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		t.succeed(out, vars, s.Next)
		return
	}
	if s.ResultSelector != nil {
		renv := env
		renv.Input = result
		selected, err := s.ResultSelector.Eval(renv)
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		result = selected
	}
	record(&t.ins.AfterResultSelector, result)
	vars, err := states.Assigned(s.Assign, result, env)
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	merged, err := states.ApplyResultPath(s.ResultPath, s.ResultPathNull, t.raw, result)
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	record(&t.ins.AfterResultPath, merged)
	out, err := states.OutputPath(s, merged, env)
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	t.succeed(out, vars, s.Next)
}

// succeed ends the test with the state's output and next state; vars are
// what its Assign set.
func (t *tester) succeed(out value.Value, vars *value.Object, next string) {
	if n := len(value.Marshal(out)); n > maxPayload {
		t.fail(failure.Newf(failure.DataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", t.s.Name))
		return
	}
	merged, fe := t.assign(vars)
	if fe != nil {
		t.fail(fe)
		return
	}
	t.after = merged
	t.ans.Status = Succeeded
	t.ans.Output = value.MarshalString(out)
	t.ans.NextState = next
}

// assign is the variables with vars assigned, refused (as an execution
// would fail) above dsl.MaxVariables.
func (t *tester) assign(vars *value.Object) (*value.Object, *failure.Error) {
	if vars == nil || vars.Len() == 0 {
		return nil, nil
	}
	n := vars.Len()
	if t.vars != nil {
		n += t.vars.Len()
	}
	merged := value.NewObject(n)
	if t.vars != nil {
		for _, m := range t.vars.Members() {
			merged.Set(m.Key, m.Value)
		}
	}
	for _, m := range vars.Members() {
		merged.Set(m.Key, m.Value)
	}
	if size, _, _ := value.Measure(merged, value.Unlimited, value.Unlimited); size > dsl.MaxVariables {
		return nil, failure.Newf(failure.DataLimitExceeded, "The variables of the execution would take %d bytes, more than the maximum of %d bytes", size, dsl.MaxVariables)
	}
	return merged, nil
}

// evalErr is an evaluation error as the state fails with it: States.Runtime
// and States.QueryEvaluationError name the state, as the engine's do (there
// is no event to name here).
func (t *tester) evalErr(err error) *failure.Error {
	fe := states.AsFailure(err)
	switch fe.Name {
	case failure.Runtime, failure.QueryEvaluationError:
		return failure.Newf(fe.Name, "An error occurred while executing the state '%s'. %s", t.s.Name, fe.Cause)
	}
	return fe
}

// fail applies the state's Retry, then its Catch, to an error, as the
// engine does: a Retrier that would retry makes the answer RETRIABLE (with
// the back-off of its retry number stateConfiguration.retrierRetryCount),
// a matching Catcher CAUGHT_ERROR, anything else FAILED. Only Task,
// Parallel and Map retry and catch; States.Runtime and
// States.DataLimitExceeded never are.
func (t *tester) fail(fe *failure.Error) {
	s := t.s
	t.ans.Status, t.ans.Error, t.ans.Cause, t.ans.Output, t.ans.NextState = Failed, fe.Name, fe.Cause, "", ""
	if (s.Kind != dsl.Task && s.Kind != dsl.Parallel && s.Kind != dsl.Map) || fe.Terminal() {
		return
	}
	var aliases []string
	if fe.Heartbeat {
		aliases = []string{failure.HeartbeatTimeout}
	}
	details := &InspectionErrorDetails{}
	if len(s.Retry) > 0 {
		done := 0
		if c := t.req.StateConfiguration; c != nil {
			done = c.RetrierRetryCount
		}
		counts := make([]int64, len(s.Retry))
		for i := range counts {
			counts[i] = int64(done)
		}
		d := states.Retry(s.Retry, counts, fe.Name, t.opts.Random(), aliases...)
		if d.Index >= 0 {
			details.RetryIndex = intPtr(d.Index)
			t.ins.ErrorDetails = details
		}
		if d.Retry {
			details.RetryBackoffIntervalSeconds = intPtr(int(math.Round(d.Delay.Seconds())))
			t.ans.Status = Retriable
			return
		}
	}
	c := states.Catch(s.Catch, fe.Name, aliases...)
	if c == nil {
		return
	}
	out, vars, err := states.CatchOutput(s, c, t.raw, fe, t.env())
	if err != nil {
		ce := t.evalErr(err)
		t.ans.Error, t.ans.Cause = ce.Name, ce.Cause
		return
	}
	merged, lim := t.assign(vars)
	if lim != nil {
		t.ans.Error, t.ans.Cause = lim.Name, lim.Cause
		return
	}
	details.CatchIndex = intPtr(slices.Index(s.Catch, c))
	t.ins.ErrorDetails = details
	t.after = merged
	t.ans.Status = CaughtError
	t.ans.Output = value.MarshalString(out)
	t.ans.NextState = c.Next
}

func intPtr(i int) *int { return &i }

// answer is the answer at the request's inspection level: INFO has no
// inspection data, DEBUG the data flow, the variables and the error
// details, TRACE also an HTTP Task's request and response.
func (t *tester) answer() *Answer {
	a := t.ans
	ins := t.ins
	switch {
	case t.after != nil:
		record(&ins.Variables, t.after)
	case t.vars != nil && t.vars.Len() > 0:
		record(&ins.Variables, t.vars)
	}
	if t.level != Trace {
		ins.Request, ins.Response = nil, nil
	}
	if t.level != Info && ins != (InspectionData{}) {
		a.InspectionData = &ins
	}
	return &a
}
