package awsjson_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

// diag is a diagnostic as a test expects it: "" for Location means none.
type diag struct {
	code, location, message string // message: a prefix
}

func TestValidateStateMachineDefinition(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{Credentials: testCredentials})
	reader := client(f.url, readerKey, readerSec, nil) // validating is a reader's
	const callback = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"https://example.com","Method":"POST"},"End":true}}}`
	const activity = `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true}}}],"End":true}}}`
	for _, c := range []struct {
		name, definition string
		typ              types.StateMachineType
		want             []diag // nil: OK
	}{
		{"valid", `{"StartAt":"StartState","States":{"StartState":{"Type":"Pass","End":true}}}`, types.StateMachineTypeStandard, nil},
		{"valid EXPRESS", passDefinition("x"), types.StateMachineTypeExpress, nil},
		{"no StartAt", `{"States":{"StartState":{"Type":"Pass","End":true}}}`, types.StateMachineTypeStandard,
			[]diag{{"SCHEMA_VALIDATION_FAILED", "/", "These fields are required: [StartAt]"}}},
		{"empty object", `{}`, "", []diag{{"SCHEMA_VALIDATION_FAILED", "/", "These fields are required: [StartAt, States]"}}},
		{"not JSON", `not a definition`, types.StateMachineTypeStandard, []diag{{"INVALID_JSON_DESCRIPTION", "line: 1, column: 1", "JSON syntax error"}}},
		{"empty", ``, types.StateMachineTypeStandard, []diag{{"SCHEMA_VALIDATION_FAILED", "", "Definition must be a valid JSON object"}}},
		{"a missing Next target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, "",
			[]diag{{"MISSING_TRANSITION_TARGET", "/States/A/Next", `Next names state "B"`}}},
		{"sfn's finer codes are schema problems", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"nope","End":true}}}`, "",
			[]diag{{"SCHEMA_VALIDATION_FAILED", "/States/A/InputPath", ""}}},
		{"an unknown field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Foo":1}}}`, "",
			[]diag{{"SCHEMA_VALIDATION_FAILED", "/States/A/Foo", `unknown field "Foo"`}}},
		{"a callback in STANDARD", callback, types.StateMachineTypeStandard, nil},
		{"a callback in EXPRESS", callback, types.StateMachineTypeExpress,
			[]diag{{"SCHEMA_VALIDATION_FAILED", "/States/Wait/Resource", "Express state machine does not support '.waitForTaskToken' service integration"}}},
		{"an activity in an EXPRESS branch", activity, types.StateMachineTypeExpress,
			[]diag{{"SCHEMA_VALIDATION_FAILED", "/States/P/Branches/0/States/Work/Resource", "Express state machine does not support activities"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := reader.ValidateStateMachineDefinition(f.ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(c.definition), Type: c.typ})
			if err != nil {
				t.Fatalf("ValidateStateMachineDefinition: %v", err)
			}
			wantResult := types.ValidateStateMachineDefinitionResultCodeOk
			if c.want != nil {
				wantResult = types.ValidateStateMachineDefinitionResultCodeFail
			}
			if out.Result != wantResult || out.Truncated == nil || *out.Truncated {
				t.Errorf("result %s, truncated %v; want %s, false", out.Result, fmtBool(out.Truncated), wantResult)
			}
			if out.Diagnostics == nil && c.want == nil {
				t.Errorf("diagnostics missing: AWS answers [] for a valid definition")
			}
			if got := fmtDiagnostics(out.Diagnostics); !matchDiagnostics(out.Diagnostics, c.want) {
				t.Errorf("diagnostics = %s, want %v", got, c.want)
			}
		})
	}
}

// TestValidateOptions: maxResults truncates; severity and type take AWS's
// values only.
func TestValidateOptions(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	twoMistakes := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Pass","Foo":1,"End":true}}}`
	all, err := f.c.ValidateStateMachineDefinition(f.ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(twoMistakes),
		Severity: types.ValidateStateMachineDefinitionSeverityWarning})
	if err != nil || len(all.Diagnostics) < 2 || aws.ToBool(all.Truncated) {
		t.Fatalf("validating two mistakes = %v (truncated %v), %v; want at least two diagnostics", fmtDiagnostics(all.Diagnostics), fmtBool(all.Truncated), err)
	}
	one, err := f.c.ValidateStateMachineDefinition(f.ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(twoMistakes), MaxResults: 1})
	if err != nil || len(one.Diagnostics) != 1 || !aws.ToBool(one.Truncated) || one.Result != types.ValidateStateMachineDefinitionResultCodeFail {
		t.Fatalf("maxResults 1 = %s %v (truncated %v), %v; want FAIL with one diagnostic, truncated", one.Result, fmtDiagnostics(one.Diagnostics), fmtBool(one.Truncated), err)
	}
	for _, c := range []struct {
		name string
		in   sfn.ValidateStateMachineDefinitionInput
		msg  string
	}{
		{"an unknown type", sfn.ValidateStateMachineDefinitionInput{Definition: aws.String("{}"), Type: "FAST"},
			"1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint"},
		{"an unknown severity", sfn.ValidateStateMachineDefinitionInput{Definition: aws.String("{}"), Severity: "INFO"},
			"1 validation error detected: Value 'INFO' at 'severity' failed to satisfy constraint"},
		{"maxResults over 100", sfn.ValidateStateMachineDefinitionInput{Definition: aws.String("{}"), MaxResults: 101},
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.ValidateStateMachineDefinition(f.ctx, &c.in)
			wantRefused(t, err, "ValidationException", c.msg)
		})
	}
}

// TestInvalidDefinitionMessage: CreateStateMachine refuses a definition with
// AWS's InvalidDefinition, naming the same findings as validation.
func TestInvalidDefinitionMessage(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	for _, c := range []struct {
		definition, msg string
	}{
		{`{"Comment":"no States","StartAt":"State_1"}`,
			"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /"},
		{`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Pass","Foo":1,"End":true}}}`,
			`Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Next names state "B"`},
		{`{"StartAt":`, "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: JSON syntax error"},
	} {
		_, err := f.c.CreateStateMachine(f.ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(c.definition),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn")})
		wantRefused(t, err, "InvalidDefinition", c.msg)
	}
}

func matchDiagnostics(got []types.ValidateStateMachineDefinitionDiagnostic, want []diag) bool {
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		g := got[i]
		if g.Severity != types.ValidateStateMachineDefinitionSeverityError || aws.ToString(g.Code) != w.code ||
			aws.ToString(g.Location) != w.location || !strings.HasPrefix(aws.ToString(g.Message), w.message) || aws.ToString(g.Message) == "" {
			return false
		}
	}
	return true
}

func fmtDiagnostics(ds []types.ValidateStateMachineDefinitionDiagnostic) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("{%s %s %q at %q}", d.Severity, aws.ToString(d.Code), aws.ToString(d.Message), aws.ToString(d.Location)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func fmtBool(b *bool) string {
	if b == nil {
		return "<missing>"
	}
	return fmt.Sprint(*b)
}
