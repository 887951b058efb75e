package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
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

// taskStates lists every Task state of a definition, in branches and
// processors too.
func taskStates(mc *dsl.Machine, out map[string]*dsl.State) {
	for _, name := range mc.Names {
		s := mc.States[name]
		if s == nil {
			continue
		}
		if s.Kind == dsl.Task && s.Task != nil {
			out[s.Name] = s
		}
		for _, b := range s.Branches {
			taskStates(b, out)
		}
		if s.Processor != nil {
			taskStates(s.Processor, out)
		}
	}
}

// mocker answers an execution's task calls from mocks. The engine calls a
// handler by its name only, so the mocker finds the state a call belongs to
// in the history: the oldest unanswered TaskScheduled of that resource with
// these parameters, and the StateEntered its thread started from.
type mocker struct {
	engine *interpreter.Engine
	mocks  mocks
	clock  *fastClock // nil without --fast-time
	idOnce chan struct{}
	id     string

	mu      sync.Mutex
	claimed map[int64]bool
	calls   map[string]int
}

func newMocker(m mocks, clock *fastClock) *mocker {
	return &mocker{mocks: m, clock: clock, idOnce: make(chan struct{}), claimed: map[int64]bool{}, calls: map[string]int{}}
}

// checkMocks refuses mocks for states that do not exist, and for states
// whose resource kind sfn run cannot intercept yet.
func (m *mocker) check(def *dsl.Definition) error {
	tasks := map[string]*dsl.State{}
	taskStates(&def.Machine, tasks)
	var names []string
	for name := range m.mocks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := tasks[name]
		if s == nil {
			return usageErrorf("--mock: %q is not a Task state of the definition", name)
		}
		if s.Task.Kind != dsl.HandlerTask {
			return usageErrorf("--mock: state %q uses %s; sfn run can mock handler: resources only so far (http:invoke makes its real call; activities wait for a worker)", name, s.Task.Resource)
		}
	}
	return nil
}

// register installs a handler for every handler: resource of def.
func (m *mocker) register(e *interpreter.Engine, def *dsl.Definition) {
	m.engine = e
	tasks := map[string]*dsl.State{}
	taskStates(&def.Machine, tasks)
	seen := map[string]bool{}
	for _, s := range tasks {
		if s.Task.Kind != dsl.HandlerTask || seen[s.Task.Resource] {
			continue
		}
		seen[s.Task.Resource] = true
		resource := s.Task.Resource
		e.RegisterHandler(s.Task.Name, func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
			return m.call(ctx, resource, input)
		})
	}
}

// started tells the mocker the execution's id; calls wait for it.
func (m *mocker) started(id string) {
	m.id = id
	close(m.idOnce)
}

func (m *mocker) call(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	select {
	case <-m.idOnce:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	state, err := m.stateOf(ctx, resource, input)
	if err != nil {
		return nil, failure.New(failure.TaskFailed, "sfn run: "+err.Error())
	}
	m.mu.Lock()
	n := m.calls[state]
	m.calls[state] = n + 1
	m.mu.Unlock()
	answers := m.mocks[state]
	if len(answers) == 0 {
		return nil, failure.Newf(failure.TaskFailed, "sfn run: no mock for state %q (%s); give one with --mock", state, resource)
	}
	r := answers[min(n, len(answers)-1)]
	if r.err != nil {
		return nil, &failure.Error{Name: r.err.Name, Cause: r.err.Cause}
	}
	return value.Marshal(r.output), nil
}

// stateOf finds the name of the state whose task call this is.
func (m *mocker) stateOf(ctx context.Context, resource string, input json.RawMessage) (string, error) {
	in, err := value.Decode(input)
	if err != nil {
		return "", err
	}
	events, err := m.engine.History(ctx, store.HistoryQuery{ID: m.id, Limit: 1 << 30})
	if err != nil {
		return "", err
	}
	type ev struct {
		Type       string          `json:"type"`
		Prev       int64           `json:"previousEventId"`
		Name       string          `json:"name"`
		Resource   string          `json:"resource"`
		Parameters json.RawMessage `json:"parameters"`
	}
	byID := make(map[int64]ev, len(events))
	m.mu.Lock()
	defer m.mu.Unlock()
	var mine int64
	for _, e := range events {
		var x ev
		if err := json.Unmarshal(e.Data, &x); err != nil {
			return "", err
		}
		byID[e.ID] = x
		if mine != 0 || x.Type != "TaskScheduled" || x.Resource != resource || m.claimed[e.ID] {
			continue
		}
		if p, err := value.Decode(x.Parameters); err == nil && value.Equal(p, in) {
			mine = e.ID
		}
	}
	if mine == 0 {
		return "", fmt.Errorf("no scheduled %s call matches this one", resource)
	}
	m.claimed[mine] = true
	for id := byID[mine].Prev; id > 0; id = byID[id].Prev {
		if x := byID[id]; x.Type == "TaskStateEntered" {
			return x.Name, nil
		}
	}
	return "", fmt.Errorf("the state of the %s call (event %d) is not in the history", resource, mine)
}

func sortStrings(s []string) { sort.Strings(s) }
