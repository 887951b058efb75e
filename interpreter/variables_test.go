package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestVariables: the rules of workflow variables in JSONPath states, one
// definition each: where Assign applies, what its "$" is, what it sees,
// scopes, and what an undefined variable does.
func TestVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, def, input string
		output           string // when it succeeds
		errName, cause   string // when it fails (cause: a phrase in it)
	}{
		{
			name: "Assign sees the result, not the input; ResultPath and OutputPath of the same state see the old values",
			def: `{"StartAt":"A","States":{
				"A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
				"B":{"Type":"Pass","Parameters":{"p.$":"$.in"},"Assign":{"x":2,"fromResult.$":"$.p","old.$":"$x"},"ResultPath":"$.r","Next":"C"},
				"C":{"Type":"Pass","Assign":{"x":3},"OutputPath":"$x","Next":"D"},
				"D":{"Type":"Pass","Parameters":{"x.$":"$x","fromResult.$":"$fromResult","old.$":"$old","prev.$":"$"},"End":true}}}`,
			input:  `{"in":"v"}`,
			output: `{"x":3,"fromResult":"v","old":1,"prev":2}`,
		},
		{
			name: "a Task's Assign reads the result after ResultSelector; its catcher's Assign replaces it",
			def: `{"StartAt":"Ok","States":{
				"Ok":{"Type":"Task","Resource":"handler:echo","Parameters":{"v":7},"ResultSelector":{"w.$":"$.v"},"Assign":{"w.$":"$.w"},"ResultPath":null,"Next":"Bad"},
				"Bad":{"Type":"Task","Resource":"handler:boom","Assign":{"never":1},
					"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"caught.$":"$.Error","why.$":"$.Cause"},"ResultPath":"$.err","Next":"Out"}],"End":true},
				"Out":{"Type":"Pass","Parameters":{"w.$":"$w","caught.$":"$caught","why.$":"$why"},"Next":"Never"},
				"Never":{"Type":"Pass","OutputPath":"$never","End":true}}}`,
			input:   `{}`,
			errName: "States.Runtime",
			cause:   "'$never' is not defined",
		},
		{
			name: "the matching choice rule's Assign applies, the state's only on Default",
			def: `{"StartAt":"Set","States":{
				"Set":{"Type":"Pass","Assign":{"n":0},"Next":"C"},
				"C":{"Type":"Choice","Assign":{"via":"default"},
					"Choices":[{"Variable":"$n","NumericEquals":1,"Assign":{"via":"rule"},"Next":"Done"}],"Default":"Inc"},
				"Inc":{"Type":"Pass","Assign":{"n":1,"first.$":"$via"},"Next":"C"},
				"Done":{"Type":"Pass","Parameters":{"via.$":"$via","first.$":"$first"},"End":true}}}`,
			input:  `{}`,
			output: `{"via":"rule","first":"default"}`,
		},
		{
			name: "Wait assigns from its effective input and reads variables in SecondsPath",
			def: `{"StartAt":"Set","States":{
				"Set":{"Type":"Pass","Assign":{"secs":0},"Next":"W"},
				"W":{"Type":"Wait","SecondsPath":"$secs","InputPath":"$.in","Assign":{"waited.$":"$.k"},"Next":"Out"},
				"Out":{"Type":"Pass","OutputPath":"$waited","End":true}}}`,
			input:  `{"in":{"k":"yes"}}`,
			output: `"yes"`,
		},
		{
			name: "Map iterations and Parallel branches read outer variables; what they assign stays inside",
			def: `{"StartAt":"Set","States":{
				"Set":{"Type":"Pass","Assign":{"base":10,"items":[1,2]},"Next":"M"},
				"M":{"Type":"Map","ItemsPath":"$items","MaxConcurrencyPath":"$base",
					"ItemProcessor":{"StartAt":"I","States":{
						"I":{"Type":"Pass","Assign":{"mine.$":"$"},"Next":"J"},
						"J":{"Type":"Pass","Parameters":{"item.$":"$mine","base.$":"$base"},"End":true}}},
					"ResultPath":"$.m","Next":"P"},
				"P":{"Type":"Parallel","Branches":[
					{"StartAt":"B0","States":{"B0":{"Type":"Pass","Assign":{"local":"b0"},"Next":"B1"},"B1":{"Type":"Pass","Parameters":{"l.$":"$local","b.$":"$base"},"End":true}}},
					{"StartAt":"C0","States":{"C0":{"Type":"Pass","Assign":{"local":"c0"},"Next":"C1"},"C1":{"Type":"Pass","OutputPath":"$local","End":true}}}],
					"ResultPath":"$.p","Assign":{"after.$":"$[1]"},"Next":"Out"},
				"Out":{"Type":"Pass","Parameters":{"m.$":"$.m","p.$":"$.p","after.$":"$after"},"End":true}}}`,
			input:  `{}`,
			output: `{"m":[{"item":1,"base":10},{"item":2,"base":10}],"p":[{"l":"b0","b":10},"c0"],"after":"c0"}`,
		},
		{
			name: "a branch's variable is gone after the Parallel",
			def: `{"StartAt":"P","States":{
				"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"inner":1},"End":true}}}],"Next":"Out"},
				"Out":{"Type":"Pass","InputPath":"$inner","End":true}}}`,
			input:   `{}`,
			errName: "States.Runtime",
			cause:   "the variable '$inner' is not defined",
		},
		{
			name: "variables in Fail ErrorPath/CausePath and intrinsic arguments",
			def: `{"StartAt":"Set","States":{
				"Set":{"Type":"Pass","Assign":{"e":"Custom","who":"me"},"Next":"F"},
				"F":{"Type":"Fail","ErrorPath":"$e","CausePath":"States.Format('by {}', $who)"}}}`,
			input:   `{}`,
			errName: "Custom",
			cause:   "by me",
		},
		{
			name: "an Assign that fails is the state's States.Runtime, which no catcher catches",
			def: `{"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"handler:echo","Assign":{"x.$":"$.missing"},
					"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Out"}],"End":true},
				"Out":{"Type":"Pass","End":true}}}`,
			input:   `{}`,
			errName: "States.Runtime",
			cause:   "The JSONPath '$.missing' specified for the field 'x.$' could not be found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.eng.RegisterHandler("echo", echoHandler)
			f.eng.RegisterHandler("boom", func(context.Context, json.RawMessage) (json.RawMessage, error) {
				return nil, errors.New("it broke")
			})
			f.put("vars", tt.def)
			ex := f.wait(f.start("vars", tt.input).ID)
			if tt.errName == "" {
				if ex.Status != store.StatusSucceeded {
					t.Fatalf("%s %s %s, want SUCCEEDED", ex.Status, ex.Error, ex.Cause)
				}
				jsonEqual(t, ex.Output, tt.output)
				return
			}
			if ex.Status != store.StatusFailed || ex.Error != tt.errName || !strings.Contains(ex.Cause, tt.cause) {
				t.Fatalf("%s %q %q, want FAILED %s with %q", ex.Status, ex.Error, ex.Cause, tt.errName, tt.cause)
			}
		})
	}
}

// TestAssignedVariablesEvents: …StateExited events carry the values set
// as JSON text, and assignedVariablesDetails, as AWS records them; a state
// without Assign carries neither.
func TestAssignedVariablesEvents(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("vars", `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"s":"text","n":1.5,"o":{"k":[true,null]}},"Next":"B"},
		"B":{"Type":"Pass","End":true}}}`)
	ex := f.wait(f.start("vars", `{}`).ID)
	h := f.history(ex.ID)
	exits := find(h, "PassStateExited")
	if len(exits) != 2 {
		t.Fatalf("history: %s", typesOf(h))
	}
	jsonEqual(t, exits[0].Fields["assignedVariables"], `{"s":"\"text\"","n":"1.5","o":"{\"k\":[true,null]}"}`)
	jsonEqual(t, exits[0].Fields["assignedVariablesDetails"], `{"truncated":false}`)
	if _, ok := exits[1].Fields["assignedVariables"]; ok {
		t.Errorf("a state without Assign: %s", exits[1].Raw)
	}
}

const varsCrashDef = `{"StartAt":"Set","States":{
	"Set":{"Type":"Pass","Assign":{"x.$":"$.n","y":"kept"},"Next":"Call"},
	"Call":{"Type":"Task","Resource":"handler:work","Parameters":{"x.$":"$x"},"Assign":{"got.$":"$.x"},"Next":"Reveal"},
	"Reveal":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y","got.$":"$got"},"End":true}}}`

// TestVariablesSurviveCrash: a node crashes while a task is in flight; the
// node that takes over resumes with exactly the variables the first one
// committed (they are in the record), on memory and on Redis.
func TestVariablesSurviveCrashMemory(t *testing.T) {
	t.Parallel()
	variablesSurviveCrash(t, memory.WithLeases(memory.New(), 16))
}

func TestVariablesSurviveCrashRedis(t *testing.T) {
	t.Parallel()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16, Prefix: "vars"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	variablesSurviveCrash(t, st)
}

func variablesSurviveCrash(t *testing.T, st store.Store) {
	ctx := context.Background()
	var started atomic.Int64
	a, crashA := callNode(t, st, "A", blockingWork(&started))
	if _, err := a.PutStateMachine(ctx, "vars", []byte(varsCrashDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ids := startN(t, a, "vars", 3)
	waitFor(t, "A's calls", func() bool {
		for _, id := range ids {
			if rec, err := st.GetExecution(ctx, id); err == nil && rec.Status != store.StatusRunning {
				t.Fatalf("%s ended %s %s %s before the crash", id, rec.Status, rec.Error, rec.Cause)
			}
		}
		return started.Load() == 3
	})
	crashA()
	for _, id := range ids {
		rec, err := st.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(rec.Engine), `"enc":2`) {
			t.Errorf("%s: engine header %s, want encoding 2 (it holds variables)", id, rec.Engine)
		}
	}
	b, _ := callNode(t, st, "B", echoHandler)
	for i, id := range ids {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ex, err := b.Wait(wctx, id)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status != store.StatusSucceeded {
			t.Fatalf("%s ended %s %s %s", id, ex.Status, ex.Error, ex.Cause)
		}
		want := `{"x":` + string(rune('0'+i)) + `,"y":"kept","got":` + string(rune('0'+i)) + `}`
		if string(ex.Output) != want {
			t.Errorf("%s: output %s, want %s", id, ex.Output, want)
		}
	}
}
