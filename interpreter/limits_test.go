package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func withLimits(l interpreter.Limits) func(*interpreter.Config) {
	return func(c *interpreter.Config) { c.Limits = l }
}

func TestPayloadLimit(t *testing.T) {
	t.Parallel()
	big := `"` + strings.Repeat("x", 600) + `"`
	for _, tc := range []struct{ name, def, input string }{
		{name: "task result over the limit", input: `{}`, def: `{"StartAt":"Call","States":{
			"Call":{"Type":"Task","Resource":"handler:big","End":true,
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]},
			"Caught":{"Type":"Succeed"}}}`},
		{name: "state output over the limit", input: `{"a":` + big + `}`, def: `{"StartAt":"Double","States":{
			"Double":{"Type":"Pass","Parameters":{"a.$":"$.a","b.$":"$.a"},"End":true}}}`},
		{name: "task output merged over the limit", input: `{"a":` + big + `}`, def: `{"StartAt":"Call","States":{
			"Call":{"Type":"Task","Resource":"handler:echo","ResultPath":"$.copy","End":true,
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Caught"}]},
			"Caught":{"Type":"Succeed"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, withLimits(interpreter.Limits{MaxPayload: 1000, MaxHistory: 1000, StepEvents: 100}))
			f.eng.RegisterHandler("big", func(context.Context, json.RawMessage) (json.RawMessage, error) {
				return json.RawMessage(`{"a":` + big + `,"b":` + big + `}`), nil
			})
			f.eng.RegisterHandler("echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
			f.put("sm", tc.def)
			ex := f.wait(f.start("sm", tc.input).ID)
			if ex.Status != store.StatusFailed || ex.Error != failure.DataLimitExceeded {
				t.Fatalf("ended %s %q %q; want FAILED States.DataLimitExceeded, which no catcher catches", ex.Status, ex.Error, ex.Cause)
			}
			checkInvariants(t, f.history(ex.ID), true)
		})
	}
}

func TestInputOverLimitIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, withLimits(interpreter.Limits{MaxPayload: 100, MaxHistory: 1000, StepEvents: 100}))
	f.put("sm", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	_, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: "big",
		Input: json.RawMessage(`{"a":"` + strings.Repeat("x", 100) + `"}`)})
	if !errors.Is(err, interpreter.ErrPayloadTooLarge) {
		t.Fatalf("start with a large input: %v, want ErrPayloadTooLarge", err)
	}
	if _, err := f.eng.GetExecution(f.ctx, "sm:big"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused start left an execution behind: %v", err)
	}
}

// loop counts $.i up to n with a Choice and a Pass.
const loop = `{"StartAt":"Check","States":{
	"Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":%N%,"Next":"Inc"}],"Default":"Done"},
	"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
	"Done":{"Type":"Succeed"}}}`

func TestHistoryLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, withLimits(interpreter.Limits{MaxPayload: 1000, MaxHistory: 50, StepEvents: 1000}))
	f.put("sm", strings.Replace(loop, "%N%", "1000", 1))
	ex := f.wait(f.start("sm", `{"i":0}`).ID)
	if ex.Status != store.StatusFailed || ex.Error != failure.Runtime {
		t.Fatalf("ended %s %q %q, want FAILED States.Runtime", ex.Status, ex.Error, ex.Cause)
	}
	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	// The limit is checked before each state: the state under way may
	// finish its events, then ExecutionFailed ends the history.
	if len(h) < 50 || len(h) > 53 || h[len(h)-1].Type != "ExecutionFailed" {
		t.Errorf("%d events, last %s; want the limit (50) plus at most a state's tail and ExecutionFailed", len(h), h[len(h)-1].Type)
	}
}

func TestLongPureLoopCommitsInSteps(t *testing.T) {
	t.Parallel()
	f := setup(t, withLimits(interpreter.Limits{MaxPayload: 1000, MaxHistory: 25000, StepEvents: 20}))
	f.put("sm", strings.Replace(loop, "%N%", "50", 1))
	ex := f.drive(f.start("sm", `{"i":0}`).ID)
	if ex.Status != store.StatusSucceeded || string(ex.Output) != `{"i":50}` {
		t.Fatalf("ended %s %s %q", ex.Status, ex.Output, ex.Error)
	}
	rec, err := f.store.GetExecution(f.ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	// ExecutionStarted, 50 × (Choice, Pass) entered and exited, then the end.
	if len(h) != 206 {
		t.Errorf("%d events, want 206", len(h))
	}
	if rec.RecordVersion <= 2 {
		t.Errorf("record version %d: the loop did not commit in several steps", rec.RecordVersion)
	}
}
