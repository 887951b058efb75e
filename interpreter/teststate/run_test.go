package teststate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixed is the clock, randomness and ids of every test.
var fixed = Options{
	Now:    func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) },
	Random: func() float64 { return 0.5 },
	UUID:   func() string { return "00000000-0000-4000-8000-000000000001" },
}

func ip(i int) *int { return &i }

// run runs req and fails the test on an error.
func run(t *testing.T, req Request, opts Options) *Answer {
	t.Helper()
	a, err := Run(context.Background(), req, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return a
}

const nestedInput = `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234}}`

// TestStates checks answers field by field, for each state kind and
// inspection level. The JSONPath Pass, Fail, Succeed and Choice cases
// and the retry counts are those of AWS's own answers (recorded against
// AWS by LocalStack's TestState suite).
func TestStates(t *testing.T) {
	t.Parallel()
	ioPass := `{"Type":"Pass","InputPath":"$.initialData","Parameters":{"staticValue":"some value","inputValue.$":"$.fieldFromInput"},"ResultPath":"$.modifiedData","End":true}`
	ioPassOut := `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234},"modifiedData":{"staticValue":"some value","inputValue":"value from input"}}`
	choice := `{"Type":"Choice","Choices":[
		{"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],
		"Default":"DefaultState"}`
	retry := `{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Arguments":{"ApiEndpoint":"https://example.com","Method":"GET"},
		"Retry":[{"ErrorEquals":["MockException"],"IntervalSeconds":1,"MaxAttempts":5,"BackoffRate":2.0}],"End":true}`
	mockErr := &Mock{ErrorOutput: &MockErrorOutput{Error: "MockException", Cause: "Mock the cause of the error."}}
	for _, tc := range []struct {
		name string
		req  Request
		want *Answer
	}{
		{
			name: "Pass INFO",
			req:  Request{Definition: ioPass, Input: nestedInput},
			want: &Answer{Status: Succeeded, Output: ioPassOut},
		},
		{
			name: "Pass DEBUG",
			req:  Request{Definition: ioPass, Input: nestedInput, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: ioPassOut, InspectionData: &InspectionData{
				Input:               nestedInput,
				AfterInputPath:      `{"fieldFromInput":"value from input","otherField":"other"}`,
				AfterParameters:     `{"staticValue":"some value","inputValue":"value from input"}`,
				AfterResultSelector: `{"staticValue":"some value","inputValue":"value from input"}`,
				AfterResultPath:     ioPassOut,
			}},
		},
		{
			name: "Pass with a Result, TRACE",
			req: Request{Definition: `{"Type":"Pass","Result":{"resultKey":"result value"},"Next":"After"}`,
				Input: `{"Value":"HelloWorld"}`, InspectionLevel: Trace},
			want: &Answer{Status: Succeeded, Output: `{"resultKey":"result value"}`, NextState: "After", InspectionData: &InspectionData{
				Input:               `{"Value":"HelloWorld"}`,
				Result:              `{"resultKey":"result value"}`,
				AfterResultSelector: `{"resultKey":"result value"}`,
				AfterResultPath:     `{"resultKey":"result value"}`,
			}},
		},
		{
			name: "Pass without input",
			req:  Request{Definition: `{"Type":"Pass","End":true}`},
			want: &Answer{Status: Succeeded, Output: `{}`},
		},
		{
			name: "Fail DEBUG",
			req: Request{Definition: `{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}`,
				Input: `{"Value":"HelloWorld"}`, InspectionLevel: Debug},
			want: &Answer{Status: Failed, Error: "SomeFailure", Cause: "This state machines raises a 'SomeFailure' failure.",
				InspectionData: &InspectionData{Input: `{"Value":"HelloWorld"}`, AfterInputPath: `{"Value":"HelloWorld"}`}},
		},
		{
			name: "Fail with ErrorPath",
			req:  Request{Definition: `{"Type":"Fail","ErrorPath":"$.code","CausePath":"States.Format('order {} failed', $.id)"}`, Input: `{"code":"E42","id":7}`},
			want: &Answer{Status: Failed, Error: "E42", Cause: "order 7 failed"},
		},
		{
			name: "Succeed DEBUG",
			req:  Request{Definition: `{"Type":"Succeed","OutputPath":"$.Value"}`, Input: `{"Value":"HelloWorld"}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `"HelloWorld"`,
				InspectionData: &InspectionData{Input: `{"Value":"HelloWorld"}`, AfterInputPath: `{"Value":"HelloWorld"}`}},
		},
		{
			name: "Choice DEBUG",
			req:  Request{Definition: choice, Input: `{"type":"Private","value":22}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "ValueInTwenties", Output: `{"type":"Private","value":22}`,
				InspectionData: &InspectionData{Input: `{"type":"Private","value":22}`, AfterInputPath: `{"type":"Private","value":22}`}},
		},
		{
			name: "Choice takes its Default",
			req:  Request{Definition: choice, Input: `{"value":31}`},
			want: &Answer{Status: Succeeded, NextState: "DefaultState", Output: `{"value":31}`},
		},
		{
			name: "Choice without a match",
			req:  Request{Definition: `{"Type":"Choice","Choices":[{"Variable":"$.v","IsPresent":true,"Next":"A"}]}`},
			want: &Answer{Status: Failed, Error: "States.NoChoiceMatched", Cause: "No Matches!"},
		},
		{
			name: "Wait ends at once",
			req:  Request{Definition: `{"Type":"Wait","Seconds":86400,"OutputPath":"$.keep","Next":"Later"}`, Input: `{"keep":{"a":1},"drop":2}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Later", Output: `{"a":1}`,
				InspectionData: &InspectionData{Input: `{"keep":{"a":1},"drop":2}`, AfterInputPath: `{"keep":{"a":1},"drop":2}`}},
		},
		{
			name: "Wait with a bad SecondsPath",
			req:  Request{Definition: `{"Type":"Wait","SecondsPath":"$.s","End":true}`, Input: `{"s":"soon"}`},
			want: &Answer{Status: Failed, Error: "States.Runtime",
				Cause: `An error occurred while executing the state 'StateName'. The SecondsPath parameter cannot be parsed as a long value: $.s == "soon"`},
		},
		{
			name: "a path that selects nothing",
			req:  Request{Definition: `{"Type":"Pass","InputPath":"$.missing","End":true}`, Input: `{"a":1}`},
			want: &Answer{Status: Failed, Error: "States.Runtime",
				Cause: `An error occurred while executing the state 'StateName'. Invalid path '$.missing' : No results for path: $['missing']`},
		},
		{
			name: "Task, mocked result, every JSONPath stage",
			req: Request{
				Definition: `{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
					"InputPath":"$.order","Parameters":{"ApiEndpoint":"https://pay.example.com/charge","Method":"POST","RequestBody":{"amount.$":"$.total"}},
					"ResultSelector":{"charge.$":"$.ResponseBody.id"},"ResultPath":"$.payment","OutputPath":"$.payment","Next":"Ship"}`,
				Input:           `{"order":{"total":12.5},"user":"ada"}`,
				Mock:            &Mock{Result: `{"StatusCode":200,"StatusText":"OK","ResponseBody":{"id":"ch_1"}}`},
				InspectionLevel: Debug,
			},
			want: &Answer{Status: Succeeded, NextState: "Ship", Output: `{"charge":"ch_1"}`, InspectionData: &InspectionData{
				Input:               `{"order":{"total":12.5},"user":"ada"}`,
				AfterInputPath:      `{"total":12.5}`,
				AfterParameters:     `{"ApiEndpoint":"https://pay.example.com/charge","Method":"POST","RequestBody":{"amount":12.5}}`,
				Result:              `{"StatusCode":200,"StatusText":"OK","ResponseBody":{"id":"ch_1"}}`,
				AfterResultSelector: `{"charge":"ch_1"}`,
				AfterResultPath:     `{"order":{"total":12.5},"user":"ada","payment":{"charge":"ch_1"}}`,
			}},
		},
		{
			name: "Task, mocked error, no handler: FAILED",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:charge","End":true}`,
				Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "Payment.Declined", Cause: "card declined"}}, InspectionLevel: Debug},
			want: &Answer{Status: Failed, Error: "Payment.Declined", Cause: "card declined",
				InspectionData: &InspectionData{Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{}`}},
		},
		{
			name: "retrier below its MaxAttempts: RETRIABLE with the back-off",
			req: Request{Definition: retry, Input: `{"Values":["first"]}`, Mock: mockErr,
				StateConfiguration: &StateConfiguration{RetrierRetryCount: 4}, InspectionLevel: Debug},
			want: &Answer{Status: Retriable, Error: "MockException", Cause: "Mock the cause of the error.", InspectionData: &InspectionData{
				Input:          `{"Values":["first"]}`,
				AfterArguments: `{"ApiEndpoint":"https://example.com","Method":"GET"}`,
				ErrorDetails:   &InspectionErrorDetails{RetryIndex: ip(0), RetryBackoffIntervalSeconds: ip(16)},
			}},
		},
		{
			name: "retrier exhausted: FAILED, with its index",
			req: Request{Definition: retry, Input: `{"Values":["first"]}`, Mock: mockErr,
				StateConfiguration: &StateConfiguration{RetrierRetryCount: 5}, InspectionLevel: Debug},
			want: &Answer{Status: Failed, Error: "MockException", Cause: "Mock the cause of the error.", InspectionData: &InspectionData{
				Input:          `{"Values":["first"]}`,
				AfterArguments: `{"ApiEndpoint":"https://example.com","Method":"GET"}`,
				ErrorDetails:   &InspectionErrorDetails{RetryIndex: ip(0)},
			}},
		},
		{
			name: "RETRIABLE at INFO has no inspection data",
			req:  Request{Definition: retry, Mock: mockErr},
			want: &Answer{Status: Retriable, Error: "MockException", Cause: "Mock the cause of the error."},
		},
		{
			name: "retry back-off capped by MaxDelaySeconds, then FULL jitter",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:x","End":true,
				"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":3,"BackoffRate":3,"MaxAttempts":10,"MaxDelaySeconds":60,"JitterStrategy":"FULL"}]}`,
				Mock: mockErr, StateConfiguration: &StateConfiguration{RetrierRetryCount: 6}, InspectionLevel: Debug},
			want: &Answer{Status: Retriable, Error: "MockException", Cause: "Mock the cause of the error.", InspectionData: &InspectionData{
				Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{}`,
				ErrorDetails: &InspectionErrorDetails{RetryIndex: ip(0), RetryBackoffIntervalSeconds: ip(30)}, // 60 × 0.5
			}},
		},
		{
			name: "second catcher matches: CAUGHT_ERROR",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:charge","End":true,
				"Retry":[{"ErrorEquals":["Other"]}],
				"Catch":[{"ErrorEquals":["Other"],"Next":"A"},{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.error","Next":"HandleFailure"}]}`,
				Input: `{"order":1}`, Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "States.TaskFailed", Cause: "The task failed."}}, InspectionLevel: Trace},
			want: &Answer{Status: CaughtError, Error: "States.TaskFailed", Cause: "The task failed.", NextState: "HandleFailure",
				Output: `{"order":1,"error":{"Error":"States.TaskFailed","Cause":"The task failed."}}`,
				InspectionData: &InspectionData{
					Input: `{"order":1}`, AfterInputPath: `{"order":1}`, AfterParameters: `{"order":1}`,
					ErrorDetails: &InspectionErrorDetails{CatchIndex: ip(1)},
				}},
		},
		{
			name: "retrier exhausted, then caught",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:charge","End":true,
				"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":2}],
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}]}`,
				Mock: mockErr, StateConfiguration: &StateConfiguration{RetrierRetryCount: 2}, InspectionLevel: Debug},
			want: &Answer{Status: CaughtError, Error: "MockException", Cause: "Mock the cause of the error.", NextState: "Recover",
				Output: `{"Error":"MockException","Cause":"Mock the cause of the error."}`,
				InspectionData: &InspectionData{
					Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{}`,
					ErrorDetails: &InspectionErrorDetails{RetryIndex: ip(0), CatchIndex: ip(0)},
				}},
		},
		{
			name: "States.Runtime is neither retried nor caught",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:x","Parameters":{"a.$":"$.missing"},"End":true,
				"Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]}`,
				Mock: &Mock{Result: `{}`}},
			want: &Answer{Status: Failed, Error: "States.Runtime",
				Cause: `An error occurred while executing the state 'StateName'. The JSONPath '$.missing' specified for the field 'a.$' could not be found in the input '{}'`},
		},
		{
			name: "a mocked callback task",
			req: Request{Definition: `{"Type":"Task","Resource":"arn:aws:states:::http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"https://approvals.example.com","Method":"POST","RequestBody":{"token.$":"$$.Task.Token"}},"End":true}`,
				Mock: &Mock{Result: `{"approved":true}`}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `{"approved":true}`, InspectionData: &InspectionData{
				Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{"ApiEndpoint":"https://approvals.example.com","Method":"POST","RequestBody":{"token":"00000000-0000-4000-8000-000000000001"}}`,
				Result: `{"approved":true}`, AfterResultSelector: `{"approved":true}`, AfterResultPath: `{"approved":true}`,
			}},
		},
		{
			name: "the context object, by default and its retry count",
			req: Request{Definition: `{"Type":"Pass","Parameters":{"ctx.$":"$$"},"End":true}`, Input: `{"a":1}`,
				StateConfiguration: &StateConfiguration{RetrierRetryCount: 2}},
			want: &Answer{Status: Succeeded, Output: `{"ctx":{"Execution":{"Id":"test-state","Input":{"a":1},"Name":"test-state","StartTime":"2025-03-01T12:00:00.000Z"},` +
				`"State":{"EnteredTime":"2025-03-01T12:00:00.000Z","Name":"StateName","RetryCount":2},"StateMachine":{"Id":"test-state","Name":"test-state"}}}`},
		},
		{
			// AWS takes a context only with a mock.
			name: "a given context object",
			req: Request{Definition: `{"Type":"Task","Resource":"handler:h","ResultSelector":{"who.$":"$$.Execution.Name","item.$":"$$.Map.Item.Index","ok.$":"$.ok"},"End":true}`,
				Context: `{"Execution":{"Name":"order-7"},"Map":{"Item":{"Index":3}}}`, Mock: &Mock{Result: `{"ok":true}`}},
			want: &Answer{Status: Succeeded, Output: `{"who":"order-7","item":3,"ok":true}`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, tc.req, fixed)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Nothing waits on ctx but an HTTP call: a state without one answers.
	if _, err := Run(ctx, Request{Definition: `{"Type":"Pass","End":true}`}, fixed); err != nil {
		t.Fatalf("Pass with a cancelled context: %v", err)
	}
	var ve *ValidationError
	if _, err := Run(ctx, Request{Definition: `{}`}, fixed); !errors.As(err, &ve) {
		t.Fatalf("error %v, want a *ValidationError", err)
	}
}
