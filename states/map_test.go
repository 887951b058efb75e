package states_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// TestMapItemContext pins $$.Map as AWS documents it for an inline Map over
// the state's input ("Context object data for Map states"): Index, Value and
// Source, in that order, Source being "STATE_DATA".
func TestMapItemContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		index int
		item  string
		want  string
	}{
		{"object item", 0, `{"who": "bob"}`, `{"Item":{"Index":0,"Value":{"who":"bob"},"Source":"STATE_DATA"}}`},
		{"scalar item", 2, `"joe"`, `{"Item":{"Index":2,"Value":"joe","Source":"STATE_DATA"}}`},
		{"null item", 7, `null`, `{"Item":{"Index":7,"Value":null,"Source":"STATE_DATA"}}`},
		{"array item", 1, `[1, 2]`, `{"Item":{"Index":1,"Value":[1,2],"Source":"STATE_DATA"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := value.MarshalString(states.MapItemContext(tc.index, value.MustDecode(tc.item)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MapItemContext (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMapItemSelectorReadsContext runs AWS's documented example: an
// ItemSelector reading $$.Map.Item.Index, Value and Source.
func TestMapItemSelectorReadsContext(t *testing.T) {
	t.Parallel()
	def, ps := dsl.Load([]byte(`{
		"StartAt": "ExampleMapState",
		"States": {
			"ExampleMapState": {
				"Type": "Map",
				"ItemSelector": {
					"ContextIndex.$": "$$.Map.Item.Index",
					"ContextValue.$": "$$.Map.Item.Value",
					"ContextSource.$": "$$.Map.Item.Source"
				},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "TestPass",
					"States": {"TestPass": {"Type": "Pass", "End": true}}},
				"End": true
			}
		}
	}`), dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	s := def.States["ExampleMapState"]
	input := value.MustDecode(`[{"who": "bob"}, {"who": "meg"}, {"who": "joe"}]`)
	plan, err := states.MapStart(s, input, states.Env{Context: value.NewObject(0)})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for i, item := range plan.Items {
		ctx := value.ObjectOf("Map", states.MapItemContext(i, item))
		in, err := states.MapItemInput(s, &plan, item, states.Env{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, in)
	}
	want := `[{"ContextIndex":0,"ContextValue":{"who":"bob"},"ContextSource":"STATE_DATA"},` +
		`{"ContextIndex":1,"ContextValue":{"who":"meg"},"ContextSource":"STATE_DATA"},` +
		`{"ContextIndex":2,"ContextValue":{"who":"joe"},"ContextSource":"STATE_DATA"}]`
	if diff := cmp.Diff(want, value.MarshalString(got)); diff != "" {
		t.Errorf("iteration inputs (-want +got):\n%s", diff)
	}
}

// TestMaxConcurrencyPathCause pins the States.Runtime cause of a
// MaxConcurrencyPath whose value is not an integer to AWS's text, as recorded
// against AWS (LocalStack's AWS-validated test_max_concurrency_path with {}
// and "NoNumber"); a negative value, for which AWS gives no cause, keeps
// sfn's.
func TestMaxConcurrencyPathCause(t *testing.T) {
	t.Parallel()
	def, ps := dsl.Load([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.Values",
		"MaxConcurrencyPath": "$.MaxConcurrencyValue",
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`), dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	s := def.States["M"]
	for _, tc := range []struct {
		name  string
		value string
		cause string // "" when the value is accepted
		want  int64
	}{
		{"string", `"NoNumber"`, `The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"object", `{}`, `The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"array", `[1, 2]`, `The MaxConcurrencyPath field refers to value "[1,2]" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"decimal", `1.5`, `The MaxConcurrencyPath field refers to value "1.5" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"null", `null`, `The MaxConcurrencyPath field refers to value "null" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"boolean", `true`, `The MaxConcurrencyPath field refers to value "true" which is not a valid integer: $.MaxConcurrencyValue`, 0},
		{"negative", `-1`, `The MaxConcurrencyPath field must reference a non-negative integer: $.MaxConcurrencyValue == -1`, 0},
		{"zero", `0`, "", 0},
		{"one", `1`, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input := value.MustDecode(`{"MaxConcurrencyValue": ` + tc.value + `, "Values": ["HelloWorld"]}`)
			plan, err := states.MapStart(s, input, states.Env{Context: value.NewObject(0)})
			if tc.cause == "" {
				if err != nil || plan.MaxConcurrency != tc.want {
					t.Fatalf("MapStart = %d, %v; want %d", plan.MaxConcurrency, err, tc.want)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("MapStart error = %v, want a States.Runtime failure", err)
			}
			if fe.Name != failure.Runtime || fe.Cause != tc.cause {
				t.Errorf("MapStart failure = %s: %q\nwant %s: %q", fe.Name, fe.Cause, failure.Runtime, tc.cause)
			}
		})
	}
}
