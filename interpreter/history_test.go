package interpreter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenHandlers registers the handlers the golden definitions call.
func goldenHandlers(eng *interpreter.Engine) {
	eng.RegisterHandler("echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return append(json.RawMessage(`{"echo":`), append(in, '}')...), nil
	})
	eng.RegisterHandler("boom", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &failure.Error{Name: "Boom", Cause: "it broke"}
	})
	var flaky atomic.Int64
	eng.RegisterHandler("flaky", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if n := flaky.Add(1); n <= 2 {
			return nil, &failure.Error{Name: "Flaky", Cause: fmt.Sprintf("attempt %d failed", n)}
		}
		return json.RawMessage(`{"fixed":true}`), nil
	})
	// block answers only when its call is cancelled.
	eng.RegisterHandler("block", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

type goldenCase struct {
	name, def, input string
	// sequential: no branches, so every event follows id-1.
	sequential bool
}

var goldenCases = []goldenCase{
	{name: "pass-chain", sequential: true, input: `{"a":1}`, def: `{"StartAt":"One","States":{
		"One":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.one","Next":"Two"},
		"Two":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, $.one.x)"},"Next":"Three"},
		"Three":{"Type":"Pass","End":true}}}`},
	{name: "choice", sequential: true, input: `{"n":7}`, def: `{"StartAt":"Pick","States":{
		"Pick":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"},
		"Big":{"Type":"Succeed"},
		"Small":{"Type":"Fail","Error":"Small","Cause":"too small"}}}`},
	{name: "choice-default-fail", sequential: true, input: `{"n":1}`, def: `{"StartAt":"Pick","States":{
		"Pick":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"},
		"Big":{"Type":"Succeed"},
		"Small":{"Type":"Fail","Error":"Small","Cause":"too small"}}}`},
	{name: "wait", sequential: true, input: `{}`, def: `{"StartAt":"Nap","States":{
		"Nap":{"Type":"Wait","Seconds":10,"Next":"After"},
		"After":{"Type":"Pass","End":true}}}`},
	{name: "task-success", sequential: true, input: `{"n":3,"keep":"me"}`, def: `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:echo","Parameters":{"n.$":"$.n"},
			"ResultSelector":{"got.$":"$.echo.n"},"ResultPath":"$.result","End":true}}}`},
	{name: "task-then-next", sequential: true, input: `{"n":1}`, def: `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:echo","Next":"Again"},
		"Again":{"Type":"Task","Resource":"handler:echo","Next":"Done"},
		"Done":{"Type":"Pass","End":true}}}`},
	{name: "task-failure", sequential: true, input: `{}`, def: `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:boom","End":true}}}`},
	{name: "task-retry", sequential: true, input: `{}`, def: `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:flaky","End":true,
			"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}]}}}`},
	{name: "task-catch", sequential: true, input: `{"id":9}`, def: `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:boom","Next":"Done",
			"Retry":[{"ErrorEquals":["Other"],"MaxAttempts":5}],
			"Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.error","Next":"Recover"}]},
		"Recover":{"Type":"Pass","End":true},
		"Done":{"Type":"Succeed"}}}`},
	{name: "parallel", input: `{"v":1}`, def: `{"StartAt":"Both","States":{
		"Both":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
			{"StartAt":"B1","States":{"B1":{"Type":"Pass","Next":"B2"},"B2":{"Type":"Pass","Result":"b","End":true}}}]}}}`},
	{name: "parallel-branch-fails", input: `{}`, def: `{"StartAt":"Both","States":{
		"Both":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"Slow","States":{"Slow":{"Type":"Task","Resource":"handler:block","End":true}}},
			{"StartAt":"Napping","States":{"Napping":{"Type":"Wait","Seconds":100,"End":true}}},
			{"StartAt":"Check","States":{"Check":{"Type":"Pass","Next":"Broken"},
				"Broken":{"Type":"Fail","Error":"Broken","Cause":"branch 2 failed"}}}]}}}`},
	{name: "map-concurrency-1", input: `{"items":[1,2,3]}`, def: `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"End":true,
			"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"},
			"ItemProcessor":{"StartAt":"Twice","States":{"Twice":{"Type":"Pass","Parameters":{"r.$":"States.MathAdd($.v, $.v)"},"End":true}}}}}}`},
	{name: "map-concurrency-0", input: `{"items":[1,2,3]}`, def: `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":0,"End":true,
			"ItemProcessor":{"StartAt":"Same","States":{"Same":{"Type":"Pass","End":true}}}}}}`},
	{name: "map-tolerated-count-exceeded", input: `[0,1,0,1,1]`, def: `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","ToleratedFailureCount":1,"MaxConcurrency":1,"End":true,
			"ItemProcessor":{"StartAt":"Odd","States":{
				"Odd":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"Bad"}],"Default":"Good"},
				"Bad":{"Type":"Fail","Error":"Odd","Cause":"odd item"},
				"Good":{"Type":"Succeed"}}}}}}`},
	{name: "map-tolerated-percentage", input: `[0,1,0,0]`, def: `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","ToleratedFailurePercentage":25,"End":true,
			"ItemProcessor":{"StartAt":"Odd","States":{
				"Odd":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"Bad"}],"Default":"Good"},
				"Bad":{"Type":"Fail","Error":"Odd","Cause":"odd item"},
				"Good":{"Type":"Succeed"}}}}}}`},
	{name: "map-in-parallel", input: `{"xs":[1,2]}`, def: `{"StartAt":"Outer","States":{
		"Outer":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"Inner","States":{"Inner":{"Type":"Map","ItemsPath":"$.xs","End":true,
				"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}},
			{"StartAt":"Side","States":{"Side":{"Type":"Pass","Result":"side","End":true}}}]}}}`},
}

// TestGoldenHistories runs small definitions to their end and compares the
// whole history with testdata/history/<name>.golden (go test -update
// rewrites them). Timestamps are written as offsets from the start.
func TestGoldenHistories(t *testing.T) {
	t.Parallel()
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			goldenHandlers(f.eng)
			f.put("golden", c.def)
			ex := f.drive(f.start("golden", c.input).ID)
			h := f.history(ex.ID)
			checkInvariants(t, h, c.sequential)
			checkBranchLinks(t, h)
			got := renderHistory(t, ex, h)
			path := filepath.Join("testdata", "history", c.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("history of %s (-want +got):\n%s", c.name, diff)
			}
		})
	}
}

var timestampRE = regexp.MustCompile(`"timestamp":"([^"]+)"`)

// renderHistory writes the execution's outcome and its events, one per
// line, with timestamps as offsets from the manual clock's start.
func renderHistory(t *testing.T, ex *interpreter.Execution, h []event) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# status %s\n", ex.Status)
	if len(ex.Output) > 0 {
		fmt.Fprintf(&b, "# output %s\n", ex.Output)
	}
	if ex.Error != "" || ex.Cause != "" {
		fmt.Fprintf(&b, "# error %q cause %q\n", ex.Error, ex.Cause)
	}
	for _, e := range h {
		line := timestampRE.ReplaceAllStringFunc(string(e.Raw), func(m string) string {
			ts, err := time.Parse(interpreter.TimeFormat, timestampRE.FindStringSubmatch(m)[1])
			if err != nil {
				t.Errorf("event %d: %v", e.ID, err)
				return m
			}
			return fmt.Sprintf(`"timestamp":"+%.3fs"`, ts.Sub(epoch).Seconds())
		})
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// checkBranchLinks checks docs/api.md's previousEventId rules around branches:
// the first event of each branch or iteration follows the event that opened
// it, and ParallelStateSucceeded follows the last branch event to end.
func checkBranchLinks(t *testing.T, h []event) {
	t.Helper()
	byID := map[int64]event{}
	for _, e := range h {
		byID[e.ID] = e
	}
	for _, e := range h {
		switch e.Type {
		case "MapIterationStarted":
			if p := byID[e.Prev]; p.Type != "MapStateStarted" {
				t.Errorf("MapIterationStarted %d follows %s %d, want MapStateStarted", e.ID, p.Type, p.ID)
			}
		case "ParallelStateStarted":
			var firsts []string
			for _, f := range h {
				if f.Prev == e.ID {
					firsts = append(firsts, f.Type)
				}
			}
			for _, typ := range firsts {
				if !strings.HasSuffix(typ, "StateEntered") && typ != "ParallelStateFailed" && typ != "ParallelStateSucceeded" {
					t.Errorf("event after ParallelStateStarted %d is %s", e.ID, typ)
				}
			}
		case "ParallelStateSucceeded":
			// The last event of a branch before this one is the one it follows.
			last := byID[e.ID-1]
			if e.Prev != last.ID {
				t.Errorf("ParallelStateSucceeded %d follows %d, want the last branch event %d (%s)", e.ID, e.Prev, last.ID, last.Type)
			}
		}
	}
}
