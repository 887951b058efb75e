package teststate

import (
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// TestFinishMatchesStatesOutput: finish records a JSONPath state's output
// stages by applying states' steps one by one; its output and variables
// must stay those of states.Output, which the engine uses.
func TestFinishMatchesStatesOutput(t *testing.T) {
	t.Parallel()
	for _, def := range []string{
		`{"Type":"Task","Resource":"handler:x","End":true}`,
		`{"Type":"Task","Resource":"handler:x","ResultSelector":{"x.$":"$.a","ctx.$":"$$.State.Name"},"ResultPath":"$.r","OutputPath":"$.r","End":true}`,
		`{"Type":"Task","Resource":"handler:x","Assign":{"v.$":"$.a","w.$":"$old"},"ResultPath":null,"End":true}`,
		`{"Type":"Task","Resource":"handler:x","ResultPath":"$.deep.er","OutputPath":null,"End":true}`,
		`{"Type":"Task","Resource":"handler:x","ResultSelector":{"n.$":"States.ArrayLength($.list)"},"Assign":{"n.$":"$.n"},"ResultPath":"$.count","End":true}`,
	} {
		tr, err := prepare(Request{Definition: def, Input: `{"a":1,"list":[1,2]}`, Variables: `{"old":0}`, Mock: &Mock{Result: `{}`}}, fixed)
		if err != nil {
			t.Fatalf("%s: %v", def, err)
		}
		result := value.MustDecode(`{"a":2,"list":[3]}`)
		tr.finish(result)
		out, vars, err := states.Output(tr.s, tr.raw, result, tr.env())
		if err != nil {
			t.Fatalf("%s: states.Output: %v", def, err)
		}
		if got, want := tr.ans.Output, value.MarshalString(out); got != want {
			t.Errorf("%s: output %s, states.Output %s", def, got, want)
		}
		merged, _ := tr.assign(vars)
		if got, want := value.MarshalString(tr.after), value.MarshalString(merged); got != want {
			t.Errorf("%s: variables %s, states.Output's %s", def, got, want)
		}
	}
}
