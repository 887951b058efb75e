package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wrap puts states into a minimal state machine.
func wrap(states string) string {
	return `{"StartAt": "A", "States": {` + states + `}}`
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []Violation
	}{
		{
			name: "minimal valid",
			doc:  wrap(`"A": {"Type": "Pass", "End": true}`),
		},
		{
			name: "missing StartAt",
			doc:  `{"States": {"A": {"Type": "Succeed"}}}`,
			want: []Violation{{Pointer: "", Keyword: "required", Message: `missing required field "StartAt"`}},
		},
		{
			name: "missing StartAt and States",
			doc:  `{}`,
			want: []Violation{
				{Pointer: "", Keyword: "required", Message: `missing required field "StartAt"`},
				{Pointer: "", Keyword: "required", Message: `missing required field "States"`},
			},
		},
		{
			name: "definition not an object",
			doc:  `[1]`,
			want: []Violation{{Pointer: "", Keyword: "type", Message: `the definition must be an object, got [1]`}},
		},
		{
			name: "unknown top-level field",
			doc:  `{"StartAt": "A", "Owner": "me", "States": {"A": {"Type": "Succeed"}}}`,
			want: []Violation{{Pointer: "/Owner", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Owner" at the top level of the state machine`}},
		},
		{
			name: "truncated field name",
			doc:  `{"StartAt": "A", "Timeout": 5, "States": {"A": {"Type": "Succeed"}}}`,
			want: []Violation{{Pointer: "/Timeout", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Timeout" at the top level of the state machine; did you mean "TimeoutSeconds"?`}},
		},
		{
			name: "top-level typo",
			doc:  `{"StartAt": "A", "TimeoutSecond": 5, "States": {"A": {"Type": "Succeed"}}}`,
			want: []Violation{{Pointer: "/TimeoutSecond", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "TimeoutSecond" at the top level of the state machine; did you mean "TimeoutSeconds"?`}},
		},
		{
			name: "empty States",
			doc:  `{"StartAt": "A", "States": {}}`,
			want: []Violation{{Pointer: "/States", Keyword: "minProperties", Message: `"States" must be a non-empty object, got {}`}},
		},
		{
			name: "bad Type enum suggests",
			doc:  wrap(`"A": {"Type": "Pas", "End": true}`),
			want: []Violation{{Pointer: "/States/A/Type", Keyword: "enum",
				Message: `"Type" must be one of "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", got "Pas"; did you mean "Pass"?`}},
		},
		{
			name: "Type in the wrong case",
			doc:  wrap(`"A": {"Type": "succeed"}`),
			want: []Violation{{Pointer: "/States/A/Type", Keyword: "enum",
				Message: `"Type" must be one of "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", got "succeed"; did you mean "Succeed"?`}},
		},
		{
			name: "missing Type",
			doc:  wrap(`"A": {"End": true}`),
			want: []Violation{{Pointer: "/States/A", Keyword: "required", Message: `missing required field "Type" in a state`}},
		},
		{
			name: "state not an object",
			doc:  wrap(`"A": "Pass"`),
			want: []Violation{{Pointer: "/States/A", Keyword: "type", Message: `state "A" must be an object, got "Pass"`}},
		},
		{
			name: "state name with slash is escaped",
			doc:  `{"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Succeed", "Nxt": "x"}}}`,
			want: []Violation{{Pointer: "/States/a~1b~0c/Nxt", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Nxt" in a Succeed state`}},
		},
		// One unknown field per state kind: exactly one violation each.
		{
			name: "Pass unknown field",
			doc:  wrap(`"A": {"Type": "Pass", "Nxt": "B"}`),
			want: []Violation{{Pointer: "/States/A/Nxt", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Nxt" in a Pass state; did you mean "Next"?`}},
		},
		{
			name: "Task unknown field",
			doc:  wrap(`"A": {"Type": "Task", "Resorce": "handler:x", "End": true}`),
			// One typo, one violation: the missing Resource is not reported too.
			want: []Violation{{Pointer: "/States/A/Resorce", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Resorce" in a Task state; did you mean "Resource"?`}},
		},
		{
			name: "Choice unknown field",
			doc:  wrap(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "A"}], "Defualt": "A"}`),
			want: []Violation{{Pointer: "/States/A/Defualt", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Defualt" in a Choice state; did you mean "Default"?`}},
		},
		{
			name: "Wait unknown field",
			doc:  wrap(`"A": {"Type": "Wait", "Second": 5, "End": true}`),
			want: []Violation{{Pointer: "/States/A/Second", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Second" in a Wait state; did you mean "Seconds"?`}},
		},
		{
			name: "Succeed unknown field",
			doc:  wrap(`"A": {"Type": "Succeed", "End": true}`),
			want: []Violation{{Pointer: "/States/A/End", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "End" in a Succeed state; only Pass, Task, Wait, Parallel and Map states have it`}},
		},
		{
			name: "Fail unknown field",
			doc:  wrap(`"A": {"Type": "Fail", "Error": "E", "Next": "B"}`),
			want: []Violation{{Pointer: "/States/A/Next", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Next" in a Fail state; only Pass, Task, Wait, Parallel and Map states have it`}},
		},
		{
			name: "Fail has no InputPath",
			doc:  wrap(`"A": {"Type": "Fail", "InputPath": "$"}`),
			want: []Violation{{Pointer: "/States/A/InputPath", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "InputPath" in a Fail state; only Pass, Task, Choice, Wait, Succeed, Parallel and Map states have it`}},
		},
		{
			name: "Parallel unknown field",
			doc:  wrap(`"A": {"Type": "Parallel", "Branch": [], "End": true}`),
			want: []Violation{{Pointer: "/States/A/Branch", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Branch" in a Parallel state; did you mean "Branches"?`}},
		},
		{
			name: "Map unknown field",
			doc: wrap(`"A": {"Type": "Map", "ItemPath": "$.items", "End": true,
				"ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}`),
			want: []Violation{{Pointer: "/States/A/ItemPath", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "ItemPath" in a Map state; did you mean "ItemsPath"?`}},
		},
		{
			name: "field of another kind",
			doc:  wrap(`"A": {"Type": "Pass", "Resource": "handler:x", "End": true}`),
			want: []Violation{{Pointer: "/States/A/Resource", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Resource" in a Pass state; only Task states have it`}},
		},
		// Wrong types.
		{
			name: "Seconds not an integer",
			doc:  wrap(`"A": {"Type": "Wait", "Seconds": "ten", "End": true}`),
			want: []Violation{{Pointer: "/States/A/Seconds", Keyword: "pattern", Message: `"Seconds" must be an integer ≥ 0 or a JSONata expression "{% … %}" (JSONata states), got "ten"`}},
		},
		{
			name: "Seconds negative and fractional",
			doc:  wrap(`"A": {"Type": "Wait", "Seconds": -1.5, "End": true}`),
			want: []Violation{{Pointer: "/States/A/Seconds", Keyword: "type", Message: `"Seconds" must be an integer ≥ 0 or a JSONata expression "{% … %}" (JSONata states), got -1.5`}},
		},
		{
			name: "End not a boolean",
			doc:  wrap(`"A": {"Type": "Pass", "End": "yes"}`),
			want: []Violation{{Pointer: "/States/A/End", Keyword: "type", Message: `"End" must be true or false, got "yes"`}},
		},
		{
			name: "path without dollar",
			doc:  wrap(`"A": {"Type": "Pass", "InputPath": "input", "End": true}`),
			want: []Violation{{Pointer: "/States/A/InputPath", Keyword: "pattern", Message: `"InputPath" must be a path starting with "$" or null, got "input"`}},
		},
		{
			name: "null paths allowed",
			doc:  wrap(`"A": {"Type": "Pass", "InputPath": null, "OutputPath": null, "ResultPath": null, "End": true}`),
		},
		{
			name: "TimeoutSeconds zero",
			doc:  `{"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}}`,
			want: []Violation{{Pointer: "/TimeoutSeconds", Keyword: "minimum", Message: `"TimeoutSeconds" must be an integer ≥ 1, got 0`}},
		},
		{
			name: "Parameters not an object",
			doc:  wrap(`"A": {"Type": "Task", "Resource": "handler:x", "Parameters": [1, 2], "End": true}`),
			want: []Violation{{Pointer: "/States/A/Parameters", Keyword: "type", Message: `"Parameters" must be an object, got [1,2]`}},
		},
		{
			name: "ToleratedFailurePercentage above 100",
			doc: wrap(`"A": {"Type": "Map", "ToleratedFailurePercentage": 150, "End": true,
				"ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}`),
			want: []Violation{{Pointer: "/States/A/ToleratedFailurePercentage", Keyword: "maximum",
				Message: `"ToleratedFailurePercentage" must be a number from 0 to 100 or a JSONata expression "{% … %}" (JSONata states), got 150`}},
		},
		{
			name: "long value is shortened",
			doc:  wrap(`"A": {"Type": "Wait", "Seconds": "a very long string that goes on and on and on", "End": true}`),
			want: []Violation{{Pointer: "/States/A/Seconds", Keyword: "pattern",
				Message: `"Seconds" must be an integer ≥ 0 or a JSONata expression "{% … %}" (JSONata states), got "a very long string that goes on and on…`}},
		},
		// Retry and Catch.
		{
			name: "Retry field bounds",
			doc: wrap(`"A": {"Type": "Task", "Resource": "handler:x", "End": true, "Retry": [{
				"ErrorEquals": [], "IntervalSeconds": 0, "MaxAttempts": -1, "BackoffRate": 0.5,
				"MaxDelaySeconds": 0, "JitterStrategy": "full"}]}`),
			want: []Violation{
				{Pointer: "/States/A/Retry/0/BackoffRate", Keyword: "minimum", Message: `"BackoffRate" must be a number ≥ 1, got 0.5`},
				{Pointer: "/States/A/Retry/0/ErrorEquals", Keyword: "minItems", Message: `"ErrorEquals" must be a non-empty array, got []`},
				{Pointer: "/States/A/Retry/0/IntervalSeconds", Keyword: "minimum", Message: `"IntervalSeconds" must be an integer from 1 to 99999999, got 0`},
				{Pointer: "/States/A/Retry/0/JitterStrategy", Keyword: "enum", Message: `"JitterStrategy" must be one of "FULL", "NONE", got "full"; did you mean "FULL"?`},
				{Pointer: "/States/A/Retry/0/MaxAttempts", Keyword: "minimum", Message: `"MaxAttempts" must be an integer from 0 to 99999999, got -1`},
				{Pointer: "/States/A/Retry/0/MaxDelaySeconds", Keyword: "minimum", Message: `"MaxDelaySeconds" must be an integer from 1 to 31622400, got 0`},
			},
		},
		{
			// AWS: IntervalSeconds and MaxAttempts at most 99999999,
			// MaxDelaySeconds less than 31622401.
			name: "Retry field upper bounds",
			doc: wrap(`"A": {"Type": "Task", "Resource": "handler:x", "End": true, "Retry": [
				{"ErrorEquals": ["a"], "IntervalSeconds": 100000000, "MaxAttempts": 100000000, "MaxDelaySeconds": 31622401},
				{"ErrorEquals": ["b"], "IntervalSeconds": 99999999, "MaxAttempts": 99999999, "MaxDelaySeconds": 31622400}]}`),
			want: []Violation{
				{Pointer: "/States/A/Retry/0/IntervalSeconds", Keyword: "maximum", Message: `"IntervalSeconds" must be an integer from 1 to 99999999, got 100000000`},
				{Pointer: "/States/A/Retry/0/MaxAttempts", Keyword: "maximum", Message: `"MaxAttempts" must be an integer from 0 to 99999999, got 100000000`},
				{Pointer: "/States/A/Retry/0/MaxDelaySeconds", Keyword: "maximum", Message: `"MaxDelaySeconds" must be an integer from 1 to 31622400, got 31622401`},
			},
		},
		{
			name: "Retry items sorted numerically",
			doc: wrap(`"A": {"Type": "Task", "Resource": "handler:x", "End": true, "Retry": [
				{"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"]}, {"ErrorEquals": [1]}, {"ErrorEquals": ["a"]},
				{"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"]},
				{"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"]}, {"ErrorEquals": ["a"], "MaxAttempt": 1}]}`),
			want: []Violation{
				{Pointer: "/States/A/Retry/2/ErrorEquals/0", Keyword: "type", Message: `"ErrorEquals[0]" must be a non-empty string, got 1`},
				{Pointer: "/States/A/Retry/10/MaxAttempt", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "MaxAttempt" in a Retrier; did you mean "MaxAttempts"?`},
			},
		},
		{
			name: "Catch without Next",
			doc:  wrap(`"A": {"Type": "Task", "Resource": "handler:x", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e"}]}`),
			want: []Violation{{Pointer: "/States/A/Catch/0", Keyword: "required", Message: `missing required field "Next" in a Catcher`}},
		},
		// Choice rules.
		{
			name: "choice rule problems",
			doc: wrap(`"A": {"Type": "Choice", "Choices": [
				{"And": [{"Variable": "$.x", "IsNull": true, "Next": "A"}], "Next": "A"},
				{"Variable": "x", "StringEquals": 1},
				{"Not": {"Variable": "$.x", "NumericEqual": 1}, "Next": "A"}]}`),
			want: []Violation{
				{Pointer: "/States/A/Choices/0/And/0/Next", Keyword: "false", OnKey: true, Message: `field "Next" is not allowed in a nested choice rule`},
				{Pointer: "/States/A/Choices/1", Keyword: "required", Message: `missing required field "Next" in a choice rule`},
				{Pointer: "/States/A/Choices/1/StringEquals", Keyword: "type", Message: `"StringEquals" must be a string, got 1`},
				{Pointer: "/States/A/Choices/1/Variable", Keyword: "pattern", Message: `"Variable" must be a path starting with "$", got "x"`},
				{Pointer: "/States/A/Choices/2/Not/NumericEqual", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "NumericEqual" in a choice rule; did you mean "NumericEquals"?`},
			},
		},
		{
			name: "empty Choices",
			doc:  wrap(`"A": {"Type": "Choice", "Choices": []}`),
			want: []Violation{{Pointer: "/States/A/Choices", Keyword: "minItems", Message: `"Choices" must be a non-empty array, got []`}},
		},
		{
			name: "Fail paths may be intrinsic functions",
			doc:  wrap(`"A": {"Type": "Fail", "ErrorPath": "States.Format('{}', $.e)", "CausePath": "cause"}`),
			want: []Violation{{Pointer: "/States/A/CausePath", Keyword: "pattern",
				Message: `"CausePath" must be a path starting with "$" or an intrinsic function, got "cause"`}},
		},
		// Nesting: branches and processors are checked like the top level.
		{
			name: "nested Parallel",
			doc: wrap(`"A": {"Type": "Parallel", "End": true, "Branches": [
				{"StartAt": "B", "States": {"B": {"Type": "Parallel", "End": true, "Branches": [
					{"StartAt": "C", "States": {"C": {"Type": "Wait", "Seconds": 1, "Ned": true}}}]}}},
				{"States": {}, "TimeoutSeconds": 5}]}`),
			want: []Violation{
				{Pointer: "/States/A/Branches/0/States/B/Branches/0/States/C/Ned", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "Ned" in a Wait state; did you mean "End"?`},
				{Pointer: "/States/A/Branches/1", Keyword: "required", Message: `missing required field "StartAt" in a branch`},
				{Pointer: "/States/A/Branches/1/States", Keyword: "minProperties", Message: `"States" must be a non-empty object, got {}`},
				{Pointer: "/States/A/Branches/1/TimeoutSeconds", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "TimeoutSeconds" in a branch`},
			},
		},
		{
			name: "nested Map",
			doc: wrap(`"A": {"Type": "Map", "End": true, "ItemProcessor": {
				"ProcessorConfig": {"Mode": "INLINED"}, "StartAt": "M", "States": {
				"M": {"Type": "Map", "End": true, "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Reslt": 1, "End": true}}}}}}}`),
			want: []Violation{
				{Pointer: "/States/A/ItemProcessor/ProcessorConfig/Mode", Keyword: "enum",
					Message: `"Mode" must be one of "INLINE", "DISTRIBUTED", got "INLINED"; did you mean "INLINE"?`},
				{Pointer: "/States/A/ItemProcessor/States/M/Iterator/States/P/Reslt", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "Reslt" in a Pass state; did you mean "Result"?`},
			},
		},
		{
			name: "ProcessorConfig unknown field",
			doc: wrap(`"A": {"Type": "Map", "End": true, "ItemProcessor": {
				"ProcessorConfig": {"Mod": "INLINE"}, "StartAt": "M", "States": {"M": {"Type": "Succeed"}}}}`),
			want: []Violation{{Pointer: "/States/A/ItemProcessor/ProcessorConfig/Mod", Keyword: "additionalProperties", OnKey: true,
				Message: `unknown field "Mod" in a ProcessorConfig; did you mean "Mode"?`}},
		},
		{
			name: "distributed Map fields are accepted by the schema",
			doc: wrap(`"A": {"Type": "Map", "End": true, "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2"}, "ItemBatcher": {}, "ResultWriter": {},
				"Label": "l", "Assign": {"v": 1}, "Output": "{% 1 %}", "Items": "{% [] %}",
				"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
				"StartAt": "M", "States": {"M": {"Type": "Task", "Resource": "x", "Arguments": {}, "Credentials": {}, "End": true}}}}`),
		},
		{
			name: "distributed Map fields in JSONata form",
			doc: wrap(`"A": {"Type": "Map", "QueryLanguage": "JSONata", "End": true,
				"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": "{% $states.input.where %}",
					"ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% $max %}"}},
				"ItemBatcher": {"MaxItemsPerBatch": "{% 2 %}", "MaxInputBytesPerBatch": "{% 1024 %}", "BatchInput": "{% {'at': $now()} %}"},
				"ResultWriter": {"WriterConfig": {"OutputType": "JSON", "Transformation": "COMPACT"}},
				"Iterator": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
				"StartAt": "M", "States": {"M": {"Type": "Succeed"}}}}`),
		},
		{
			name: "distributed Map field mistakes",
			doc: wrap(`"A": {"Type": "Map", "End": true,
				"ItemReader": {"Resource": "arn:aws:states:::s3:getObjects", "ReaderConfig": {"InputType": "XML", "CSVDelimiter": ",", "MaxItems": -1}},
				"ItemBatcher": {"MaxItemsPerBatch": 0, "MaxInputBytesPerBatch": 262145, "MaxItemPerBatch": 1},
				"ResultWriter": {"Parameters": [], "WriterConfig": {"Transformation": "FLAT"}},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
				"StartAt": "M", "States": {"M": {"Type": "Succeed"}}}}`),
			want: []Violation{
				{Pointer: "/States/A/ItemBatcher/MaxInputBytesPerBatch", Keyword: "maximum",
					Message: `"MaxInputBytesPerBatch" must be an integer from 1 to 262144 or a JSONata expression "{% … %}" (JSONata states), got 262145`},
				{Pointer: "/States/A/ItemBatcher/MaxItemPerBatch", Keyword: "additionalProperties", OnKey: true,
					Message: `unknown field "MaxItemPerBatch" in an ItemBatcher; did you mean "MaxItemsPerBatch"?`},
				{Pointer: "/States/A/ItemBatcher/MaxItemsPerBatch", Keyword: "minimum",
					Message: `"MaxItemsPerBatch" must be an integer ≥ 1 or a JSONata expression "{% … %}" (JSONata states), got 0`},
				{Pointer: "/States/A/ItemReader/ReaderConfig/CSVDelimiter", Keyword: "enum",
					Message: `"CSVDelimiter" must be one of "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB", got ","`},
				{Pointer: "/States/A/ItemReader/ReaderConfig/InputType", Keyword: "enum",
					Message: `"InputType" must be one of "JSON", "JSONL", "CSV", "MANIFEST", "PARQUET", got "XML"`},
				{Pointer: "/States/A/ItemReader/ReaderConfig/MaxItems", Keyword: "minimum",
					Message: `"MaxItems" must be an integer ≥ 0 or a JSONata expression "{% … %}" (JSONata states), got -1`},
				{Pointer: "/States/A/ItemReader/Resource", Keyword: "enum",
					Message: `"Resource" must be one of "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2", "arn:aws:states:::http:invoke", got "arn:aws:states:::s3:getObjects"; did you mean "arn:aws:states:::s3:getObject"?`},
				{Pointer: "/States/A/ResultWriter/Parameters", Keyword: "type", Message: `"Parameters" must be an object, got []`},
				{Pointer: "/States/A/ResultWriter/WriterConfig/Transformation", Keyword: "enum",
					Message: `"Transformation" must be one of "NONE", "COMPACT", "FLATTEN", got "FLAT"; did you mean "FLATTEN"?`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Validate(decode(t, tt.doc))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	candidates := []string{"Next", "End", "Result", "ResultPath", "ResultSelector", "TimeoutSeconds", "TimeoutSecondsPath"}
	tests := []struct{ name, want string }{
		{"Nxt", "Next"},
		{"next", "Next"},
		{"Nxet", "Next"},
		{"Ned", "End"},
		{"ResultPth", "ResultPath"},
		{"TimeoutSecond", "TimeoutSeconds"},
		{"Zzz", ""},
		{"Timeout", "TimeoutSeconds"},
		{"Catch", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.name, candidates); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPointers(t *testing.T) {
	t.Parallel()
	for _, tokens := range [][]string{nil, {""}, {"a/b", "~x", "0"}, {"States", "x~1"}} {
		p := pointer(tokens)
		if got := splitPointer(p); !cmp.Equal(got, tokens, cmp.Comparer(func(a, b []string) bool {
			return len(a) == len(b) && (len(a) == 0 || cmp.Equal([]string(a), []string(b)))
		})) {
			t.Errorf("splitPointer(pointer(%q)) = %q", tokens, got)
		}
	}
	ordered := []string{"", "/Retry", "/Retry/2", "/Retry/10", "/Retry/10/a", "/States"}
	for i := 1; i < len(ordered); i++ {
		if comparePointers(ordered[i-1], ordered[i]) >= 0 {
			t.Errorf("%q should sort before %q", ordered[i-1], ordered[i])
		}
	}
}
