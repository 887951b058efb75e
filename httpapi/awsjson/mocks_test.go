package awsjson_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store/memory"
)

// TestStartExecutionTestCase: Step Functions Local's form, the state
// machine's ARN with "#TestCase", starts a mocked execution through the
// real AWS SDK; an unknown test case is a ValidationException.
func TestStartExecutionTestCase(t *testing.T) {
	mocks, err := mockconfig.Parse([]byte(`{
		"StateMachines": {"order": {"TestCases": {"HappyPath": {"Charge": "Approved"}}}},
		"MockedResponses": {"Approved": {"0": {"Return": {"status": "APPROVED"}}}}}`), "mocks.json")
	if err != nil {
		t.Fatal(err)
	}
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), Space: arn.DefaultSpace, Mocks: mocks})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	const operatorKey, operatorSecret = "AKIASFNTESTOPERATOR1", "operator-secret"
	creds := map[string]awsjson.Credential{adminKey: {Secret: adminSecret, Role: awsjson.RoleAdmin},
		operatorKey: {Secret: operatorSecret, Role: awsjson.RoleOperator}}
	ts := httptest.NewServer(awsjson.New(awsjson.Config{Engine: eng, Credentials: creds, Space: arn.DefaultSpace}))
	t.Cleanup(func() {
		ts.Close()
		eng.Stop()
	})
	e := &sdkEnv{eng: eng, url: ts.URL, client: client(ts.URL, adminKey, adminSecret, nil)}
	machine := e.createMachine(t, "order", `{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"handler:charge","End":true}}}`)

	execArn := e.start(t, machine+"#HappyPath", "o1", `{}`)
	if want := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":o1"; execArn != want {
		t.Errorf("execution ARN %s, want %s", execArn, want)
	}
	d := e.finish(t, execArn)
	if d.Status != "SUCCEEDED" || aws.ToString(d.Output) != `{"status":"APPROVED"}` {
		t.Fatalf("ended %s with %s", d.Status, aws.ToString(d.Output))
	}
	h, err := e.client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execArn)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Events); n == 0 || h.Events[n-1].Type != "ExecutionSucceeded" {
		t.Errorf("history of %d events", n)
	}

	_, err = e.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#SadPath"), Name: aws.String("o2")})
	wantCode(t, err, "ValidationException")
	if !strings.Contains(err.Error(), `state machine "order" has no test case "SadPath" (it has "HappyPath")`) {
		t.Errorf("the refusal says %v", err)
	}
	_, err = e.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#"), Name: aws.String("o3")})
	wantCode(t, err, "InvalidArn")

	// An operator starts executions, but not mocked ones: a test case
	// skips the calls it mocks while the others run for real.
	operator := client(ts.URL, operatorKey, operatorSecret, nil)
	_, err = operator.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#HappyPath"), Name: aws.String("o4")})
	wantCode(t, err, "AccessDeniedException")
	if _, err := operator.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("o5")}); err != nil {
		t.Errorf("an operator's plain start: %v", err)
	}
}
