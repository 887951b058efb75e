package awsjson_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

// checkoutDef's states: a Pass with every data-flow field, and a Task with
// a Retrier, a Catcher and a ResultSelector.
const checkoutDef = `{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","InputPath":"$.order","Parameters":{"id.$":"$.id","total.$":"$.amount"},"ResultPath":"$.prepared","OutputPath":"$.prepared","Next":"Charge"},
  "Charge":{"Type":"Task","Resource":"handler:charge",
    "Retry":[{"ErrorEquals":["Flaky.Outage"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
    "Catch":[{"ErrorEquals":["Card.Declined"],"ResultPath":"$.error","Next":"Declined"}],
    "ResultSelector":{"ok.$":"$.charged"},"ResultPath":"$.charge","End":true},
  "Declined":{"Type":"Fail","Error":"Payment.Declined"}}}`

// testStateClients are the SDK's clients for an admin and a reader. The
// SDK sends TestState to sync-<host>, as StartSyncExecution: the clients
// dial the listener whatever the host.
func testStateClients(t *testing.T) (admin, reader *sfn.Client) {
	t.Helper()
	ts := listen(t, awsjson.Config{Credentials: testCredentials})
	addr := strings.TrimPrefix(ts.URL, "http://")
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}}
	return client(ts.URL, adminKey, adminSecret, hc), client(ts.URL, readerKey, readerSec, hc)
}

// TestTestStateSDK: the SDK's TestState, answered field by field.
func TestTestStateSDK(t *testing.T) {
	t.Parallel()
	admin, _ := testStateClients(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		in   *sfn.TestStateInput
		want *sfn.TestStateOutput
	}{
		{"pass at DEBUG", &sfn.TestStateInput{Definition: aws.String(checkoutDef), StateName: aws.String("Prepare"), RoleArn: aws.String(testRole),
			Input: aws.String(`{"order":{"id":"o-1","amount":12}}`), InspectionLevel: types.InspectionLevelDebug},
			&sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded, NextState: aws.String("Charge"), Output: aws.String(`{"id":"o-1","total":12}`),
				InspectionData: &types.InspectionData{
					Input:               aws.String(`{"order":{"id":"o-1","amount":12}}`),
					AfterInputPath:      aws.String(`{"id":"o-1","amount":12}`),
					AfterParameters:     aws.String(`{"id":"o-1","total":12}`),
					AfterResultSelector: aws.String(`{"id":"o-1","total":12}`),
					AfterResultPath:     aws.String(`{"order":{"id":"o-1","amount":12},"prepared":{"id":"o-1","total":12}}`),
				}}},
		{"mocked error caught", &sfn.TestStateInput{Definition: aws.String(checkoutDef), StateName: aws.String("Charge"), Input: aws.String(`{"n":1}`),
			Mock:            &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Card.Declined"), Cause: aws.String("no funds")}},
			InspectionLevel: types.InspectionLevelDebug},
			&sfn.TestStateOutput{Status: types.TestExecutionStatusCaughtError, NextState: aws.String("Declined"),
				Error: aws.String("Card.Declined"), Cause: aws.String("no funds"),
				Output: aws.String(`{"n":1,"error":{"Error":"Card.Declined","Cause":"no funds"}}`),
				InspectionData: &types.InspectionData{Input: aws.String(`{"n":1}`), AfterInputPath: aws.String(`{"n":1}`), AfterParameters: aws.String(`{"n":1}`),
					ErrorDetails: &types.InspectionErrorDetails{CatchIndex: aws.Int32(0)}}}},
		{"mocked error retried", &sfn.TestStateInput{Definition: aws.String(checkoutDef), StateName: aws.String("Charge"), Input: aws.String(`{"n":1}`),
			Mock:               &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Flaky.Outage"), Cause: aws.String("later")}},
			StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)}, InspectionLevel: types.InspectionLevelDebug},
			&sfn.TestStateOutput{Status: types.TestExecutionStatusRetriable, Error: aws.String("Flaky.Outage"), Cause: aws.String("later"),
				InspectionData: &types.InspectionData{Input: aws.String(`{"n":1}`), AfterInputPath: aws.String(`{"n":1}`), AfterParameters: aws.String(`{"n":1}`),
					ErrorDetails: &types.InspectionErrorDetails{RetryIndex: aws.Int32(0), RetryBackoffIntervalSeconds: aws.Int32(4)}}}}, // 2 s × 2¹
		{"mocked result at INFO", &sfn.TestStateInput{Definition: aws.String(checkoutDef), StateName: aws.String("Charge"), Input: aws.String(`{"n":1}`),
			Mock: &types.MockInput{Result: aws.String(`{"charged":true}`), FieldValidationMode: types.MockResponseValidationModeStrict}},
			&sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded, Output: aws.String(`{"n":1,"charge":{"ok":true}}`)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := admin.TestState(ctx, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreUnexported(sfn.TestStateOutput{}, types.InspectionData{}, types.InspectionErrorDetails{}),
				cmpopts.IgnoreFields(sfn.TestStateOutput{}, "ResultMetadata")); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTestStateSDKErrors: AWS's exceptions for requests TestState refuses.
func TestTestStateSDKErrors(t *testing.T) {
	t.Parallel()
	admin, reader := testStateClients(t)
	ctx := context.Background()
	pass := aws.String(`{"Type":"Pass","End":true}`)
	for _, c := range []struct {
		name      string
		client    *sfn.Client
		in        *sfn.TestStateInput
		code, msg string // msg: the message's start
		has       string // also in the message
	}{
		{"reader", reader, &sfn.TestStateInput{Definition: pass}, "AccessDeniedException", "User is not authorized to perform: states:TestState", "the access key's role is reader"},
		{"empty definition", admin, &sfn.TestStateInput{Definition: aws.String("")}, "ValidationException", "1 validation error detected: Value at 'definition'", "greater than or equal to 1"},
		{"bad definition", admin, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Nxt":"B"}`)}, "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ", "did you mean \"Next\"? at /Nxt'"},
		{"bad input", admin, &sfn.TestStateInput{Definition: pass, Input: aws.String("{")}, "InvalidExecutionInput", "Invalid State Machine Execution Input: '", "not valid JSON"},
		{"unknown state", admin, &sfn.TestStateInput{Definition: aws.String(checkoutDef), StateName: aws.String("Nowhere")}, "ValidationException", "stateName", `no state named "Nowhere"`},
		{"bad role", admin, &sfn.TestStateInput{Definition: pass, RoleArn: aws.String("my-role")}, "InvalidArn", "Invalid Arn: 'my-role'", "not the ARN of an IAM role"},
		{"input over 256 KiB", admin, &sfn.TestStateInput{Definition: pass, Input: aws.String(`"` + strings.Repeat("x", 256*1024) + `"`)},
			"ValidationException", "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.client.TestState(ctx, c.in)
			wantRefused(t, err, c.code, c.msg)
			if !strings.Contains(err.Error(), c.has) {
				t.Errorf("message of %v lacks %q", err, c.has)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("HTTP status of %v, want 400", err)
			}
		})
	}
}
