package sfntest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/internal/fastclock"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
)

// Option configures a Run.
type Option func(*config)

type config struct {
	machine  string // the state machine's name
	timeout  time.Duration
	mockFile string
	mockCase string
	mocks    map[string]*goMock
	handlers map[string]interpreter.Handler
	problems []string // wrong options, reported by Run
}

// MockConfig answers task calls with the test case testCase of an AWS Step
// Functions Local mock configuration file (the format of `sfn run
// --mock-config`): for each state the test case names, call n gets the
// mocked response's answer for n. The test case is looked up under the
// state machine's name (StateMachine sets it). Go mocks of a state take
// precedence over the test case's.
func MockConfig(file, testCase string) Option {
	return func(c *config) { c.mockFile, c.mockCase = file, testCase }
}

// StateMachine names the state machine (default: the definition file's
// base name without its extension, or Parse's name): the name MockConfig
// finds its test case under, and the context object's
// $$.StateMachine.Name.
func StateMachine(name string) Option {
	return func(c *config) {
		if !interpreter.ValidName(name) {
			c.problems = append(c.problems, fmt.Sprintf("StateMachine: %q is not a state machine name (1 to 80 letters, digits, '-' and '_')", name))
			return
		}
		c.machine = name
	}
}

// Handler registers h as the in-process handler of resource
// "handler:NAME": the calls of states with that resource that no mock
// answers go to it.
func Handler(name string, h interpreter.Handler) Option {
	return func(c *config) { c.handlers[name] = h }
}

// Timeout bounds the real time Run waits for the execution's end (default
// one minute; the execution's own time is fast and does not count). A
// handler still running then is cancelled through its context, and Run
// waits for it to return.
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// Answer is a mocked answer to one task call: a result (Ok) or an error
// (Fail), given at once or After a delay.
type Answer struct {
	result json.RawMessage
	err    *failure.Error
	delay  time.Duration
	bad    string // why the answer cannot be given
}

// Ok answers with the task result v: JSON text when v is a string, []byte
// or json.RawMessage, otherwise encoded with encoding/json.
func Ok(v any) Answer {
	b, err := jsonOf(v)
	if err != nil {
		return Answer{bad: fmt.Sprintf("Ok: %v", err)}
	}
	if b == nil {
		b = json.RawMessage(`null`)
	}
	return Answer{result: b}
}

// Fail answers with an error, which the state's Retry and Catch match by
// errName.
func Fail(errName, cause string) Answer {
	if errName == "" {
		return Answer{bad: "Fail: give an error name"}
	}
	return Answer{err: failure.New(errName, cause)}
}

// After delays the answer by d on the engine's clock, which is fast: the
// execution's timeouts that come first fire (a callback that never comes
// in time times out), and no real time passes.
func (a Answer) After(d time.Duration) Answer {
	if d < 0 {
		a.bad = fmt.Sprintf("After: the delay %s is negative", d)
	}
	a.delay = d
	return a
}

// Call is one task call of an execution: one attempt of a Task state.
type Call struct {
	State    string
	Resource string
	// Number counts the state's calls from 0, every attempt included:
	// a retried attempt is the next call.
	Number int
	// Attempt counts the retries before this attempt, from 0. It starts
	// again at 0 when the state is entered again.
	Attempt int
	// Input is what the task is called with: its Parameters or
	// Arguments, evaluated.
	Input json.RawMessage
}

// goMock is a state's Go mock: a list of answers by call number, or a
// function of the call.
type goMock struct {
	option  string // what gave it, for messages
	answers []Answer
	repeat  bool // the last answer repeats (Return, Throw)
	fn      func(Call) Answer
}

// Return answers every call of state with the result v (as Ok does).
func Return(state string, v any) Option {
	return mockOption("Return", state, &goMock{answers: []Answer{Ok(v)}, repeat: true})
}

// Throw answers every call of state with an error (as Fail does).
func Throw(state, errName, cause string) Option {
	return mockOption("Throw", state, &goMock{answers: []Answer{Fail(errName, cause)}, repeat: true})
}

// Sequence answers call n of state with answers[n]. A call past the last
// answer fails the execution with States.Runtime, as a call that a mock
// configuration's ranges do not cover does.
func Sequence(state string, answers ...Answer) Option {
	if len(answers) == 0 {
		return func(c *config) {
			c.problems = append(c.problems, fmt.Sprintf("Sequence: give at least one answer for state %q", state))
		}
	}
	return mockOption("Sequence", state, &goMock{answers: answers})
}

// Func answers the calls of state with f, which sees each call (its
// number and input) and runs while the call is under way.
func Func(state string, f func(Call) Answer) Option {
	if f == nil {
		return func(c *config) {
			c.problems = append(c.problems, fmt.Sprintf("Func: the function for state %q is nil", state))
		}
	}
	return mockOption("Func", state, &goMock{fn: f})
}

// mockOption sets a Go mock; a later one for the same state replaces it.
func mockOption(option, state string, m *goMock) Option {
	m.option = option
	return func(c *config) {
		for _, a := range m.answers {
			if a.bad != "" {
				c.problems = append(c.problems, fmt.Sprintf("%s(%q): %s", option, state, a.bad))
				return
			}
		}
		c.mocks[state] = m
	}
}

// interceptor is the engine's TaskInterceptor in a Run: it numbers and
// records every task attempt and answers those that mocks answer, or
// that cannot run in a test.
type interceptor struct {
	machine  *Machine
	mocks    map[string]*goMock
	testCase *mockconfig.TestCase
	handlers map[string]interpreter.Handler
	clock    *fastclock.Clock

	mu       sync.Mutex
	calls    []Call
	problems []string // calls that could not be made, one per state
	failed   map[string]bool
}

func (ic *interceptor) intercept(ctx context.Context, req interpreter.TaskRequest) (json.RawMessage, error, bool) {
	// The engine numbers the calls as it schedules them, so concurrent
	// attempts (a Map's iterations) get numbers in the execution's order.
	ic.mu.Lock()
	call := Call{State: req.State, Resource: req.Resource, Number: req.Call, Attempt: req.Attempt, Input: req.Input}
	ic.calls = append(ic.calls, call)
	ic.mu.Unlock()

	a, mocked := ic.answer(call)
	if !mocked {
		return ic.unmocked(req)
	}
	if a.delay > 0 {
		if err := ic.clock.Sleep(ctx, a.delay); err != nil {
			return nil, err, true // withdrawn meanwhile (a timeout): nobody records it
		}
	}
	if a.err != nil {
		e := *a.err
		return nil, &e, true
	}
	return a.result, nil, true
}

// answer is the mocked answer to a call, from the Go mocks first, then the
// test case.
func (ic *interceptor) answer(c Call) (Answer, bool) {
	if m := ic.mocks[c.State]; m != nil {
		switch {
		case m.fn != nil:
			return ic.callFunc(m.fn, c), true
		case c.Number < len(m.answers):
			return m.answers[c.Number], true
		case m.repeat:
			return m.answers[len(m.answers)-1], true
		}
		return Answer{err: failure.Newf(failure.Runtime, "sfntest: Sequence for state %q has %d answer(s) and no answer for call %d (calls count from 0, retries included)", c.State, len(m.answers), c.Number)}, true
	}
	if ic.testCase != nil {
		if m, ok := ic.testCase.Mock(c.State, c.Number); ok {
			return Answer{result: m.Result, err: m.Err, delay: m.Delay}, true
		}
	}
	return Answer{}, false
}

// callFunc calls a Func mock; a panic or a bad answer fails the call and
// the test.
func (ic *interceptor) callFunc(f func(Call) Answer, c Call) (a Answer) {
	defer func() {
		if p := recover(); p != nil {
			a = ic.cannot(c.State, "sfntest: the Func for state %q panicked on call %d: %v", c.State, c.Number, p)
		}
	}()
	a = f(c)
	if a.bad != "" {
		return ic.cannot(c.State, "sfntest: the Func for state %q, call %d: %s", c.State, c.Number, a.bad)
	}
	if a.result == nil && a.err == nil {
		return ic.cannot(c.State, "sfntest: the Func for state %q returned no answer for call %d: return Ok(v) or Fail(name, cause)", c.State, c.Number)
	}
	return a
}

// unmocked performs or refuses a call no mock answers: a registered
// handler and a plain HTTP task run for real (handled false); other calls
// cannot run in a test.
func (ic *interceptor) unmocked(req interpreter.TaskRequest) (json.RawMessage, error, bool) {
	s := ic.machine.tasks[req.State]
	if s == nil || s.Task == nil {
		a := ic.cannot(req.State, "sfntest: state %q (%s) is not a Task state the definition has", req.State, req.Resource)
		return nil, a.err, true
	}
	spec := s.Task
	const howTo = "mock it (sfntest.Return, Throw, Sequence, Func, or a test case of MockConfig)"
	var a Answer
	switch {
	case spec.Kind == dsl.HandlerTask && !spec.WaitForToken && ic.handlers[spec.Name] != nil:
		return nil, nil, false
	case spec.Kind == dsl.HTTPTask && !spec.WaitForToken:
		return nil, nil, false // the real call
	case spec.WaitForToken:
		a = ic.cannot(req.State, "sfntest: state %q (%s) waits for a callback with its task token, which nothing sends in a test: %s; a mocked callback answers at once", req.State, req.Resource, howTo)
	case spec.Kind == dsl.HandlerTask:
		a = ic.cannot(req.State, "sfntest: state %q (%s) has no mock and no handler: %s, or register one with sfntest.Handler(%q, h)", req.State, req.Resource, howTo, spec.Name)
	case spec.Kind == dsl.ActivityTask:
		a = ic.cannot(req.State, "sfntest: state %q (%s) needs an activity worker, which a test does not run: %s", req.State, req.Resource, howTo)
	case spec.Kind == dsl.ExecutionTask:
		a = ic.cannot(req.State, "sfntest: state %q (%s) starts a child execution, which a test does not run: %s", req.State, req.Resource, howTo)
	default:
		a = ic.cannot(req.State, "sfntest: state %q (%s) cannot run in a test: %s", req.State, req.Resource, howTo)
	}
	return nil, a.err, true
}

// cannot is the failure of a call that could not be made; the test fails
// with it once the execution has ended (once per state: retries would
// repeat it).
func (ic *interceptor) cannot(state, format string, args ...any) Answer {
	msg := fmt.Sprintf(format, args...)
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if !ic.failed[state] {
		if ic.failed == nil {
			ic.failed = map[string]bool{}
		}
		ic.failed[state] = true
		ic.problems = append(ic.problems, msg)
	}
	return Answer{err: failure.New(failure.TaskFailed, msg)}
}

func (ic *interceptor) recorded() []Call {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return append([]Call(nil), ic.calls...)
}

func (ic *interceptor) unanswerable() []string {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return append([]string(nil), ic.problems...)
}
