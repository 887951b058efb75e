package awsjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
)

// These tests drive the AWS API with the real aws-sdk-go-v2 client over a
// real listener: an answer the SDK cannot deserialize fails by itself.
// Each group runs on the memory store; TestSDKOnRedis runs the state
// machine, execution and tag groups again on Redis.

// sdkDefHuman is formatted as a person writes it (two-space indent, inline
// objects, keys in no order), so that a server that re-serializes the
// definition cannot give it back byte for byte.
const sdkDefHuman = `{
  "Comment": "a person wrote this",
  "StartAt": "Greet",
  "States": {
    "Greet": {"Type": "Pass", "Result": {"text": "hi", "n": 1.50}, "ResultPath": "$.greeting", "End": true}
  }
}`

// sdkDefPass adds {"done": true} as $.result.
const sdkDefPass = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"done":true},"ResultPath":"$.result","End":true}}}`

// sdkDefWait keeps an execution RUNNING for ten minutes.
const sdkDefWait = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":600,"End":true}}}`

// sdkDefFail always fails.
const sdkDefFail = `{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Test.Boom","Cause":"on purpose"}}}`

// sdkDefActivity runs one activity task.
func sdkDefActivity(activityArn string) string {
	return fmt.Sprintf(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":%q,"End":true}}}`, activityArn)
}

func TestSDKStateMachines(t *testing.T) { sdkStateMachines(t, startSDK(t, memoryStore(t))) }
func TestSDKExecutions(t *testing.T)    { sdkExecutions(t, startSDK(t, memoryStore(t))) }
func TestSDKActivities(t *testing.T)    { sdkActivities(t, startSDK(t, memoryStore(t))) }
func TestSDKTags(t *testing.T)          { sdkTags(t, startSDK(t, memoryStore(t))) }

// TestSDKOnRedis runs the state machine, execution and tag groups on the
// Redis store: the AWS documents (types, roles, tags, versions) and the
// page tokens over Redis's cursors.
func TestSDKOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	e := startSDK(t, redisStore(t))
	t.Run("StateMachines", func(t *testing.T) { sdkStateMachines(t, e) })
	t.Run("Executions", func(t *testing.T) { sdkExecutions(t, e) })
	t.Run("Tags", func(t *testing.T) { sdkTags(t, e) })
}

func sdkStateMachines(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client

	t.Run("create is idempotent, and describe gives the definition byte for byte", func(t *testing.T) {
		first, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String("human"), Definition: aws.String(sdkDefHuman), RoleArn: aws.String(testRole),
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := arn.DefaultSpace.StateMachine("human"); aws.ToString(first.StateMachineArn) != want {
			t.Fatalf("stateMachineArn %q, want %q", aws.ToString(first.StateMachineArn), want)
		}
		again, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String("human"), Definition: aws.String(sdkDefHuman), RoleArn: aws.String(testRole),
		})
		if err != nil {
			t.Fatalf("the same create again: %v", err)
		}
		if aws.ToString(again.StateMachineArn) != aws.ToString(first.StateMachineArn) || !again.CreationDate.Equal(*first.CreationDate) {
			t.Fatalf("the same create again answered %s %v, the first %s %v", aws.ToString(again.StateMachineArn), again.CreationDate,
				aws.ToString(first.StateMachineArn), first.CreationDate)
		}
		d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: first.StateMachineArn})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.Definition) != sdkDefHuman {
			t.Fatalf("definition\n%s\nwant byte for byte\n%s", aws.ToString(d.Definition), sdkDefHuman)
		}
		if aws.ToString(d.Name) != "human" || d.Status != types.StateMachineStatusActive || d.Type != types.StateMachineTypeStandard ||
			aws.ToString(d.RoleArn) != testRole || d.CreationDate == nil || aws.ToString(d.RevisionId) == "" {
			t.Fatalf("DescribeStateMachine: name %q status %q type %q role %q created %v revision %q",
				aws.ToString(d.Name), d.Status, d.Type, aws.ToString(d.RoleArn), d.CreationDate, aws.ToString(d.RevisionId))
		}
		if d.LoggingConfiguration == nil || d.LoggingConfiguration.Level != types.LogLevelOff || d.TracingConfiguration == nil {
			t.Fatalf("DescribeStateMachine: logging %+v tracing %+v, want OFF and a tracing configuration", d.LoggingConfiguration, d.TracingConfiguration)
		}
	})

	t.Run("create refusals", func(t *testing.T) {
		e.createMachine(t, "taken", sdkDefPass)
		var reindented bytes.Buffer
		if err := json.Indent(&reindented, []byte(sdkDefPass), "", "  "); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, machine, definition, role string
			code, inMessage                 string
		}{
			{"the same JSON re-indented under a taken name", "taken", reindented.String(), testRole, "StateMachineAlreadyExists", "taken"},
			{"a Next to no state", "broken", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`, testRole,
				"InvalidDefinition", "/States/A/Next"},
			{"no StartAt", "broken", `{"States":{"A":{"Type":"Pass","End":true}}}`, testRole, "InvalidDefinition", "StartAt"},
			{"not JSON", "broken", `{"StartAt":`, testRole, "InvalidDefinition", "INVALID_JSON_DESCRIPTION"},
			{"a name with a space", "bad name", sdkDefPass, testRole, "InvalidName", "bad name"},
			{"a name of 81 characters", strings.Repeat("n", 81), sdkDefPass, testRole, "InvalidName", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
					Name: aws.String(tc.machine), Definition: aws.String(tc.definition), RoleArn: aws.String(tc.role),
				})
				wantCode(t, err, tc.code)
				if msg := apiMessage(t, err); !strings.Contains(msg, tc.inMessage) {
					t.Fatalf("message %q does not name %q", msg, tc.inMessage)
				}
			})
		}
		if _, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{
			StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("broken")),
		}); errorCode(t, err) != "StateMachineDoesNotExist" {
			t.Fatalf("a refused create left a state machine behind: %v", err)
		}
	})

	t.Run("a YAML upload is shown as JSON, key order and digits kept", func(t *testing.T) {
		const yamlDef = "Comment: from YAML\nStartAt: Z\nStates:\n  Z:\n    Type: Pass\n    Result: {zeta: 1.50, alpha: 100}\n    End: true\n"
		if _, err := e.eng.PutStateMachine(ctx, "from-yaml", []byte(yamlDef), dsl.YAML); err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("from-yaml"))})
		if err != nil {
			t.Fatal(err)
		}
		got := aws.ToString(d.Definition)
		if !json.Valid([]byte(got)) {
			t.Fatalf("definition is not JSON: %s", got)
		}
		compact := compactJSON(t, got)
		want := `{"Comment":"from YAML","StartAt":"Z","States":{"Z":{"Type":"Pass","Result":{"zeta":1.50,"alpha":100},"End":true}}}`
		if compact != want {
			t.Fatalf("definition %s\nwant (compacted) %s", got, want)
		}
		// A machine made through the REST API (or the engine) shows the
		// defaults: STANDARD, and a role ARN that says where it came from.
		if d.Type != types.StateMachineTypeStandard || !strings.HasPrefix(aws.ToString(d.RoleArn), "arn:aws:iam::123456789012:role/") {
			t.Fatalf("type %q role %q", d.Type, aws.ToString(d.RoleArn))
		}
	})

	t.Run("list pages through every state machine once", func(t *testing.T) {
		want := []string{}
		for i := range 5 {
			name := fmt.Sprintf("page-%d", i)
			e.createMachine(t, name, sdkDefPass)
			want = append(want, name)
		}
		seen := map[string]int{}
		var token *string
		pages := 0
		for {
			out, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.StateMachines) > 2 {
				t.Fatalf("page %d holds %d state machines, maxResults is 2", pages, len(out.StateMachines))
			}
			for _, sm := range out.StateMachines {
				seen[aws.ToString(sm.Name)]++
				if aws.ToString(sm.StateMachineArn) != arn.DefaultSpace.StateMachine(aws.ToString(sm.Name)) || sm.Type != types.StateMachineTypeStandard || sm.CreationDate == nil {
					t.Fatalf("list item %+v", sm)
				}
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
			if pages > 50 {
				t.Fatal("paging does not end")
			}
		}
		for _, name := range want {
			if seen[name] != 1 {
				t.Errorf("%s listed %d times over %d pages, want once", name, seen[name], pages)
			}
		}
		_, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("not-a-token")})
		wantCode(t, err, "InvalidToken")
		_, err = c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1001})
		wantCode(t, err, "ValidationException")
	})

	t.Run("update changes revisionId only when the definition changes", func(t *testing.T) {
		smArn := e.createMachine(t, "updated", sdkDefPass)
		before, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn)})
		if err != nil {
			t.Fatal(err)
		}
		same, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), Definition: aws.String(sdkDefPass)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(same.RevisionId) != aws.ToString(before.RevisionId) {
			t.Fatalf("an unchanged update moved revisionId from %q to %q", aws.ToString(before.RevisionId), aws.ToString(same.RevisionId))
		}
		changed, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), Definition: aws.String(sdkDefHuman),
			RoleArn: aws.String(testRole + "-2")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(changed.RevisionId) == aws.ToString(before.RevisionId) || changed.UpdateDate == nil {
			t.Fatalf("a changed update kept revisionId %q (updateDate %v)", aws.ToString(changed.RevisionId), changed.UpdateDate)
		}
		after, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(after.Definition) != sdkDefHuman || aws.ToString(after.RoleArn) != testRole+"-2" || aws.ToString(after.RevisionId) != aws.ToString(changed.RevisionId) {
			t.Fatalf("after update: definition %q role %q revision %q (update said %q)", aws.ToString(after.Definition), aws.ToString(after.RoleArn),
				aws.ToString(after.RevisionId), aws.ToString(changed.RevisionId))
		}
		_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn)})
		wantCode(t, err, "MissingRequiredParameter")
		_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("never-made")),
			Definition: aws.String(sdkDefPass)})
		wantCode(t, err, "StateMachineDoesNotExist")
	})

	t.Run("delete, and delete of what is absent, answer 200", func(t *testing.T) {
		smArn := e.createMachine(t, "doomed", sdkDefPass)
		for i := range 2 {
			if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(smArn)}); err != nil {
				t.Fatalf("delete %d: %v", i+1, err)
			}
		}
		_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn)})
		wantCode(t, err, "StateMachineDoesNotExist")
		if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("never-made"))}); err != nil {
			t.Fatalf("deleting a state machine that never existed: %v", err)
		}
		_, err = c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:activity:x")})
		wantCode(t, err, "InvalidArn")
	})
}

func sdkExecutions(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client
	passArn := e.createMachine(t, "exec-pass", sdkDefPass)
	waitArn := e.createMachine(t, "exec-wait", sdkDefWait)
	failArn := e.createMachine(t, "exec-fail", sdkDefFail)

	t.Run("start, then describe the finished execution", func(t *testing.T) {
		execArn := e.start(t, passArn, "first", `{"order": 7}`)
		if want := arn.DefaultSpace.Execution("exec-pass", "first"); execArn != want {
			t.Fatalf("executionArn %q, want %q", execArn, want)
		}
		d := e.finish(t, execArn)
		if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Name) != "first" || aws.ToString(d.StateMachineArn) != passArn ||
			aws.ToString(d.ExecutionArn) != execArn || d.StartDate == nil || d.StopDate == nil || d.StopDate.Before(*d.StartDate) {
			t.Fatalf("DescribeExecution: %s %q sm %q arn %q start %v stop %v", d.Status, aws.ToString(d.Name), aws.ToString(d.StateMachineArn),
				aws.ToString(d.ExecutionArn), d.StartDate, d.StopDate)
		}
		// sfn keeps an input as a JSON value, not as the text sent: it
		// comes back compacted (docs/aws-api.md lists this difference).
		if compactJSON(t, aws.ToString(d.Input)) != `{"order":7}` || compactJSON(t, aws.ToString(d.Output)) != `{"order":7,"result":{"done":true}}` {
			t.Fatalf("input %q output %q", aws.ToString(d.Input), aws.ToString(d.Output))
		}
		if d.InputDetails == nil || !d.InputDetails.Included || d.OutputDetails == nil || !d.OutputDetails.Included {
			t.Fatalf("inputDetails %+v outputDetails %+v, want included", d.InputDetails, d.OutputDetails)
		}
		if d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToInt32(d.RedriveCount) != 0 {
			t.Fatalf("a succeeded execution: redriveStatus %q redriveCount %d", d.RedriveStatus, aws.ToInt32(d.RedriveCount))
		}
		// The name is taken for good once the execution has ended (AWS).
		_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(passArn), Name: aws.String("first"), Input: aws.String(`{"order": 7}`)})
		wantCode(t, err, "ExecutionAlreadyExists")
	})

	t.Run("a start is idempotent while the execution runs, with the same input", func(t *testing.T) {
		first, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(waitArn), Name: aws.String("held"), Input: aws.String(`{"a":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		again, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(waitArn), Name: aws.String("held"), Input: aws.String(`{"a":1}`)})
		if err != nil {
			t.Fatalf("the same start while running: %v", err)
		}
		if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) || !again.StartDate.Equal(*first.StartDate) {
			t.Fatalf("the same start answered %s at %v, the first %s at %v", aws.ToString(again.ExecutionArn), again.StartDate,
				aws.ToString(first.ExecutionArn), first.StartDate)
		}
		_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(waitArn), Name: aws.String("held"), Input: aws.String(`{"a":2}`)})
		wantCode(t, err, "ExecutionAlreadyExists")
	})

	t.Run("start refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			in   sfn.StartExecutionInput
			code string
		}{
			{"input that is not JSON", sfn.StartExecutionInput{StateMachineArn: aws.String(passArn), Input: aws.String(`{"a":`)}, "InvalidExecutionInput"},
			{"a name with a space", sfn.StartExecutionInput{StateMachineArn: aws.String(passArn), Name: aws.String("a b")}, "InvalidName"},
			{"a state machine that does not exist", sfn.StartExecutionInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("nope"))}, "StateMachineDoesNotExist"},
			{"an ARN that is not one", sfn.StartExecutionInput{StateMachineArn: aws.String("not:an:arn")}, "InvalidArn"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.StartExecution(ctx, &tc.in)
				wantCode(t, err, tc.code)
			})
		}
	})

	t.Run("stop ends a running execution ABORTED with the error and cause", func(t *testing.T) {
		execArn := e.start(t, waitArn, "to-stop", `{}`)
		out, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(execArn), Error: aws.String("Ops.Stopped"), Cause: aws.String("no longer needed")})
		if err != nil {
			t.Fatal(err)
		}
		if out.StopDate == nil {
			t.Fatal("StopExecution answered no stopDate")
		}
		d := e.finish(t, execArn)
		if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Ops.Stopped" || aws.ToString(d.Cause) != "no longer needed" {
			t.Fatalf("after stop: %s error %q cause %q", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		if d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
			t.Fatalf("an aborted execution: redriveStatus %q, want REDRIVABLE", d.RedriveStatus)
		}
		_, err = c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn.DefaultSpace.Execution("exec-wait", "never-started"))})
		wantCode(t, err, "ExecutionDoesNotExist")
	})

	t.Run("redrive runs a failed execution again and counts it", func(t *testing.T) {
		execArn := e.start(t, failArn, "to-redrive", `{}`)
		d := e.finish(t, execArn)
		if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Test.Boom" || aws.ToString(d.Cause) != "on purpose" ||
			d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
			t.Fatalf("before redrive: %s error %q cause %q redriveStatus %q", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), d.RedriveStatus)
		}
		out, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execArn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.RedriveDate == nil {
			t.Fatal("RedriveExecution answered no redriveDate")
		}
		d = e.finish(t, execArn)
		if d.Status != types.ExecutionStatusFailed || aws.ToInt32(d.RedriveCount) != 1 || d.RedriveDate == nil {
			t.Fatalf("after redrive: %s redriveCount %d redriveDate %v", d.Status, aws.ToInt32(d.RedriveCount), d.RedriveDate)
		}
		done := e.start(t, passArn, "not-redrivable", `{}`)
		e.finish(t, done)
		_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(done)})
		wantCode(t, err, "ExecutionNotRedrivable")
	})

	t.Run("list filters by status, newest first, page by page", func(t *testing.T) {
		listArn := e.createMachine(t, "exec-list", sdkDefPass)
		var succeeded []string
		for i := range 3 {
			execArn := e.start(t, listArn, fmt.Sprintf("run-%d", i), `{}`)
			e.finish(t, execArn)
			succeeded = append(succeeded, execArn)
		}
		var listed []types.ExecutionListItem
		var token *string
		for pages := 1; ; pages++ {
			out, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(listArn),
				StatusFilter: types.ExecutionStatusSucceeded, MaxResults: 2, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Executions) > 2 {
				t.Fatalf("page %d holds %d executions, maxResults is 2", pages, len(out.Executions))
			}
			listed = append(listed, out.Executions...)
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		var arns []string
		for i, it := range listed {
			arns = append(arns, aws.ToString(it.ExecutionArn))
			if it.Status != types.ExecutionStatusSucceeded || aws.ToString(it.StateMachineArn) != listArn || it.StartDate == nil || it.StopDate == nil {
				t.Fatalf("list item %+v", it)
			}
			if i > 0 && it.StartDate.After(*listed[i-1].StartDate) {
				t.Fatalf("not newest first: %v listed after %v", it.StartDate, listed[i-1].StartDate)
			}
		}
		slices.Sort(arns)
		if !slices.Equal(arns, succeeded) {
			t.Fatalf("listed %v, want %v", arns, succeeded)
		}
		running, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(listArn), StatusFilter: types.ExecutionStatusRunning})
		if err != nil {
			t.Fatal(err)
		}
		if len(running.Executions) != 0 {
			t.Fatalf("statusFilter RUNNING listed %d executions of a machine whose runs all ended", len(running.Executions))
		}
		for _, tc := range []struct {
			name string
			in   sfn.ListExecutionsInput
			code string
		}{
			{"a nextToken that is not one", sfn.ListExecutionsInput{StateMachineArn: aws.String(listArn), NextToken: aws.String("bm90IGEgdG9rZW4")}, "InvalidToken"},
			{"maxResults 1001", sfn.ListExecutionsInput{StateMachineArn: aws.String(listArn), MaxResults: 1001}, "ValidationException"},
			{"an unknown status", sfn.ListExecutionsInput{StateMachineArn: aws.String(listArn), StatusFilter: "DONE"}, "ValidationException"},
			{"a state machine that does not exist", sfn.ListExecutionsInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("nope"))}, "StateMachineDoesNotExist"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.ListExecutions(ctx, &tc.in)
				wantCode(t, err, tc.code)
			})
		}
	})

	t.Run("DescribeStateMachineForExecution shows the definition the execution runs", func(t *testing.T) {
		smArn := e.createMachine(t, "exec-pinned", sdkDefWait)
		execArn := e.start(t, smArn, "pinned", `{}`)
		if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), Definition: aws.String(sdkDefPass)}); err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(execArn)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Definition) != sdkDefWait || aws.ToString(out.StateMachineArn) != smArn || aws.ToString(out.Name) != "exec-pinned" ||
			aws.ToString(out.RoleArn) != testRole || out.UpdateDate == nil {
			t.Fatalf("DescribeStateMachineForExecution: definition %q arn %q name %q role %q updated %v", aws.ToString(out.Definition),
				aws.ToString(out.StateMachineArn), aws.ToString(out.Name), aws.ToString(out.RoleArn), out.UpdateDate)
		}
		_, err = c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{
			ExecutionArn: aws.String(arn.DefaultSpace.Execution("exec-pinned", "never-started")),
		})
		wantCode(t, err, "ExecutionDoesNotExist")
	})

	t.Run("a state machine made through the REST API shows one roleArn everywhere", func(t *testing.T) {
		// It has no role of its own; whatever sfn shows in its place must
		// be the same in every answer that shows a role.
		if _, err := e.eng.PutStateMachine(ctx, "exec-rest", []byte(sdkDefPass), dsl.JSON); err != nil {
			t.Fatal(err)
		}
		smArn := arn.DefaultSpace.StateMachine("exec-rest")
		execArn := e.start(t, smArn, "roles", `{}`)
		e.finish(t, execArn)
		d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn)})
		if err != nil {
			t.Fatal(err)
		}
		forExec, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(execArn)})
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execArn), MaxResults: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Events) != 1 || h.Events[0].ExecutionStartedEventDetails == nil {
			t.Fatalf("the first event is not ExecutionStarted with its details: %+v", h.Events)
		}
		roles := []string{aws.ToString(d.RoleArn), aws.ToString(forExec.RoleArn), aws.ToString(h.Events[0].ExecutionStartedEventDetails.RoleArn)}
		if roles[0] == "" || roles[1] != roles[0] || roles[2] != roles[0] {
			t.Fatalf("roleArn: DescribeStateMachine %q, DescribeStateMachineForExecution %q, ExecutionStarted %q; want one role", roles[0], roles[1], roles[2])
		}
	})
}

func sdkActivities(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client

	created, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	actArn := aws.ToString(created.ActivityArn)
	smArn := e.createMachine(t, "act-sm", sdkDefActivity(actArn))

	t.Run("create is idempotent; describe and list show it", func(t *testing.T) {
		if want := arn.DefaultSpace.Activity("work"); actArn != want {
			t.Fatalf("activityArn %q, want %q", actArn, want)
		}
		again, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(again.ActivityArn) != actArn || !again.CreationDate.Equal(*created.CreationDate) {
			t.Fatalf("creating it again answered %s %v, the first %s %v", aws.ToString(again.ActivityArn), again.CreationDate, actArn, created.CreationDate)
		}
		d, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(actArn)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.Name) != "work" || aws.ToString(d.ActivityArn) != actArn || !d.CreationDate.Equal(*created.CreationDate) {
			t.Fatalf("DescribeActivity: %+v", d)
		}
		if _, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("other-work")}); err != nil {
			t.Fatal(err)
		}
		var names []string
		var token *string
		for pages := 1; ; pages++ {
			out, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.Activities {
				names = append(names, aws.ToString(a.Name))
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"other-work", "work"}) {
			t.Fatalf("ListActivities listed %v", names)
		}
		_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn.DefaultSpace.Activity("nope"))})
		wantCode(t, err, "ActivityDoesNotExist")
		_, err = c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("no spaces")})
		wantCode(t, err, "InvalidName")
	})

	t.Run("a worker takes the task, heartbeats and succeeds", func(t *testing.T) {
		execArn := e.start(t, smArn, "answered", `{"job": 1}`)
		task := pollTask(t, c, actArn)
		if compactJSON(t, aws.ToString(task.Input)) != `{"job":1}` {
			t.Fatalf("task input %q", aws.ToString(task.Input))
		}
		if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"answer": 42}`)}); err != nil {
			t.Fatal(err)
		}
		d := e.finish(t, execArn)
		if d.Status != types.ExecutionStatusSucceeded || compactJSON(t, aws.ToString(d.Output)) != `{"answer":42}` {
			t.Fatalf("after success: %s output %q", d.Status, aws.ToString(d.Output))
		}
		// The task has ended: another answer with its token is too late.
		_, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Late")})
		wantCode(t, err, "TaskTimedOut")
	})

	t.Run("a worker fails the task", func(t *testing.T) {
		execArn := e.start(t, smArn, "failed", `{}`)
		task := pollTask(t, c, actArn)
		if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Worker.Broke"), Cause: aws.String("out of paper")}); err != nil {
			t.Fatal(err)
		}
		d := e.finish(t, execArn)
		if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Worker.Broke" || aws.ToString(d.Cause) != "out of paper" {
			t.Fatalf("after failure: %s error %q cause %q", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
	})

	t.Run("the token of a stopped execution's task has timed out", func(t *testing.T) {
		execArn := e.start(t, smArn, "stopped", `{}`)
		task := pollTask(t, c, actArn)
		if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(execArn)}); err != nil {
			t.Fatal(err)
		}
		e.finish(t, execArn)
		_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)})
		wantCode(t, err, "TaskTimedOut")
		_, err = c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
		wantCode(t, err, "TaskTimedOut")
	})

	t.Run("a token that is not one is InvalidToken", func(t *testing.T) {
		for _, op := range []struct {
			name string
			call func(token string) error
		}{
			{"SendTaskSuccess", func(tok string) error {
				_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
				return err
			}},
			{"SendTaskFailure", func(tok string) error {
				_, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok)})
				return err
			}},
			{"SendTaskHeartbeat", func(tok string) error {
				_, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
				return err
			}},
		} {
			t.Run(op.name, func(t *testing.T) { wantCode(t, op.call("this-is-not-a-token"), "InvalidToken") })
		}
	})

	t.Run("delete, then describe is ActivityDoesNotExist", func(t *testing.T) {
		gone, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("short-lived")})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: gone.ActivityArn}); err != nil {
				t.Fatalf("delete %d: %v", i+1, err)
			}
		}
		_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: gone.ActivityArn})
		wantCode(t, err, "ActivityDoesNotExist")
		_, err = c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: gone.ActivityArn})
		wantCode(t, err, "ActivityDoesNotExist")
	})
}

// pollTask takes the activity's next task. GetActivityTask long-polls on
// the server, so an execution already waiting on the activity is answered
// at once; an answer without a token means none came within the poll.
func pollTask(t *testing.T, c *sfn.Client, activityArn string) *sfn.GetActivityTaskOutput {
	t.Helper()
	out, err := c.GetActivityTask(context.Background(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(activityArn), WorkerName: aws.String("sdk-test")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.TaskToken) == "" {
		t.Fatal("GetActivityTask answered no task although an execution waits on the activity")
	}
	return out
}

func sdkTags(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client

	listTags := func(t *testing.T, resource string) map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(resource)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tag := range out.Tags {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		return m
	}
	wantTags := func(t *testing.T, resource string, want map[string]string) {
		t.Helper()
		if got := listTags(t, resource); !maps.Equal(got, want) {
			t.Fatalf("tags of %s: %v, want %v", resource, got, want)
		}
	}

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("tagged"), Definition: aws.String(sdkDefPass), RoleArn: aws.String(testRole), Publish: true,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}, {Key: aws.String("env"), Value: aws.String("test")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("tagged-work"),
		Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("worker")}}})
	if err != nil {
		t.Fatal(err)
	}

	for _, r := range []struct {
		name    string
		arn     string
		created map[string]string
	}{
		{"state machine", aws.ToString(sm.StateMachineArn), map[string]string{"team": "core", "env": "test"}},
		{"activity", aws.ToString(act.ActivityArn), map[string]string{"kind": "worker"}},
	} {
		t.Run(r.name+": created with tags, tagged, untagged", func(t *testing.T) {
			wantTags(t, r.arn, r.created)
			if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(r.arn), Tags: []types.Tag{
				{Key: aws.String("owner"), Value: aws.String("ada")}, {Key: aws.String("team"), Value: aws.String("platform")},
			}}); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"owner": "ada", "team": "platform"}
			for k, v := range r.created {
				if _, ok := want[k]; !ok {
					want[k] = v
				}
			}
			wantTags(t, r.arn, want)
			if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(r.arn), TagKeys: []string{"owner", "absent"}}); err != nil {
				t.Fatal(err)
			}
			delete(want, "owner")
			wantTags(t, r.arn, want)
		})
	}

	t.Run("a version or an absent resource is ResourceNotFound", func(t *testing.T) {
		if aws.ToString(sm.StateMachineVersionArn) == "" {
			t.Fatal("CreateStateMachine with publish answered no stateMachineVersionArn")
		}
		for _, resource := range []string{aws.ToString(sm.StateMachineVersionArn), arn.DefaultSpace.StateMachine("never-made"), arn.DefaultSpace.Activity("never-made")} {
			_, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(resource)})
			wantCode(t, err, "ResourceNotFound")
			_, err = c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(resource), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			wantCode(t, err, "ResourceNotFound")
		}
	})

	t.Run("more than 50 tags is TooManyTags", func(t *testing.T) {
		have := len(listTags(t, aws.ToString(sm.StateMachineArn)))
		var tags []types.Tag
		for i := range 51 - have {
			tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
		}
		_, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: tags})
		wantCode(t, err, "TooManyTags")
		if n := len(listTags(t, aws.ToString(sm.StateMachineArn))); n != have {
			t.Fatalf("a refused TagResource changed the tags: %d, were %d", n, have)
		}
		if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: tags[:len(tags)-1]}); err != nil {
			t.Fatalf("tagging up to exactly 50: %v", err)
		}
		var many []types.Tag
		for i := range 51 {
			many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
		}
		_, err = c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("overtagged"), Tags: many})
		wantCode(t, err, "TooManyTags")
	})
}

// apiMessage is the message of an AWS API error.
func apiMessage(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an AWS API error: %v", err)
	}
	return ae.ErrorMessage()
}

// compactJSON is s without insignificant white space (numbers and key
// order as they are).
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("%q is not JSON: %v", s, err)
	}
	return b.String()
}
