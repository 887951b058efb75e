package teststate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter/httptask"
)

const machine = `{
  "StartAt": "Check",
  "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.cost", "NumericLessThan": 10, "Next": "Approve"}], "Default": "Items"},
    "Items": {"Type": "Map", "ItemsPath": "$.items", "Next": "Approve",
      "ItemProcessor": {"StartAt": "Price", "States": {"Price": {"Type": "Pass", "Parameters": {"p.$": "$.price"}, "End": true}}}},
    "Approve": {"Type": "Succeed"}
  }
}`

// TestStateMachine: a whole state machine's state is tested by name
// (StartAt by default), nested ones too.
func TestStateMachine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  Request
		want *Answer
	}{
		{"StartAt by default", Request{Definition: machine, Input: `{"cost":3}`}, &Answer{Status: Succeeded, NextState: "Approve", Output: `{"cost":3}`}},
		{"a named state", Request{Definition: machine, StateName: "Check", Input: `{"cost":30}`}, &Answer{Status: Succeeded, NextState: "Items", Output: `{"cost":30}`}},
		{"a state of a Map's processor", Request{Definition: machine, StateName: "Price", Input: `{"price":4}`}, &Answer{Status: Succeeded, Output: `{"p":4}`}},
		{"YAML", Request{Definition: "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: 1\n    End: true\n"}, &Answer{Status: Succeeded, Output: `1`}},
		{"a single state in YAML", Request{Definition: "Type: Pass\nResult: {ok: true}\nNext: B\n"}, &Answer{Status: Succeeded, NextState: "B", Output: `{"ok":true}`}},
		{"a single state whose Next is StateName", Request{Definition: `{"Type":"Pass","Parameters":{"n.$":"$$.State.Name"},"Next":"StateName"}`},
			&Answer{Status: Succeeded, NextState: "StateName", Output: `{"n":"StateName2"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, run(t, tc.req, fixed)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidation: what cannot be run is refused before any work, saying
// what and where.
func TestValidation(t *testing.T) {
	t.Parallel()
	client, err := httptask.New(httptask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pass := `{"Type":"Pass","End":true}`
	task := func(resource string) string { return `{"Type":"Task","Resource":"` + resource + `","End":true}` }
	httpTask := `{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"https://x.example","Method":"GET"},"End":true}`
	mapState := `{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	dmap := func(inputType string) string {
		return `{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"` + inputType + `"},"Parameters":{"Bucket":"b","Key":"k"}},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	}
	parallel := `{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],"End":true}`
	result := &Mock{Result: `{}`}
	for _, tc := range []struct {
		name       string
		req        Request
		http       bool
		field      string
		definition bool
		message    string
	}{
		{name: "no definition", req: Request{}, field: "definition", message: "is required"},
		{name: "bad JSON", req: Request{Definition: `{"Type": "Pass",`}, field: "definition", definition: true, message: "1:"},
		{name: "not an object", req: Request{Definition: `[1]`}, field: "definition", definition: true, message: "is array"},
		{name: "neither a state nor a machine", req: Request{Definition: `{"Comment":"x"}`}, field: "definition", definition: true, message: "neither a state"},
		{name: "an invalid state", req: Request{Definition: `{"Type":"Pass","Nxt":"X"}`}, field: "definition", definition: true, message: `1:16: SCHEMA_VALIDATION_FAILED unknown field "Nxt"`},
		{name: "an invalid machine", req: Request{Definition: "{\"StartAt\":\"A\",\n\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"}}}"}, field: "definition", definition: true, message: "2:"},
		{name: "unknown state name", req: Request{Definition: machine, StateName: "Nope"}, field: "stateName", message: `no state named "Nope"`},
		{name: "stateName with a single state", req: Request{Definition: pass, StateName: "X"}, field: "stateName", message: "single state"},
		{name: "bad inspection level", req: Request{Definition: pass, InspectionLevel: "ALL"}, field: "inspectionLevel", message: `"ALL"`},
		{name: "input not JSON", req: Request{Definition: pass, Input: `{a}`}, field: "input", message: "not valid JSON"},
		{name: "variables not an object", req: Request{Definition: pass, Variables: `[1]`}, field: "variables", message: "JSON object"},
		{name: "context not JSON", req: Request{Definition: task("handler:x"), Mock: result, Context: `nope`}, field: "context", message: "not valid JSON"},
		{name: "context without a mock", req: Request{Definition: pass, Context: `{}`}, field: "context", message: "only be given with a mock"},
		{name: "mock on a Pass", req: Request{Definition: pass, Mock: result}, field: "mock", message: "State type 'Pass' is not supported when a mock is specified"},
		{name: "mock on a Choice", req: Request{Definition: `{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"X"}]}`, Mock: result}, field: "mock", message: "State type 'Choice'"},
		{name: "mock with both", req: Request{Definition: task("handler:x"), Mock: &Mock{Result: `1`, ErrorOutput: &MockErrorOutput{Error: "E"}}}, field: "mock", message: "only one of"},
		{name: "mock with neither", req: Request{Definition: task("handler:x"), Mock: &Mock{FieldValidationMode: None}}, field: "mock", message: "one of the following"},
		{name: "mock result not JSON", req: Request{Definition: task("handler:x"), Mock: &Mock{Result: "not JSON string", FieldValidationMode: None}}, field: "mock.result", message: "not valid JSON"},
		{name: "bad field validation mode", req: Request{Definition: task("handler:x"), Mock: &Mock{Result: `1`, FieldValidationMode: "LOOSE"}}, field: "mock.fieldValidationMode", message: `"LOOSE"`},
		{name: "revealSecrets with a mock", req: Request{Definition: httpTask, Mock: result, RevealSecrets: true}, field: "revealSecrets", message: "mock"},
		{name: "HTTP result not an object (STRICT)", req: Request{Definition: httpTask, Mock: &Mock{Result: `[1]`}}, field: "mock.result", message: "is an object"},
		{name: "HTTP StatusCode not a number (PRESENT)", req: Request{Definition: httpTask, Mock: &Mock{Result: `{"StatusCode":"200"}`, FieldValidationMode: Present}}, field: "mock.result", message: "StatusCode must be an integer"},
		{name: "Map result not an array", req: Request{Definition: mapState, Mock: result}, field: "mock.result", message: "must be an array"},
		{name: "Parallel result of the wrong length", req: Request{Definition: parallel, Mock: &Mock{Result: `[1,2]`}}, field: "mock.result", message: "2 items, 1 branches"},
		// The definition is valid: the request lacks a mock (ValidationException, not InvalidDefinition).
		{name: "Map without a mock", req: Request{Definition: mapState}, field: "mock", message: "only with a mock"},
		{name: "Parallel without a mock", req: Request{Definition: parallel}, field: "mock", message: "only with a mock"},
		{name: "handler without a mock", req: Request{Definition: task("handler:charge")}, field: "mock", message: "in-process handler"},
		{name: "activity without a mock", req: Request{Definition: task("activity:approve")}, field: "mock", message: "activity"},
		{name: "callback without a mock", req: Request{Definition: `{"Type":"Task","Resource":"http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"https://x.example","Method":"GET"},"End":true}`}, http: true, field: "mock", message: ".waitForTaskToken"},
		{name: "child execution without a mock", req: Request{Definition: `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:child"},"End":true}`}, http: true, field: "mock", message: "child execution"},
		{name: "HTTP without a client", req: Request{Definition: httpTask}, field: "mock", message: "no HTTP client"},
		{name: "negative retrierRetryCount", req: Request{Definition: task("handler:x"), Mock: result, StateConfiguration: &StateConfiguration{RetrierRetryCount: -1}}, field: "stateConfiguration.retrierRetryCount", message: "0 or more"},
		{name: "mapIterationFailureCount on a Task", req: Request{Definition: task("handler:x"), Mock: result, StateConfiguration: &StateConfiguration{MapIterationFailureCount: 1}}, field: "stateConfiguration.mapIterationFailureCount", message: "Map state"},
		{name: "errorCausedByState on a Task", req: Request{Definition: task("handler:x"), Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "E"}}, StateConfiguration: &StateConfiguration{ErrorCausedByState: "X"}}, field: "stateConfiguration.errorCausedByState", message: "Map or Parallel"},
		{name: "errorCausedByState without an error", req: Request{Definition: mapState, Mock: &Mock{Result: `[]`}, StateConfiguration: &StateConfiguration{ErrorCausedByState: "P"}}, field: "stateConfiguration.errorCausedByState", message: "mock.errorOutput"},
		{name: "errorCausedByState not inside", req: Request{Definition: mapState, Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "E"}}, StateConfiguration: &StateConfiguration{ErrorCausedByState: "Elsewhere"}}, field: "stateConfiguration.errorCausedByState", message: `"Elsewhere" is not a state`},
		{name: "mapItemReaderData without a reader", req: Request{Definition: mapState, Mock: &Mock{Result: `[]`}, StateConfiguration: &StateConfiguration{MapItemReaderData: `[1]`}}, field: "stateConfiguration.mapItemReaderData", message: "ItemReader"},
		{name: "mapItemReaderData not an array", req: Request{Definition: dmap("JSON"), Mock: &Mock{Result: `[]`}, StateConfiguration: &StateConfiguration{MapItemReaderData: `{"a":1}`}}, field: "stateConfiguration.mapItemReaderData", message: "JSON array"},
		{name: "mapItemReaderData as CSV", req: Request{Definition: dmap("CSV"), Mock: &Mock{Result: `[]`}, StateConfiguration: &StateConfiguration{MapItemReaderData: "a,b\n1,2"}}, field: "stateConfiguration.mapItemReaderData", message: "InputType CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := fixed
			if tc.http {
				opts.HTTP = client
			}
			a, err := Run(context.Background(), tc.req, opts)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Run: answer %+v, error %v; want a *ValidationError", a, err)
			}
			if ve.Field != tc.field || ve.Definition != tc.definition || !strings.Contains(ve.Message, tc.message) {
				t.Errorf("error %q (field %q, definition %v), want field %q, definition %v, a message with %q", ve.Error(), ve.Field, ve.Definition, tc.field, tc.definition, tc.message)
			}
			if ve.Definition && ve.Field == "definition" && strings.Contains(tc.message, ":") && len(ve.Problems) == 0 {
				t.Errorf("a definition's problems are in Problems too: %q", ve.Error())
			}
		})
	}
}

// TestDefinitionProblems: a bad single state's problems point into its
// own text, in JSON and in YAML.
func TestDefinitionProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, definition string
		want             []dsl.Problem
	}{
		{"JSON", "{\"Type\": \"Pass\",\n \"ResultPath\": \"$.a[\", \"End\": true}", []dsl.Problem{
			{Line: 2, Column: 16, Path: "/ResultPath", Code: dsl.CodeInvalidPath, Severity: dsl.SeverityError}}},
		{"YAML", "Type: Wait\nSeconds: -1\nEnd: true\n", []dsl.Problem{
			{Line: 2, Column: 10, Path: "/Seconds", Code: dsl.CodeSchema, Severity: dsl.SeverityError}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(context.Background(), Request{Definition: tc.definition}, fixed)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a *ValidationError", err)
			}
			got := append(dsl.Problems(nil), ve.Problems...)
			for i := range got {
				got[i].Message = ""
			}
			if diff := cmp.Diff(tc.want, []dsl.Problem(got)); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%s", diff, ve.Message)
			}
		})
	}
}
