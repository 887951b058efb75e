package interpreter_test

import (
	"testing"
)

// A JSONata state's output is the next state's input; the engine carries
// its JSONata form over (intrinsic.Memo) only when converting it changed
// nothing: an undefined member the output dropped, a -0 written 0, a
// sequence unwrapped must not come back in the next state.
func TestQueryOutputCarriedOver(t *testing.T) {
	for _, c := range []struct {
		name, first, second, want string
	}{
		{"exact", `{'a': 1, 'b': [2, 3]}`, `$states.input`, `{"a":1,"b":[2,3]}`},
		{"an undefined member is gone", `{'a': 1, 'b': $states.input.missing}`, `$keys($states.input)`, `"a"`},
		{"-0 is 0", `{'z': -0}`, `$string($states.input.z)`, `"0"`},
		{"a one-item sequence is its item", `{'s': [1][0]}`, `$type($states.input.s)`, `"number"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			f.put("m", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
				"A":{"Type":"Pass","Output":"{% `+c.first+` %}","Next":"B"},
				"B":{"Type":"Pass","Output":"{% `+c.second+` %}","End":true}}}`)
			ex := f.wait(f.start("m", `{}`).ID)
			if ex.Status != "SUCCEEDED" || string(ex.Output) != c.want {
				t.Fatalf("%s %s %s: output %s, want %s", ex.Status, ex.Error, ex.Cause, ex.Output, c.want)
			}
		})
	}
}
