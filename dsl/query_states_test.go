package dsl

import (
	"math"
	"testing"

	"github.com/sfn-project/sfn/jsonata"
)

// statesMembers tells which members of $states an expression may read, so
// that an evaluation converts only those (the context object is large).
func TestStatesMembers(t *testing.T) {
	for _, c := range []struct {
		src  string
		want uint8
	}{
		{`$states.input.a`, statesInput},
		{`$states . result.x + $states.errorOutput.Error`, statesResult | statesErrorOutput},
		{`$states.context.Execution.Id`, statesContext},
		{`1 + 2`, 0},
		{`$states`, statesAll},
		{`$keys($states)`, statesAll},
		{`$states.*`, statesAll},
		{`$states["input"]`, statesAll},
		{`$states.inputs`, statesAll},
		{`($s := $states; $s.context)`, statesAll},
		{`$statesX.input`, 0},
	} {
		if got := statesMembers(c.src); got != c.want {
			t.Errorf("statesMembers(%q) = %04b, want %04b", c.src, got, c.want)
		}
	}
}

// FromJSONata's exact decides whether a result may stand for the workflow
// value converted from it (the memo of the next state's input): only when
// the conversion loses and rewrites nothing.
func TestExactJSONata(t *testing.T) {
	obj := func(kv ...any) *jsonata.Object {
		o := jsonata.NewObject(len(kv) / 2)
		for i := 0; i+1 < len(kv); i += 2 {
			o.Set(kv[i].(string), kv[i+1])
		}
		return o
	}
	for _, c := range []struct {
		name string
		v    any
		want bool
	}{
		{"plain", obj("a", 1.5, "b", "x", "c", []any{true, nil, obj("d", 2.0)}), true},
		{"an undefined member (dropped)", obj("a", 1.0, "b", jsonata.Undefined), false},
		{"a sequence (unwrapped)", obj("a", jsonata.Seq{1.0}), false},
		{"a function (dropped)", obj("f", &jsonata.Builtin{Name: "sum"}), false},
		{"NaN", obj("a", math.NaN()), false},
		{"-0 (written 0)", obj("a", math.Copysign(0, -1)), false},
		{"an undefined item (null)", obj("a", []any{jsonata.Undefined}), false},
	} {
		if _, _, got := FromJSONata(c.v); got != c.want {
			t.Errorf("%s: FromJSONata's exact = %v, want %v", c.name, got, c.want)
		}
	}
}
