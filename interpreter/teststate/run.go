package teststate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
)

// maxPayload bounds the input, a result and the output, as AWS bounds
// state data (256 KiB).
const maxPayload = 256 * 1024

// maxDuration bounds a test, as AWS's TestState runs for at most five
// minutes (then the state fails with States.Timeout).
const maxDuration = 5 * time.Minute

// Run tests the state req names and answers as AWS's TestState does. A
// *ValidationError is a request that cannot be run. The only other error
// is ctx's context.Canceled, when ctx is cancelled during an HTTP Task's
// call; ctx's deadline passing then fails the state with States.Timeout,
// as AWS's five minutes do.
func Run(ctx context.Context, req Request, opts Options) (*Answer, error) {
	t, err := prepare(req, opts)
	if err != nil {
		return nil, err
	}
	if err := t.run(ctx); err != nil {
		return nil, err
	}
	return t.answer(), nil
}

// prepare checks the request and compiles what the test needs. Everything
// that makes the request unrunnable is refused here, before the state does
// any work.
func prepare(req Request, opts Options) (*tester, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Random == nil {
		opts.Random = rand.Float64
	}
	if opts.UUID == nil {
		opts.UUID = func() string { return uuid.NewString() }
	}
	t := &tester{opts: opts, req: req, now: opts.Now()}
	switch req.InspectionLevel {
	case "":
		t.level = Info
	case Info, Debug, Trace:
		t.level = req.InspectionLevel
	default:
		return nil, &ValidationError{Field: "inspectionLevel", Message: fmt.Sprintf("%q is not one of INFO, DEBUG, TRACE", req.InspectionLevel)}
	}
	if req.Definition == "" {
		return nil, &ValidationError{Field: "definition", Message: "is required: a state, or a state machine with stateName"}
	}
	var err error
	if t.def, t.s, err = load(req.Definition, req.StateName); err != nil {
		return nil, err
	}
	if t.raw, err = jsonField("input", req.Input, false); err != nil {
		return nil, err
	}
	if t.raw == nil && req.Input == "" {
		t.raw = value.NewObject(0)
	}
	vars, err := jsonField("variables", req.Variables, true)
	if err != nil {
		return nil, err
	}
	if vars != nil {
		t.vars = vars.(*value.Object)
		if n, _, _ := value.Measure(t.vars, value.Unlimited, value.Unlimited); n > dsl.MaxVariables {
			return nil, &ValidationError{Field: "variables", Message: fmt.Sprintf("hold %d bytes, more than the %d the variables of an execution may hold", n, dsl.MaxVariables)}
		}
	}
	if err := t.checkConfiguration(); err != nil {
		return nil, err
	}
	if err := t.checkMock(); err != nil {
		return nil, err
	}
	if err := t.checkRunnable(); err != nil {
		return nil, err
	}
	if req.Context != "" && t.mock == nil {
		// AWS's reference: "This field may only be specified if a mock is
		// specified in the same request."
		return nil, &ValidationError{Field: "context", Message: "context may only be given with a mock (mock.result or mock.errorOutput), as AWS's TestState takes it"}
	}
	given, err := jsonField("context", req.Context, true)
	if err != nil {
		return nil, err
	}
	if given != nil {
		t.ctxObj = given.(*value.Object)
	} else {
		t.ctxObj = t.defaultContext()
	}
	if t.s.Kind == dsl.Task && t.s.Task.WaitForToken && !t.ctxObj.Has("Task") {
		t.ctxObj = t.ctxObj.With("Task", value.ObjectOf("Token", opts.UUID()))
	}
	return t, nil
}

// jsonField decodes a request field that carries a JSON document as text;
// "" is absent (nil). object requires a JSON object.
func jsonField(field, text string, object bool) (value.Value, error) {
	if text == "" {
		return nil, nil
	}
	if len(text) > maxPayload {
		return nil, &ValidationError{Field: field, Message: fmt.Sprintf("is %d bytes, more than the maximum of %d", len(text), maxPayload)}
	}
	v, err := value.Decode([]byte(text))
	if err != nil {
		return nil, &ValidationError{Field: field, Message: "is not valid JSON: " + err.Error()}
	}
	if _, ok := v.(*value.Object); object && !ok {
		return nil, &ValidationError{Field: field, Message: "must be a JSON object, got " + value.TypeName(v)}
	}
	return v, nil
}

// checkConfiguration checks stateConfiguration against the state.
func (t *tester) checkConfiguration() error {
	c := t.req.StateConfiguration
	if c == nil {
		return nil
	}
	kind := t.s.Kind
	switch {
	case c.RetrierRetryCount < 0:
		return &ValidationError{Field: "stateConfiguration.retrierRetryCount", Message: fmt.Sprintf("must be 0 or more, got %d", c.RetrierRetryCount)}
	case c.MapIterationFailureCount < 0:
		return &ValidationError{Field: "stateConfiguration.mapIterationFailureCount", Message: fmt.Sprintf("must be 0 or more, got %d", c.MapIterationFailureCount)}
	case c.MapIterationFailureCount > 0 && kind != dsl.Map:
		return &ValidationError{Field: "stateConfiguration.mapIterationFailureCount", Message: fmt.Sprintf("applies to a Map state, and %q is a %s state", t.s.Name, kind)}
	case c.MapItemReaderData != "" && (kind != dsl.Map || t.s.Distributed == nil || t.s.Distributed.Reader == nil):
		return &ValidationError{Field: "stateConfiguration.mapItemReaderData", Message: fmt.Sprintf("applies to a Map state with an ItemReader, and %q has none", t.s.Name)}
	case c.MapItemReaderData != "":
		items, err := parseReaderData(t.s.Distributed.Reader, c.MapItemReaderData)
		if err != nil {
			return err
		}
		t.readerItems = items
	}
	switch {
	case c.ErrorCausedByState != "":
		if kind != dsl.Map && kind != dsl.Parallel {
			return &ValidationError{Field: "stateConfiguration.errorCausedByState", Message: fmt.Sprintf("applies to a Map or Parallel state, and %q is a %s state", t.s.Name, kind)}
		}
		if t.req.Mock == nil || t.req.Mock.ErrorOutput == nil {
			return &ValidationError{Field: "stateConfiguration.errorCausedByState", Message: "names where a mocked error comes from: give mock.errorOutput too"}
		}
		if !containsState(t.s, c.ErrorCausedByState) {
			return &ValidationError{Field: "stateConfiguration.errorCausedByState", Message: fmt.Sprintf("%q is not a state of %q's branches or item processor", c.ErrorCausedByState, t.s.Name)}
		}
	}
	return nil
}

// containsState reports whether a state named name is inside s's branches
// or item processor.
func containsState(s *dsl.State, name string) bool {
	for _, b := range s.Branches {
		if findState(b, name) != nil {
			return true
		}
	}
	return s.Processor != nil && findState(s.Processor, name) != nil
}

// checkRunnable refuses a state whose work TestState cannot do: a Map or
// Parallel without a mock (their iterations and branches are not run), a
// Task that only a worker, a callback or a child execution could answer,
// and an HTTP Task when no HTTP client was given.
func (t *tester) checkRunnable() error {
	if t.mock != nil {
		return nil
	}
	s := t.s
	switch s.Kind {
	case dsl.Map, dsl.Parallel:
		return &ValidationError{Field: "mock",
			Message: fmt.Sprintf("TestState runs a %s state only with a mock (mock.result or mock.errorOutput): its %s are not run", s.Kind, map[dsl.Kind]string{dsl.Map: "iterations", dsl.Parallel: "branches"}[s.Kind])}
	case dsl.Task:
		spec := s.Task
		switch {
		case spec.WaitForToken:
			return needsMock(s, "waits for a callback with a task token (.waitForTaskToken)")
		case spec.Kind == dsl.ActivityTask:
			return needsMock(s, "is an activity, answered by a worker")
		case spec.Kind == dsl.ExecutionTask:
			return needsMock(s, "starts a child execution")
		case spec.Kind == dsl.HandlerTask:
			return needsMock(s, "calls an in-process handler, which only a running server has")
		case spec.Kind == dsl.HTTPTask && t.opts.HTTP == nil:
			return needsMock(s, "makes an HTTP call, and this TestState has no HTTP client")
		}
	}
	return nil
}

func needsMock(s *dsl.State, why string) error {
	return &ValidationError{Field: "mock", Message: fmt.Sprintf("the Task state %q (%s) %s: give mock.result or mock.errorOutput", s.Name, s.Task.Resource, why)}
}

// defaultContext is the context object ($$) when the request gives none:
// the one an execution would have, started now with the state's input.
func (t *tester) defaultContext() *value.Object {
	now := interpreter.FormatTime(t.now)
	exec := value.ObjectOf("Id", contextID, "Input", t.raw, "Name", contextID)
	if t.req.RoleArn != "" {
		exec.Set("RoleArn", t.req.RoleArn)
	}
	exec.Set("StartTime", now)
	retries := 0
	if c := t.req.StateConfiguration; c != nil {
		retries = c.RetrierRetryCount
	}
	return value.ObjectOf(
		"Execution", exec,
		"State", value.ObjectOf("EnteredTime", now, "Name", t.s.Name, "RetryCount", value.Int(int64(retries))),
		"StateMachine", value.ObjectOf("Id", contextID, "Name", contextID),
	)
}

// contextID names the execution and state machine of the default context.
const contextID = "test-state"
