package sfntest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/store"
)

// Result is how an execution ended, its history and the task calls it
// made. Its Assert methods report to the test that ran it, with the end of
// the history.
type Result struct {
	t       testing.TB
	machine string
	status  string
	output  json.RawMessage
	errName string
	cause   string
	history []Event
	calls   []Call
}

// Event is one history event.
type Event struct {
	ID         int64
	PreviousID int64
	Type       string // TaskStateEntered, TaskScheduled, TaskFailed …
	Timestamp  time.Time
	// Name is the state's name on state events (…StateEntered,
	// …StateExited) and the Map's on Map iteration events.
	Name     string
	Resource string // on task and activity events that carry it
	Error    string
	Cause    string
	// Data is the whole event as JSON (its input, output, parameters …).
	Data json.RawMessage
}

func parseEvents(raw []store.Event) []Event {
	out := make([]Event, 0, len(raw))
	for _, e := range raw {
		var ev struct {
			ID        int64  `json:"id"`
			Prev      int64  `json:"previousEventId"`
			Type      string `json:"type"`
			Timestamp string `json:"timestamp"`
			Name      string `json:"name"`
			Resource  string `json:"resource"`
			Error     string `json:"error"`
			Cause     string `json:"cause"`
		}
		_ = json.Unmarshal(e.Data, &ev) // the engine's own JSON; a field it lacks stays empty
		ts, _ := time.Parse(time.RFC3339Nano, ev.Timestamp)
		out = append(out, Event{ID: ev.ID, PreviousID: ev.Prev, Type: ev.Type, Timestamp: ts, Name: ev.Name,
			Resource: ev.Resource, Error: ev.Error, Cause: ev.Cause, Data: json.RawMessage(e.Data)})
	}
	return out
}

// Status is the execution's status: SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
func (r *Result) Status() string { return r.status }

// Output is the execution's output (JSON), when it succeeded.
func (r *Result) Output() json.RawMessage { return r.output }

// ErrorName is the error the execution failed with ("" when it succeeded).
func (r *Result) ErrorName() string { return r.errName }

// Cause is the cause of the execution's failure.
func (r *Result) Cause() string { return r.cause }

// DecodeOutput decodes the output into v, as json.Unmarshal does; it fails
// the test when the execution has no output or it does not fit v.
func (r *Result) DecodeOutput(v any) {
	r.t.Helper()
	if r.output == nil {
		r.t.Errorf("sfntest: the execution has no output: it ended %s%s", r.outcome(), r.tail())
		return
	}
	if err := json.Unmarshal(r.output, v); err != nil {
		r.t.Errorf("sfntest: decoding the output into %T: %v\noutput: %s", v, err, r.output)
	}
}

// History is the execution's history, event by event.
func (r *Result) History() []Event { return slices.Clone(r.history) }

// Events is the history's events of the given types, in order.
func (r *Result) Events(types ...string) []Event {
	var out []Event
	for _, e := range r.history {
		if slices.Contains(types, e.Type) {
			out = append(out, e)
		}
	}
	return out
}

// Path is the names of the states entered, in the order of the history:
// states of Parallel branches and Map iterations included, a state as
// often as it was entered.
func (r *Result) Path() []string {
	var path []string
	for _, e := range r.history {
		if strings.HasSuffix(e.Type, "StateEntered") {
			path = append(path, e.Name)
		}
	}
	return path
}

// Calls is the task calls of state, in call number order: every attempt,
// whoever answered it (a mock, a handler, an HTTP endpoint).
func (r *Result) Calls(state string) []Call {
	var out []Call
	for _, c := range r.calls {
		if c.State == state {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Call) int { return a.Number - b.Number })
	return out
}

// AssertSucceeded checks that the execution succeeded.
func (r *Result) AssertSucceeded() {
	r.t.Helper()
	r.AssertStatus(store.StatusSucceeded)
}

// AssertFailed checks that the execution failed with the error errName.
func (r *Result) AssertFailed(errName string) {
	r.t.Helper()
	if r.status != store.StatusFailed || r.errName != errName {
		r.t.Errorf("sfntest: the execution ended %s, want FAILED with error %s%s", r.outcome(), errName, r.tail())
	}
}

// AssertStatus checks the execution's status (SUCCEEDED, FAILED,
// TIMED_OUT, ABORTED).
func (r *Result) AssertStatus(status string) {
	r.t.Helper()
	if r.status != status {
		r.t.Errorf("sfntest: the execution ended %s, want %s%s", r.outcome(), status, r.tail())
	}
}

// AssertOutput checks that the output equals want as a JSON value (member
// order and spacing do not matter). want is JSON text when it is a string,
// []byte or json.RawMessage; any other Go value is encoded first.
func (r *Result) AssertOutput(want any) {
	r.t.Helper()
	w, err := jsonOf(want)
	if err != nil {
		r.t.Errorf("sfntest: AssertOutput: the wanted output: %v", err)
		return
	}
	if r.output == nil {
		r.t.Errorf("sfntest: the execution has no output: it ended %s%s", r.outcome(), r.tail())
		return
	}
	var gotV, wantV any
	if err := json.Unmarshal(r.output, &gotV); err != nil {
		r.t.Errorf("sfntest: the output is not JSON: %v", err)
		return
	}
	_ = json.Unmarshal(w, &wantV) // valid: jsonOf checked it
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		r.t.Errorf("sfntest: output differs (-want +got):\n%s", diff)
	}
}

// AssertPath checks the states entered, in order (as Path gives them).
func (r *Result) AssertPath(states ...string) {
	r.t.Helper()
	got := r.Path()
	if !slices.Equal(got, states) {
		r.t.Errorf("sfntest: path differs (-want +got):\n%s%s", cmp.Diff(states, got), r.tail())
	}
}

// AssertCalls checks how many calls state made (every attempt counts).
func (r *Result) AssertCalls(state string, n int) {
	r.t.Helper()
	if got := len(r.Calls(state)); got != n {
		r.t.Errorf("sfntest: state %q made %d call(s), want %d%s", state, got, n, r.tail())
	}
}

// outcome is the status with the error and cause, for messages.
func (r *Result) outcome() string {
	if r.errName == "" && r.cause == "" {
		return r.status
	}
	return fmt.Sprintf("%s with error %s (cause: %s)", r.status, r.errName, abbreviate(r.cause, 300))
}

// tailLength is how many events a failure message shows.
const tailLength = 12

// tail is the path and the last events of the history, for a failure
// message.
func (r *Result) tail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  state machine %s; path: %s", r.machine, strings.Join(r.Path(), " → "))
	events := r.history
	if len(events) > tailLength {
		fmt.Fprintf(&b, "\n  history, last %d of %d events:", tailLength, len(events))
		events = events[len(events)-tailLength:]
	} else {
		fmt.Fprintf(&b, "\n  history, %d events:", len(events))
	}
	for _, e := range events {
		fmt.Fprintf(&b, "\n    %3d %s", e.ID, e.Type)
		for _, f := range []struct{ k, v string }{{"", e.Name}, {"", e.Resource}, {"error=", e.Error}, {"cause=", e.Cause}} {
			if f.v != "" {
				fmt.Fprintf(&b, " %s%s", f.k, abbreviate(f.v, 160))
			}
		}
	}
	return b.String()
}
