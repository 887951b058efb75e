package dsl

import "testing"

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
