package awsjson_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
)

// CreateStateMachine's idempotency is AWS's: name, definition, type,
// logging and tracing decide; "a different roleArn or tags" are ignored and
// not updated (API Reference, CreateStateMachine).
func TestCreateIdempotencyIgnoresRoleAndTags(t *testing.T) {
	e := startSDK(t, memoryStore(t))
	ctx := context.Background()
	c := e.client
	create := func(role string, tags []types.Tag, tracing bool) (*sfn.CreateStateMachineOutput, error) {
		return c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("idem"), Definition: aws.String(sdkDefPass),
			RoleArn: aws.String(role), Tags: tags, TracingConfiguration: &types.TracingConfiguration{Enabled: tracing}})
	}
	first, err := create(testRole, []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := create(testRole+"-other", []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}}, false)
	if err != nil {
		t.Fatalf("another role and other tags under the same name and definition: %v (AWS ignores them)", err)
	}
	if aws.ToString(again.StateMachineArn) != aws.ToString(first.StateMachineArn) {
		t.Fatalf("ARN %s, first %s", aws.ToString(again.StateMachineArn), aws.ToString(first.StateMachineArn))
	}
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: first.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.RoleArn) != testRole {
		t.Errorf("roleArn %q after the repeated create, want the first one's %q (not updated)", aws.ToString(d.RoleArn), testRole)
	}
	tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: first.StateMachineArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a" {
		t.Errorf("tags after the repeated create: %+v %v, want team=a (not updated)", tags, err)
	}
	// Tracing is part of the check.
	_, err = create(testRole, nil, true)
	wantCode(t, err, "StateMachineAlreadyExists")
}

// A logging or tracing configuration is checked and stored in its typed
// shape: one the SDK could not read back never reaches the store, so the
// state machine stays describable by every client.
func TestCreateChecksLoggingAndTracing(t *testing.T) {
	e := startSDK(t, memoryStore(t))
	for _, tc := range []struct {
		name, body, code string
	}{
		{"tracing of the wrong type", `{"name":"bad1","definition":%q,"roleArn":%q,"tracingConfiguration":5}`, "ValidationException"},
		{"logging of the wrong type", `{"name":"bad2","definition":%q,"roleArn":%q,"loggingConfiguration":{"destinations":"x"}}`, "ValidationException"},
		{"a logging level without a destination", `{"name":"bad3","definition":%q,"roleArn":%q,"loggingConfiguration":{"level":"ALL"}}`, "InvalidLoggingConfiguration"},
		{"an unknown level", `{"name":"bad4","definition":%q,"roleArn":%q,"loggingConfiguration":{"level":"LOUD"}}`, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawAWS(t, e.url, "CreateStateMachine", fmt.Sprintf(tc.body, sdkDefPass, testRole))
			var env struct {
				Type string `json:"__type"`
			}
			_ = json.Unmarshal(body, &env)
			if status != 400 || env.Type != tc.code {
				t.Fatalf("HTTP %d %s, want 400 %s", status, body, tc.code)
			}
		})
	}
	// A good one is shown as given, through the SDK.
	ctx := context.Background()
	out, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("logged"), Definition: aws.String(sdkDefPass),
		RoleArn: aws.String(testRole), TracingConfiguration: &types.TracingConfiguration{Enabled: true},
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelError, IncludeExecutionData: true,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:sfn:*")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: out.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if lc := d.LoggingConfiguration; lc == nil || lc.Level != types.LogLevelError || !lc.IncludeExecutionData || len(lc.Destinations) != 1 ||
		!d.TracingConfiguration.Enabled {
		t.Fatalf("logging %+v tracing %+v", d.LoggingConfiguration, d.TracingConfiguration)
	}
}

// A task output over 256 KiB is the caller's mistake (ValidationException),
// not a server error.
func TestSendTaskSuccessOutputLimit(t *testing.T) {
	e := startSDK(t, memoryStore(t))
	token := interpreter.MakeToken("m:x", 0, 2, "secret") // well formed; the size is refused before it is looked up
	out := `"` + strings.Repeat("a", 256*1024) + `"`
	_, err := e.client.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(out)})
	wantCode(t, err, "ValidationException")
}

// rawAWS sends one unsigned awsJson1_0 request to an open server, for
// bodies the SDK would not send.
func rawAWS(t *testing.T, url, op, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", awsjson.ContentType)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// A document left behind by a delete that failed half-way (the state
// machine gone, its document not) does not block a new CreateStateMachine
// of the name, nor carry its tags over; and the new machine's activities
// get their documents, as with every upload.
func TestCreateOverLeftoverDocument(t *testing.T) {
	e := startSDK(t, memoryStore(t))
	ctx := context.Background()
	first, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("again"), Definition: aws.String(sdkDefPass),
		RoleArn: aws.String(testRole), Tags: []types.Tag{{Key: aws.String("old"), Value: aws.String("yes")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.eng.DeleteStateMachine(ctx, "again"); err != nil { // the document stays
		t.Fatal(err)
	}
	act := arn.DefaultSpace.Activity("again-work")
	done := make(chan error, 1)
	go func() {
		_, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("again"),
			Definition: aws.String(sdkDefActivity(act)), RoleArn: aws.String(testRole)})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("create over a leftover document: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("create over a leftover document did not answer (a compare-and-set loop that cannot win)")
	}
	tags, err := e.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: first.StateMachineArn})
	if err != nil || len(tags.Tags) != 0 {
		t.Errorf("tags of the new machine: %+v %v, want none (the old ones must not carry over)", tags, err)
	}
	if _, err := e.client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act)}); err != nil {
		t.Errorf("the activity its definition names: %v", err)
	}
}
