package value_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestToGo(t *testing.T) {
	t.Parallel()
	asText := func(n value.Number) any { return json.Number(n) }
	asFloat := func(n value.Number) any { return n.Float64() }
	cases := []struct {
		name   string
		in     value.Value
		number func(value.Number) any
		want   any
	}{
		{"null", nil, asFloat, nil},
		{"scalars", value.MustDecode(`[true,"s",1.5]`), asFloat, []any{true, "s", 1.5}},
		{"numbers as text", value.MustDecode(`[1e400,10]`), asText, []any{json.Number("1e400"), json.Number("10")}},
		{"nested", value.MustDecode(`{"a":{"b":[2,{"c":null}]},"d":[]}`), asFloat,
			map[string]any{"a": map[string]any{"b": []any{2.0, map[string]any{"c": nil}}}, "d": []any{}}},
		{"nil object", (*value.Object)(nil), asFloat, map[string]any{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(c.want, value.ToGo(c.in, c.number)); diff != "" {
				t.Errorf("ToGo(%s) (-want +got):\n%s", value.MarshalString(c.in), diff)
			}
		})
	}
}
