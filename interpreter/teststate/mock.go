package teststate

import (
	"fmt"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// mockAnswer is the state's work as the request's mock gives it: a result
// or an error.
type mockAnswer struct {
	result value.Value // when err is nil
	err    *failure.Error
}

// checkMock checks the request's mock against the state, as AWS does: only
// a Task, Map or Parallel takes one, exactly one of result and errorOutput,
// a result that is JSON (whatever fieldValidationMode says) and that fits
// the state (an array per Map iteration or Parallel branch).
func (t *tester) checkMock() error {
	m := t.req.Mock
	if m == nil {
		return nil
	}
	s := t.s
	switch s.Kind {
	case dsl.Task, dsl.Map, dsl.Parallel:
	default:
		return &ValidationError{Field: "mock", Message: fmt.Sprintf("State type '%s' is not supported when a mock is specified", s.Kind)}
	}
	if t.req.RevealSecrets {
		return &ValidationError{Field: "revealSecrets", Message: "TestState does not support revealSecrets when a mock is specified: a mocked state sends nothing"}
	}
	hasResult, hasErr := m.Result != "", m.ErrorOutput != nil
	switch {
	case hasResult && hasErr:
		return &ValidationError{Field: "mock", Message: "A test mock should have only one of the following fields: [result, errorOutput]."}
	case !hasResult && !hasErr:
		return &ValidationError{Field: "mock", Message: "A test mock should have one of the following fields: [result, errorOutput]."}
	}
	mode := m.FieldValidationMode
	switch mode {
	case "":
		mode = Strict
	case Strict, Present, None:
	default:
		return &ValidationError{Field: "mock.fieldValidationMode", Message: fmt.Sprintf("%q is not one of STRICT, PRESENT, NONE", m.FieldValidationMode)}
	}
	if hasErr {
		t.mock = &mockAnswer{err: failure.New(m.ErrorOutput.Error, m.ErrorOutput.Cause).Capped()}
		return nil
	}
	v, err := jsonField("mock.result", m.Result, false)
	if err != nil {
		return err
	}
	if err := fitsState(s, v, mode); err != nil {
		return err
	}
	t.mock = &mockAnswer{result: v}
	return nil
}

// fitsState checks a mocked result against what the state's work returns:
// a Map's array of iteration outputs (an object with a ResultWriter), a
// Parallel's array of branch outputs, and for an HTTP Task, unless mode is
// NONE, an object whose fields of AWS's HTTP Task result have their types.
// sfn's other task resources have no API model to check against.
func fitsState(s *dsl.State, v value.Value, mode FieldValidationMode) error {
	bad := func(format string, args ...any) error {
		return &ValidationError{Field: "mock.result", Message: fmt.Sprintf(format, args...)}
	}
	switch s.Kind {
	case dsl.Map:
		if s.Distributed != nil && s.Distributed.Writer != nil {
			if _, ok := v.(*value.Object); !ok {
				return bad("Mocked result must be a JSON object (the Map's ResultWriter makes its result one), got %s.", value.TypeName(v))
			}
			return nil
		}
		if _, ok := v.([]any); !ok {
			return bad("Mocked result must be an array (one output per iteration), got %s.", value.TypeName(v))
		}
	case dsl.Parallel:
		arr, ok := v.([]any)
		if !ok {
			return bad("Mocked result must be an array (one output per branch), got %s.", value.TypeName(v))
		}
		if len(arr) != len(s.Branches) {
			return bad("Mocked result must contain the same number of items as number of Parallel branches: %d items, %d branches.", len(arr), len(s.Branches))
		}
	case dsl.Task:
		if s.Task.Kind != dsl.HTTPTask || s.Task.WaitForToken || mode == None {
			return nil
		}
		o, ok := v.(*value.Object)
		if !ok {
			return bad("an HTTP Task's result is an object (StatusCode, StatusText, Headers, ResponseBody), got %s (fieldValidationMode %s; NONE skips this check)", value.TypeName(v), mode)
		}
		for _, f := range []struct {
			name, want string
			ok         func(value.Value) bool
		}{
			{"StatusCode", "an integer", func(v value.Value) bool { n, ok := v.(value.Number); return ok && n.IsInteger() }},
			{"StatusText", "a string", func(v value.Value) bool { _, ok := v.(string); return ok }},
			{"Headers", "an object", func(v value.Value) bool { _, ok := v.(*value.Object); return ok }},
		} {
			if fv, has := o.Get(f.name); has && !f.ok(fv) {
				return bad("the HTTP Task result's %s must be %s, got %s (fieldValidationMode %s; NONE skips this check)", f.name, f.want, value.TypeName(fv), mode)
			}
		}
	}
	return nil
}
