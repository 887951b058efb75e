package states_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// distributedState compiles a definition whose state M is a distributed Map
// with the given fields (a JSON object's members, without braces); jsonata
// makes the definition JSONata.
func distributedState(t *testing.T, fields string, jsonata bool) *dsl.State {
	t.Helper()
	top := ""
	if jsonata {
		top = `"QueryLanguage": "JSONata", `
	}
	if fields != "" {
		fields += ", "
	}
	def, ps := dsl.Load([]byte(`{`+top+`"StartAt": "M", "States": {"M": {"Type": "Map", `+fields+
		`"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
		"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`), dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	return def.States["M"]
}

// vars are workflow variables for a test's Env.
type vars map[string]value.Value

func (v vars) Lookup(name string) (value.Value, bool) { x, ok := v[name]; return x, ok }

// itemEnv is the Env of item i of a Map whose state context is ctx: the
// context with $$.Map set, as the engine builds it.
func itemEnv(ctx *value.Object) func(int, value.Value) states.Env {
	return func(i int, item value.Value) states.Env {
		c := value.Clone(ctx).(*value.Object)
		c.Set("Map", states.MapItemContext(i, item))
		return states.Env{Context: c}
	}
}

// childInputs plans the Map of fields over input and returns its children's
// inputs as JSON.
func childInputs(t *testing.T, fields string, jsonata bool, input string) (states.DistributedPlan, string) {
	t.Helper()
	s := distributedState(t, fields, jsonata)
	ctx := value.ObjectOf("Execution", value.ObjectOf("Name", "run-1"))
	plan, err := states.DistributedStart(s, value.MustDecode(input), states.Env{Context: ctx})
	if err != nil {
		t.Fatalf("DistributedStart: %v", err)
	}
	if err := states.DistributedTolerance(s, &plan, states.Env{Context: ctx}); err != nil {
		t.Fatalf("DistributedTolerance: %v", err)
	}
	in, err := states.ChildInputs(s, &plan, itemEnv(ctx))
	if err != nil {
		t.Fatalf("ChildInputs: %v", err)
	}
	return plan, value.MarshalString(in)
}

// TestChildInputs: each item through ItemSelector (with $$.Map.Item), then
// into batches by count, by bytes (the batch's JSON text) or both, with
// BatchInput; an item larger than the byte bound is a batch of its own.
func TestChildInputs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fields string
		jsonata      bool
		input, want  string
	}{
		{
			name:   "one child per item",
			fields: `"ItemsPath": "$.items"`,
			input:  `{"items": ["Hello", "World"]}`,
			want:   `["Hello","World"]`,
		},
		{
			name:   "ItemSelector with the index, the value and the state's input",
			fields: `"ItemsPath": "$.letters", "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "src.$": "$.src", "run.$": "$$.Execution.Name"}`,
			input:  `{"letters": ["a", "b"], "src": "s"}`,
			want:   `[{"i":0,"v":"a","src":"s","run":"run-1"},{"i":1,"v":"b","src":"s","run":"run-1"}]`,
		},
		{
			name:   "legacy Parameters, whose $ is the effective input",
			fields: `"InputPath": "$.in", "Parameters": {"constantValue": "constant", "mapValue.$": "$$.Map.Item.Value", "fromInput.$": "$"}`,
			input:  `{"in": ["Hello", "World"]}`,
			want:   `[{"constantValue":"constant","mapValue":"Hello","fromInput":["Hello","World"]},{"constantValue":"constant","mapValue":"World","fromInput":["Hello","World"]}]`,
		},
		{
			name:    "JSONata ItemSelector",
			fields:  `"Items": "{% $states.input.xs %}", "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "v": "{% $states.context.Map.Item.Value * 10 %}"}`,
			jsonata: true,
			input:   `{"xs": [1, 2]}`,
			want:    `[{"i":0,"v":10},{"i":1,"v":20}]`,
		},
		{
			name:   "batches of at most 2 items",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 2}`,
			input:  `{"items": ["a", "b", "c", "d", "e"]}`,
			want:   `[{"Items":["a","b"]},{"Items":["c","d"]},{"Items":["e"]}]`,
		},
		{
			name:   "batches with BatchInput, a template over the input",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"factor": 7, "src.$": "$.src"}}`,
			input:  `{"items": [1, 2, 3, 4], "src": "input-file"}`,
			want:   `[{"BatchInput":{"factor":7,"src":"input-file"},"Items":[1,2,3]},{"BatchInput":{"factor":7,"src":"input-file"},"Items":[4]}]`,
		},
		{
			// {"Items":["aa","bb"]} is 21 bytes; a third item makes 26.
			name:   "batches of at most 21 bytes",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxInputBytesPerBatch": 21}`,
			input:  `{"items": ["aa", "bb", "cc", "dd", "ee"]}`,
			want:   `[{"Items":["aa","bb"]},{"Items":["cc","dd"]},{"Items":["ee"]}]`,
		},
		{
			// 26 bytes would hold three items; the count bounds it first.
			name:   "bytes and items: the tighter bound decides",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 26}`,
			input:  `{"items": ["aa", "bb", "cc", "dd", "ee"]}`,
			want:   `[{"Items":["aa","bb"]},{"Items":["cc","dd"]},{"Items":["ee"]}]`,
		},
		{
			name:   "bytes and items: a generous byte bound",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 150000}`,
			input:  `{"items": [{"verdict": "true"}, {"verdict": "false"}, {"verdict": "mostly-true"}]}`,
			want:   `[{"Items":[{"verdict":"true"},{"verdict":"false"}]},{"Items":[{"verdict":"mostly-true"}]}]`,
		},
		{
			// BatchInput counts: {"BatchInput":1,"Items":["aa"]} is 30 bytes.
			name:   "BatchInput counts in the bytes",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxInputBytesPerBatch": 35, "BatchInput": 1}`,
			input:  `{"items": ["aa", "bb", "cc"]}`,
			want:   `[{"BatchInput":1,"Items":["aa"]},{"BatchInput":1,"Items":["bb"]},{"BatchInput":1,"Items":["cc"]}]`,
		},
		{
			name:   "an item larger than the byte bound is a batch of its own",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxInputBytesPerBatch": 20}`,
			input:  `{"items": ["a", "a much longer item than twenty bytes", "b", "c"]}`,
			want:   `[{"Items":["a"]},{"Items":["a much longer item than twenty bytes"]},{"Items":["b","c"]}]`,
		},
		{
			name:   "ItemSelector first, then the batch",
			fields: `"ItemsPath": "$.items", "ItemSelector": {"n.$": "$$.Map.Item.Index"}, "ItemBatcher": {"MaxItemsPerBatch": 2}`,
			input:  `{"items": ["x", "y", "z"]}`,
			want:   `[{"Items":[{"n":0},{"n":1}]},{"Items":[{"n":2}]}]`,
		},
		{
			name:   "no items, no batch",
			fields: `"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatch": 2}`,
			input:  `{"items": []}`,
			want:   `[]`,
		},
		{
			name:    "JSONata bounds and BatchInput",
			fields:  `"ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.n %}", "BatchInput": {"run": "{% $states.context.Execution.Name %}"}}, "Items": "{% $states.input.xs %}"`,
			jsonata: true,
			input:   `{"xs": [1, 2, 3], "n": 2}`,
			want:    `[{"BatchInput":{"run":"run-1"},"Items":[1,2]},{"BatchInput":{"run":"run-1"},"Items":[3]}]`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan, got := childInputs(t, tc.fields, tc.jsonata, tc.input)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("child inputs (-want +got):\n%s", diff)
			}
			if plan.Length != len(plan.Items) {
				t.Errorf("Length = %d, want the %d items", plan.Length, len(plan.Items))
			}
		})
	}
}

// TestBatcherBytes holds every batch of several items within the byte
// bound, and fills batches as far as the bound allows.
func TestBatcherBytes(t *testing.T) {
	t.Parallel()
	items := value.MustDecode(`["a", "bb", "ccc", {"k": "v"}, [1, 2], null, true, 12345, "é\"", "dddd"]`).([]any)
	for _, input := range []value.Value{nil, value.ObjectOf("x", 1)} {
		for limit := int64(1); limit <= 80; limit++ {
			b := states.NewBatcher(&states.DistributedPlan{MaxBytesPerBatch: limit, BatchInput: input})
			var batches []*value.Object
			for _, it := range items {
				if batch := b.Add(it); batch != nil {
					batches = append(batches, batch)
				}
			}
			if batch := b.Flush(); batch != nil {
				batches = append(batches, batch)
			}
			var all []any
			for i, batch := range batches {
				got, _ := batch.Get("Items")
				list := got.([]any)
				all = append(all, list...)
				size := int64(len(value.MarshalString(batch)))
				if len(list) > 1 && size > limit {
					t.Errorf("limit %d: batch %s is %d bytes", limit, value.MarshalString(batch), size)
				}
				if i+1 < len(batches) {
					next, _ := batches[i+1].Get("Items")
					grown := states.BatchOf(append(list[:len(list):len(list)], next.([]any)[0]), input)
					if int64(len(value.MarshalString(grown))) <= limit {
						t.Errorf("limit %d: batch %s closed though the next item fits", limit, value.MarshalString(batch))
					}
				}
			}
			if !value.Equal(all, items) {
				t.Errorf("limit %d: the batches hold %s, want every item in order", limit, value.MarshalString(all))
			}
		}
	}
}

// TestDistributedToleranceCauses pins the States.Runtime causes of bad
// tolerated-failure values read from the input, as AWS records them (the
// engine adds "An error occurred while executing the state …").
func TestDistributedToleranceCauses(t *testing.T) {
	t.Parallel()
	const count = `"ItemsPath": "$.Items", "ToleratedFailureCountPath": "$.ToleratedFailureCount"`
	const percentage = `"ItemsPath": "$.Items", "ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`
	for _, tc := range []struct {
		name, fields, input string
		cause               string // "" when accepted
		plan                states.MapPlan
	}{
		{"count negative", count, `{"Items": [0], "ToleratedFailureCount": -1}`, `ToleratedFailureCount cannot be negative.`, states.MapPlan{}},
		{"count a word", count, `{"Items": [0], "ToleratedFailureCount": "NoNumber"}`,
			`The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid integer: $.ToleratedFailureCount`, states.MapPlan{}},
		{"count an object", count, `{"Items": [0], "ToleratedFailureCount": {}}`,
			`The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount`, states.MapPlan{}},
		{"count fractional", count, `{"Items": [0], "ToleratedFailureCount": 1.5}`,
			`The ToleratedFailureCountPath field refers to value "1.5" which is not a valid integer: $.ToleratedFailureCount`, states.MapPlan{}},
		{"count missing", count, `{"Items": [0]}`, `Invalid path '$.ToleratedFailureCount' : No results for path: $['ToleratedFailureCount']`, states.MapPlan{}},
		{"count", count, `{"Items": [0], "ToleratedFailureCount": 3}`, "", states.MapPlan{HasCount: true, ToleranceCount: 3}},
		{"count as text", count, `{"Items": [0], "ToleratedFailureCount": "3"}`, "", states.MapPlan{HasCount: true, ToleranceCount: 3}},
		{"count zero", count, `{"Items": [0], "ToleratedFailureCount": 0}`, "", states.MapPlan{HasCount: true}},
		{"percentage above 100", percentage, `{"Items": [0], "ToleratedFailurePercentage": 100.1}`, `ToleratedFailurePercentage must be between 0 and 100.`, states.MapPlan{}},
		{"percentage negative", percentage, `{"Items": [0], "ToleratedFailurePercentage": -1.1}`, `ToleratedFailurePercentage must be between 0 and 100.`, states.MapPlan{}},
		{"percentage a word", percentage, `{"Items": [0], "ToleratedFailurePercentage": "NoNumber"}`,
			`The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid number: $.ToleratedFailurePercentage`, states.MapPlan{}},
		{"percentage an array", percentage, `{"Items": [0], "ToleratedFailurePercentage": [1]}`,
			`The ToleratedFailurePercentagePath field refers to value "[1]" which is not a valid number: $.ToleratedFailurePercentage`, states.MapPlan{}},
		{"percentage", percentage, `{"Items": [0], "ToleratedFailurePercentage": 0.5}`, "", states.MapPlan{HasPercent: true, TolerancePercent: 0.5}},
		{"percentage as text", percentage, `{"Items": [0], "ToleratedFailurePercentage": "12.5"}`, "", states.MapPlan{HasPercent: true, TolerancePercent: 12.5}},
		{"percentage 100", percentage, `{"Items": [0], "ToleratedFailurePercentage": 100}`, "", states.MapPlan{HasPercent: true, TolerancePercent: 100}},
		{"literals", `"ItemsPath": "$.Items", "ToleratedFailureCount": 10, "ToleratedFailurePercentage": 0.5`, `{"Items": [0]}`, "",
			states.MapPlan{HasCount: true, ToleranceCount: 10, HasPercent: true, TolerancePercent: 0.5}},
		{"count from a variable", `"ItemsPath": "$.Items", "ToleratedFailureCountPath": "$tolerated"`, `{"Items": [0]}`, "", states.MapPlan{HasCount: true, ToleranceCount: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := distributedState(t, tc.fields, false)
			env := states.Env{Context: value.NewObject(0), Vars: vars{"tolerated": "2"}}
			plan, err := states.DistributedStart(s, value.MustDecode(tc.input), env)
			if err != nil {
				t.Fatalf("DistributedStart: %v", err)
			}
			err = states.DistributedTolerance(s, &plan, env)
			checkCause(t, err, failure.Runtime, tc.cause)
			if tc.cause != "" {
				return
			}
			got := states.MapPlan{HasCount: plan.HasCount, ToleranceCount: plan.ToleranceCount, HasPercent: plan.HasPercent, TolerancePercent: plan.TolerancePercent}
			if diff := cmp.Diff(tc.plan, got); diff != "" {
				t.Errorf("tolerance (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDistributedToleranceJSONata reads tolerances given as expressions,
// failing as the inline Map's do.
func TestDistributedToleranceJSONata(t *testing.T) {
	t.Parallel()
	s := distributedState(t, `"Items": "{% $states.input.items %}",
		"ToleratedFailureCount": "{% $states.input.c %}", "ToleratedFailurePercentage": "{% $states.input.p %}"`, true)
	env := states.Env{Context: value.NewObject(0)}
	for _, tc := range []struct {
		input, cause string
		count        int64
		percent      float64
	}{
		{`{"items": [1], "c": 2, "p": 12.5}`, "", 2, 12.5},
		{`{"items": [1], "c": -1, "p": 1}`, `The JSONata expression '$states.input.c' specified for the field 'ToleratedFailureCount' returned an unexpected result type. Expected an integer from 0 to 99999999, but was: -1`, 0, 0},
		{`{"items": [1], "c": 1, "p": 101}`, `The JSONata expression '$states.input.p' specified for the field 'ToleratedFailurePercentage' returned an unexpected result type. Expected a number from 0 to 100, but was: 101`, 0, 0},
	} {
		plan, err := states.DistributedStart(s, value.MustDecode(tc.input), env)
		if err != nil {
			t.Fatalf("%s: DistributedStart: %v", tc.input, err)
		}
		err = states.DistributedTolerance(s, &plan, env)
		checkCause(t, err, failure.QueryEvaluationError, tc.cause)
		if tc.cause == "" && (!plan.HasCount || plan.ToleranceCount != tc.count || !plan.HasPercent || plan.TolerancePercent != tc.percent) {
			t.Errorf("%s: tolerance %+v", tc.input, plan.MapPlan)
		}
	}
}

// checkCause checks that err is the failure name with cause, or nil when
// cause is "".
func checkCause(t *testing.T, err error, name, cause string) {
	t.Helper()
	if cause == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var fe *failure.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v, want %s: %q", err, name, cause)
	}
	if fe.Name != name || fe.Cause != cause {
		t.Errorf("failure = %s: %q\nwant %s: %q", fe.Name, fe.Cause, name, cause)
	}
}

// TestDistributedStartBounds reads the batch bounds and the reader's
// MaxItems from the input or variables, where AWS accepts integers written
// as strings (recorded: "2" and "15000" from variables), and pins the
// causes of bad values.
func TestDistributedStartBounds(t *testing.T) {
	t.Parallel()
	const reader = `"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "$.Bucket", "Key": "k"},
		"ReaderConfig": {"InputType": "JSON", "MaxItemsPath": "$.MaxItems"}}`
	for _, tc := range []struct {
		name, fields, input string
		jsonata             bool
		cause               string // "" when accepted
		wantItems, wantSize int64
		wantMax             int64
	}{
		{name: "from variables, as text", fields: `"ItemBatcher": {"MaxItemsPerBatchPath": "$perBatch", "MaxInputBytesPerBatchPath": "$bytes"}`,
			input: `[1]`, wantItems: 2, wantSize: 15000},
		{name: "from the input", fields: `"ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}, "ItemsPath": "$.xs"`,
			input: `{"n": 4, "xs": []}`, wantItems: 4},
		{name: "items bound not a number", fields: `"ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}, "ItemsPath": "$.xs"`,
			input: `{"n": "two", "xs": []}`, cause: `The MaxItemsPerBatchPath field refers to value "two" which is not a valid integer: $.n`},
		{name: "items bound zero", fields: `"ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}, "ItemsPath": "$.xs"`,
			input: `{"n": 0, "xs": []}`, cause: `The MaxItemsPerBatchPath field must reference a positive integer: $.n == 0`},
		{name: "bytes bound over 256 KiB", fields: `"ItemBatcher": {"MaxInputBytesPerBatchPath": "$.n"}, "ItemsPath": "$.xs"`,
			input: `{"n": 262145, "xs": []}`, cause: `The MaxInputBytesPerBatchPath field must reference an integer from 1 to 262144: $.n == 262145`},
		{name: "JSONata bound", fields: `"Items": "{% $states.input.xs %}", "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.n %}", "MaxInputBytesPerBatch": 100}`,
			jsonata: true, input: `{"n": 3, "xs": []}`, wantItems: 3, wantSize: 100},
		{name: "JSONata bound not an integer", fields: `"ItemBatcher": {"MaxItemsPerBatch": "{% '2' %}"}`, jsonata: true,
			input: `[]`, cause: `The JSONata expression ''2'' specified for the field 'MaxItemsPerBatch' returned an unexpected result type. Expected an integer from 1 to 9223372036854775807, but was: "2"`},
		{name: "JSONata bytes over 256 KiB", fields: `"ItemBatcher": {"MaxInputBytesPerBatch": "{% 262145 %}"}`, jsonata: true,
			input: `[]`, cause: `The JSONata expression '262145' specified for the field 'MaxInputBytesPerBatch' returned an unexpected result type. Expected an integer from 1 to 262144, but was: 262145`},
		{name: "reader MaxItemsPath", fields: reader, input: `{"Bucket": "b", "MaxItems": 2}`, wantMax: 2},
		{name: "reader MaxItemsPath negative is the reader's to refuse", fields: reader, input: `{"Bucket": "b", "MaxItems": -1}`, wantMax: -1},
		{name: "reader MaxItemsPath fractional", fields: reader, input: `{"Bucket": "b", "MaxItems": 1.5}`,
			cause: `The MaxItemsPath field refers to value "1.5" which is not a valid integer: $.MaxItems`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := distributedState(t, tc.fields, tc.jsonata)
			env := states.Env{Context: value.NewObject(0), Vars: vars{"perBatch": "2", "bytes": "15000"}}
			plan, err := states.DistributedStart(s, value.MustDecode(tc.input), env)
			name := failure.Runtime
			if tc.jsonata {
				name = failure.QueryEvaluationError
			}
			checkCause(t, err, name, tc.cause)
			if tc.cause != "" {
				return
			}
			if plan.MaxItemsPerBatch != tc.wantItems || plan.MaxBytesPerBatch != tc.wantSize {
				t.Errorf("bounds = %d items, %d bytes; want %d, %d", plan.MaxItemsPerBatch, plan.MaxBytesPerBatch, tc.wantItems, tc.wantSize)
			}
			if plan.Reader != nil && plan.Reader.MaxItems != tc.wantMax {
				t.Errorf("reader MaxItems = %d, want %d", plan.Reader.MaxItems, tc.wantMax)
			}
		})
	}
}

// TestDistributedStartReaderAndWriter: with an ItemReader the items are
// not read from the input (ItemsPath is ignored, even one that selects
// nothing) and MapStateStarted's length is 0; the reader's and writer's
// Parameters (or Arguments) are evaluated over the input.
func TestDistributedStartReaderAndWriter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fields, input string
		jsonata             bool
		reader, writer      string
		maxItems            int64
	}{
		{
			name: "JSONPath",
			fields: `"ItemsPath": "$.no_such_path", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"},
				"ReaderConfig": {"InputType": "CSV", "MaxItems": 2}},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "result-bucket", "Prefix.$": "$.prefix"}}`,
			input:    `{"Bucket": "in", "Key": "data.csv", "prefix": "mapJobs"}`,
			reader:   `{"Bucket":"in","Key":"data.csv"}`,
			writer:   `{"Bucket":"result-bucket","Prefix":"mapJobs"}`,
			maxItems: 2,
		},
		{
			name: "JSONata",
			fields: `"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "k"},
				"ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $maxItems := 2 %}"}},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": "{% {'Bucket': $states.input.out} %}"}`,
			jsonata:  true,
			input:    `{"Bucket": "in", "out": "results"}`,
			reader:   `{"Bucket":"in","Key":"k"}`,
			writer:   `{"Bucket":"results"}`,
			maxItems: 2,
		},
		{
			name:   "listing without Parameters, a writer that only shapes",
			fields: `"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2"}, "ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN"}}`,
			input:  `{}`,
			reader: `null`,
			writer: `null`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := distributedState(t, tc.fields, tc.jsonata)
			plan, err := states.DistributedStart(s, value.MustDecode(tc.input), states.Env{Context: value.NewObject(0)})
			if err != nil {
				t.Fatal(err)
			}
			if plan.Items != nil || plan.Length != 0 {
				t.Errorf("items %v, length %d; want none read from the input", plan.Items, plan.Length)
			}
			if plan.Reader == nil {
				t.Fatal("no ReaderCall")
			}
			if got := value.MarshalString(plan.Reader.Parameters); got != tc.reader || plan.Reader.MaxItems != tc.maxItems {
				t.Errorf("reader %s, MaxItems %d; want %s, %d", got, plan.Reader.MaxItems, tc.reader, tc.maxItems)
			}
			if got := value.MarshalString(plan.WriterParameters); got != tc.writer {
				t.Errorf("writer %s, want %s", got, tc.writer)
			}
		})
	}
}

// TestDistributedStartItems: the items and their errors are the inline
// Map's; MaxConcurrencyPath too.
func TestDistributedStartItems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fields, input string
		jsonata             bool
		cause, items        string
		concurrency         int64
	}{
		{name: "the input", input: `["Hello", "World"]`, items: `["Hello","World"]`},
		{name: "ItemsPath not an array", fields: `"ItemsPath": "$.x"`, input: `{"x": 1}`,
			cause: `The ItemsPath '$.x' must reference a JSON array, got number`},
		{name: "MaxConcurrencyPath", fields: `"ItemsPath": "$.x", "MaxConcurrencyPath": "$.m"`, input: `{"x": [], "m": "3"}`, items: `[]`, concurrency: 3},
		{name: "MaxConcurrencyPath not a number", fields: `"ItemsPath": "$.x", "MaxConcurrencyPath": "$.m"`, input: `{"x": [], "m": "NoNumber"}`,
			cause: `The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.m`},
		{name: "JSONata input not an array", jsonata: true, input: `{"a": 1}`, cause: `Map state input must be an array but was: {"a":1}`},
		{name: "JSONata Items", jsonata: true, fields: `"Items": "{% $states.input.a %}", "MaxConcurrency": "{% 2 %}"`, input: `{"a": [1]}`, items: `[1]`, concurrency: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := distributedState(t, tc.fields, tc.jsonata)
			plan, err := states.DistributedStart(s, value.MustDecode(tc.input), states.Env{Context: value.NewObject(0)})
			name := failure.Runtime
			if tc.jsonata {
				name = failure.QueryEvaluationError
			}
			checkCause(t, err, name, tc.cause)
			if tc.cause != "" {
				return
			}
			if got := value.MarshalString(plan.Items); got != tc.items || plan.Length != len(plan.Items) || plan.MaxConcurrency != tc.concurrency {
				t.Errorf("items %s (length %d), concurrency %d; want %s, %d", got, plan.Length, plan.MaxConcurrency, tc.items, tc.concurrency)
			}
		})
	}
}

// TestDistributedStartInline refuses an inline Map.
func TestDistributedStartInline(t *testing.T) {
	t.Parallel()
	def, ps := dsl.Load([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map",
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`), dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	_, err := states.DistributedStart(def.States["M"], []any{}, states.Env{})
	if err == nil || !strings.Contains(err.Error(), "not a distributed Map") {
		t.Errorf("DistributedStart of an inline Map = %v", err)
	}
}

// TestToleratedThresholds is AWS's threshold arithmetic ("Tolerated failure
// threshold for Distributed Map state"): the Map fails when either
// threshold is strictly exceeded; the percentage is failed*100/total;
// without the fields nothing is tolerated; 100 % never fails.
func TestToleratedThresholds(t *testing.T) {
	t.Parallel()
	count := func(n int64) states.MapPlan { return states.MapPlan{HasCount: true, ToleranceCount: n} }
	percent := func(p float64) states.MapPlan { return states.MapPlan{HasPercent: true, TolerancePercent: p} }
	both := func(n int64, p float64) states.MapPlan {
		return states.MapPlan{HasCount: true, ToleranceCount: n, HasPercent: true, TolerancePercent: p}
	}
	for _, tc := range []struct {
		name          string
		plan          states.MapPlan
		failed, total int
		want          bool
	}{
		{"nothing failed", states.MapPlan{}, 0, 3, true},
		{"no fields: one failure fails", states.MapPlan{}, 1, 3, false},
		{"no items", states.MapPlan{}, 0, 0, true},
		{"count: within", count(1), 1, 3, true},
		{"count: exceeded", count(1), 2, 3, false},
		{"count 0", count(0), 1, 3, false},
		{"percentage: at the boundary", percent(25), 1, 4, true},
		{"percentage: exceeded", percent(25), 2, 4, false},
		{"percentage 100: every item failed", percent(100), 3, 3, true},
		{"percentage 0", percent(0), 1, 1000, false},
		{"percentage fractional: within", percent(0.5), 1, 200, true},
		{"percentage fractional: exceeded", percent(0.5), 2, 200, false},
		{"a third of three", percent(33.333333333333336), 1, 3, true},
		{"a third, written short", percent(33.33), 1, 3, false},
		{"either: count within, percentage exceeded", both(5, 10), 1, 4, false},
		{"either: percentage within, count exceeded", both(0, 50), 2, 4, false},
		{"either: both within", both(2, 50), 2, 4, true},
		{"either: 100 % and a count", both(1, 100), 2, 2, false},
	} {
		if got := tc.plan.Tolerated(tc.failed, tc.total); got != tc.want {
			t.Errorf("%s: Tolerated(%d, %d) = %v, want %v", tc.name, tc.failed, tc.total, got, tc.want)
		}
	}
}
