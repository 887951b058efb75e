package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/mockconfig"
)

// mockResponse is one canned answer of a Task state: an output, or an error
// with an optional cause.
type mockResponse struct {
	output value.Value
	err    *failure.Error
}

// mocks are the canned answers by state name; the n-th call of a state gets
// the n-th answer, and the last one repeats.
type mocks map[string][]mockResponse

// loadMocks reads a mock file (YAML or JSON):
//
//	Charge:
//	  - error: Payment.ProviderUnavailable
//	    cause: the provider is down
//	  - output: {status: APPROVED}
func loadMocks(path string) (mocks, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--mock: %v", err)
	}
	doc, problems := source.Parse(data, source.Sniff)
	if len(problems) > 0 {
		p := problems[0]
		return nil, usageErrorf("--mock %s:%d:%d: %s", path, p.Pos.Line, p.Pos.Column, p.Message)
	}
	bad := func(ptr, format string, a ...any) error {
		pos := doc.ValuePos(ptr)
		return usageErrorf("--mock %s:%d:%d: %s", path, pos.Line, pos.Column, fmt.Sprintf(format, a...))
	}
	root, ok := doc.Root.(*value.Object)
	if !ok {
		return nil, bad("", "a mock file maps state names to lists of answers")
	}
	m := mocks{}
	for _, st := range root.Members() {
		ptr := "/" + escapePointer(st.Key)
		list, ok := st.Value.([]any)
		if !ok {
			// A single answer is a list of one.
			list = []any{st.Value}
		}
		if len(list) == 0 {
			return nil, bad(ptr, "state %q: give at least one answer", st.Key)
		}
		for i, item := range list {
			iptr := fmt.Sprintf("%s/%d", ptr, i)
			obj, ok := item.(*value.Object)
			if !ok {
				return nil, bad(iptr, "an answer is {output: ...} or {error: NAME, cause: TEXT}")
			}
			var r mockResponse
			hasOutput := false
			for _, f := range obj.Members() {
				switch f.Key {
				case "output":
					r.output, hasOutput = f.Value, true
				case "error", "cause":
					s, ok := f.Value.(string)
					if !ok {
						return nil, bad(iptr+"/"+f.Key, "%s must be a string", f.Key)
					}
					if r.err == nil {
						r.err = &failure.Error{}
					}
					if f.Key == "error" {
						r.err.Name = s
					} else {
						r.err.Cause = s
					}
				default:
					return nil, bad(iptr+"/"+f.Key, "unknown field %q: an answer has output, or error and cause", f.Key)
				}
			}
			switch {
			case hasOutput && r.err != nil:
				return nil, bad(iptr, "an answer has either output or error, not both")
			case r.err != nil && r.err.Name == "":
				return nil, bad(iptr, "an error answer needs an error name")
			case !hasOutput && r.err == nil:
				return nil, bad(iptr, "an answer needs output or error")
			}
			m[st.Key] = append(m[st.Key], r)
		}
	}
	return m, nil
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// mocker answers every task attempt of an execution as the engine's
// TaskInterceptor: by state name, from the mocks, whatever the resource.
// A state without a mock does what sfn run can do for its kind: an HTTP
// task makes its real call; a handler, an activity or a callback fails at
// once, since the CLI registers no handlers, runs no workers and cannot be
// called back.
type mocker struct {
	mocks    mocks
	testCase *mockconfig.TestCase  // from --mock-config, or nil
	tasks    map[string]*dsl.State // the Task states by name
	http     *httptask.Client

	// sleep waits out a mocked answer's Delay: the fast clock's Sleep
	// under --fast-time (its time jumps over the delay), else real time.
	sleep func(ctx context.Context, d time.Duration) error
}

// realSleep waits d, or until ctx ends.
func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func newMocker(m mocks, def *dsl.Definition, hc *httptask.Client) *mocker {
	tasks := def.Machine.TaskStates()
	return &mocker{mocks: m, tasks: tasks, http: hc, sleep: realSleep}
}

// check refuses mocks for states that are not Task states of the
// definition: a typo would otherwise let the state run for real.
func (m *mocker) check() error {
	for _, name := range sortedKeys(m.mocks) {
		if m.tasks[name] == nil {
			return usageErrorf("--mock: %q is not a Task state of the definition", name)
		}
	}
	if m.testCase != nil {
		for _, name := range m.testCase.States() {
			if m.tasks[name] == nil {
				return usageErrorf("--mock-config: test case %q mocks %q, which is not a Task state of the definition", m.testCase.Name, name)
			}
		}
	}
	return nil
}

// mocked tells whether a state has canned answers, by --mock or by the
// test case of --mock-config.
func (m *mocker) mocked(state string) bool {
	if len(m.mocks[state]) > 0 {
		return true
	}
	if m.testCase != nil {
		_, _, ok := m.testCase.Answer(state, 0)
		return ok
	}
	return false
}

// loadTestCase reads --mock-config and picks its test case; nil without
// --mock-config.
func loadTestCase(definition string, o runOptions) (*mockconfig.TestCase, error) {
	switch {
	case o.mockConfig == "" && (o.testCase != "" || o.stateMachine != ""):
		return nil, usageErrorf("--test-case and --state-machine go with --mock-config")
	case o.mockConfig == "":
		return nil, nil
	case o.mockFile != "":
		return nil, usageErrorf("--mock and --mock-config cannot be used together: give the canned answers in one of them")
	case o.testCase == "":
		return nil, usageErrorf("--mock-config needs --test-case NAME: the test case to run")
	}
	cfg, err := readMockConfig(o.mockConfig)
	if err != nil {
		return nil, err
	}
	name := o.stateMachine
	if name == "" {
		// AWS matches the state machine's name; sfn run names it after
		// the file, as it does when it creates it.
		name = dsl.NameFromFile(definition)
	}
	tc, err := cfg.TestCase(name, o.testCase)
	if err != nil {
		return nil, usageErrorf("--mock-config: %v", err)
	}
	return tc, nil
}

// intercept is the engine's TaskInterceptor. It answers every attempt
// (handled is always true): the engine's own way of performing a task
// would wait for workers and callbacks that never come.
func (m *mocker) intercept(ctx context.Context, t interpreter.TaskRequest) (json.RawMessage, error, bool) {
	// The engine numbers the calls as it schedules them, so concurrent
	// attempts (a Map's iterations) get numbers in the execution's order.
	n := t.Call
	if m.testCase != nil {
		// Call n of the state: every attempt counts, so a retry consumes
		// a call number as on AWS.
		if a, ok := m.testCase.Mock(t.State, n); ok {
			if a.Delay > 0 {
				if err := m.sleep(ctx, a.Delay); err != nil {
					return nil, err, true // the attempt was withdrawn meanwhile
				}
			}
			if a.Err != nil {
				return nil, a.Err, true
			}
			return a.Result, nil, true
		}
	}
	if answers := m.mocks[t.State]; len(answers) > 0 {
		r := answers[min(n, len(answers)-1)]
		if r.err != nil {
			return nil, &failure.Error{Name: r.err.Name, Cause: r.err.Cause}, true
		}
		return value.Marshal(r.output), nil, true
	}
	kind, waits := taskKind(m.tasks[t.State], t.Resource)
	switch {
	case kind == dsl.HTTPTask && !waits:
		out, ferr := m.invoke(ctx, t, n)
		if ferr != nil {
			return nil, ferr, true
		}
		return value.Marshal(out), nil, true
	case kind == dsl.HTTPTask:
		return nil, failure.Newf(failure.TaskFailed, "sfn run: state %q (%s) waits for a callback with its task token, which sfn run cannot receive; give it a mock (--mock, or a test case of --mock-config)", t.State, t.Resource), true
	case kind == dsl.ActivityTask:
		return nil, failure.Newf(failure.TaskFailed, "sfn run: state %q (%s) needs an activity worker, which sfn run does not run; give it a mock (--mock, or a test case of --mock-config)", t.State, t.Resource), true
	default:
		return nil, failure.Newf(failure.TaskFailed, "sfn run: no mock for state %q (%s); give one with --mock or a test case of --mock-config", t.State, t.Resource), true
	}
}

// invoke makes the real HTTP call of an unmocked http:invoke state. The
// idempotency key names the attempt: the same on no two attempts.
func (m *mocker) invoke(ctx context.Context, t interpreter.TaskRequest, n int) (value.Value, *failure.Error) {
	params, err := value.Decode(t.Input)
	if err != nil {
		return nil, failure.Newf(failure.TaskFailed, "sfn run: the parameters of state %q: %v", t.State, err)
	}
	key := fmt.Sprintf("%s/%s/%d", t.ExecutionID, t.State, n)
	return m.http.Invoke(ctx, httptask.Request{Parameters: params, IdempotencyKey: key})
}

// taskKind is the kind of a Task state, and whether it waits for a task
// token; from the resource text when the state is unknown.
func taskKind(s *dsl.State, resource string) (dsl.TaskKind, bool) {
	if s != nil && s.Task != nil {
		return s.Task.Kind, s.Task.WaitForToken
	}
	waits := strings.HasSuffix(resource, ".waitForTaskToken")
	switch {
	case strings.HasPrefix(resource, "http:"):
		return dsl.HTTPTask, waits
	case strings.HasPrefix(resource, "activity:"):
		return dsl.ActivityTask, waits
	}
	return dsl.HandlerTask, waits
}

func sortStrings(s []string) { sort.Strings(s) }

// serveMocks reads sfn serve's --mock-config; nil without one.
func serveMocks(file string, log *slog.Logger) (*mockconfig.Config, error) {
	if file == "" {
		return nil, nil
	}
	cfg, err := readMockConfig(file)
	if err != nil {
		return nil, err
	}
	// Loud on purpose: a production node should not have one.
	log.Warn("mock configuration loaded: executions started with one of its test cases get mocked answers, not real calls",
		slog.String("file", file), slog.Any("state_machines", cfg.StateMachines()))
	return cfg, nil
}

// readMockConfig reads and parses a --mock-config file (sfn run's and sfn
// serve's), its problems as usage errors with their places.
func readMockConfig(file string) (*mockconfig.Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("--mock-config: %v", err)
	}
	cfg, err := mockconfig.Parse(data, file)
	if err != nil {
		return nil, usageErrorf("--mock-config: %s is not a valid mock configuration:\n%v", file, err)
	}
	return cfg, nil
}
