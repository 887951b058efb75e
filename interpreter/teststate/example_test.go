package teststate_test

import (
	"context"
	"fmt"

	"github.com/sfn-project/sfn/interpreter/teststate"
)

// A Task state with a mocked error, its Retrier at its fourth retry.
func ExampleRun() {
	ans, err := teststate.Run(context.Background(), teststate.Request{
		Definition: `{"Type": "Task", "Resource": "handler:charge", "Next": "Ship",
			"Retry": [{"ErrorEquals": ["Payment.Unavailable"], "IntervalSeconds": 2, "MaxAttempts": 5}],
			"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}]}`,
		Input:              `{"order": 7}`,
		Mock:               &teststate.Mock{ErrorOutput: &teststate.MockErrorOutput{Error: "Payment.Unavailable", Cause: "try later"}},
		StateConfiguration: &teststate.StateConfiguration{RetrierRetryCount: 3},
		InspectionLevel:    teststate.Debug,
	}, teststate.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ans.Status, ans.Error, *ans.InspectionData.ErrorDetails.RetryBackoffIntervalSeconds)

	// One retry later the Retrier is exhausted and the Catcher takes over.
	ans, _ = teststate.Run(context.Background(), teststate.Request{
		Definition: `{"Type": "Task", "Resource": "handler:charge", "Next": "Ship",
			"Retry": [{"ErrorEquals": ["Payment.Unavailable"], "IntervalSeconds": 2, "MaxAttempts": 5}],
			"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}]}`,
		Input:              `{"order": 7}`,
		Mock:               &teststate.Mock{ErrorOutput: &teststate.MockErrorOutput{Error: "Payment.Unavailable", Cause: "try later"}},
		StateConfiguration: &teststate.StateConfiguration{RetrierRetryCount: 5},
	}, teststate.Options{})
	fmt.Println(ans.Status, ans.NextState, ans.Output)
	// Output:
	// RETRIABLE Payment.Unavailable 16
	// CAUGHT_ERROR Refund {"order":7,"error":{"Error":"Payment.Unavailable","Cause":"try later"}}
}
