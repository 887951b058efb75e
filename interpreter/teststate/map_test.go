package teststate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fp(f float64) *float64 { return &f }

// TestMapAndParallel: a Map or Parallel runs around its mocked outcome;
// the inspection shows its items, their selected inputs and batches, and
// the limits it evaluated. The JSONata Map cases follow AWS's recorded
// answers for its BASE_MAP_STATE (maxConcurrency 0 when not set, the
// tolerance when set, States.ExceedToleratedFailureThreshold caught or
// retried, a mapIterationFailureCount without a tolerance ignored).
func TestMapAndParallel(t *testing.T) {
	t.Parallel()
	inline := `{"Type":"Map","InputPath":"$.order","ItemsPath":"$.lines","MaxConcurrency":2,
		"ItemSelector":{"sku.$":"$$.Map.Item.Value.sku","index.$":"$$.Map.Item.Index","customer.$":"$.customer"},
		"ItemProcessor":{"StartAt":"Pick","States":{"Pick":{"Type":"Pass","End":true}}},
		"ToleratedFailureCount":1,"ResultPath":"$.picked","Next":"Pack"}`
	inlineIn := `{"order":{"customer":"ada","lines":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]}}`
	jsonataMap := func(extra string) string {
		return `{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.Values %}",
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"TestState",
				"States":{"TestState":{"Type":"Task","Resource":"handler:work","End":true}}},
			"Output":{"result":"{% $states.result %}"}` + extra + `,"End":true}`
	}
	threshold := `,"ToleratedFailureCount":1,"Retry":[{"ErrorEquals":["MockException"],"MaxAttempts":3},{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"MaxAttempts":2}]`
	catchThreshold := `,"ToleratedFailurePercentage":50,"Catch":[{"ErrorEquals":["MockException"],"Next":"A"},{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"HandleThreshold"}]`
	values := `{"Values":["first","second","third"]}`
	parallel := `{"Type":"Parallel","Parameters":{"id.$":"$.id"},"ResultSelector":{"both.$":"$"},"Next":"Done","Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"handler:b","End":true}}}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Compensate"}]}`
	for _, tc := range []struct {
		name string
		req  Request
		want *Answer
	}{
		{
			name: "inline Map: items, ItemSelector, limits, output",
			req:  Request{Definition: inline, Input: inlineIn, Mock: &Mock{Result: `[1,2,3]`}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Pack",
				Output: `{"order":{"customer":"ada","lines":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]},"picked":[1,2,3]}`,
				InspectionData: &InspectionData{
					Input:                 inlineIn,
					AfterInputPath:        `{"customer":"ada","lines":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]}`,
					AfterItemsPath:        `[{"sku":"A"},{"sku":"B"},{"sku":"C"}]`,
					AfterItemSelector:     `[{"sku":"A","index":0,"customer":"ada"},{"sku":"B","index":1,"customer":"ada"},{"sku":"C","index":2,"customer":"ada"}]`,
					Result:                `[1,2,3]`,
					AfterResultSelector:   `[1,2,3]`,
					AfterResultPath:       `{"order":{"customer":"ada","lines":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]},"picked":[1,2,3]}`,
					MaxConcurrency:        ip(2),
					ToleratedFailureCount: ip(1),
				}},
		},
		{
			name: "inline Map: failures within the tolerance",
			req: Request{Definition: inline, Input: inlineIn, Mock: &Mock{Result: `[1,null,3]`},
				StateConfiguration: &StateConfiguration{MapIterationFailureCount: 1}},
			want: &Answer{Status: Succeeded, NextState: "Pack",
				Output: `{"order":{"customer":"ada","lines":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]},"picked":[1,null,3]}`},
		},
		{
			name: "inline Map: failures above the tolerance, no Retry or Catch",
			req: Request{Definition: inline, Input: inlineIn, Mock: &Mock{Result: `[1,null,null]`},
				StateConfiguration: &StateConfiguration{MapIterationFailureCount: 2}},
			want: &Answer{Status: Failed, Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded"},
		},
		{
			name: "inline Map: a mocked error fails it",
			req:  Request{Definition: inline, Input: inlineIn, Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "Pick.Failed"}}},
			want: &Answer{Status: Failed, Error: "Pick.Failed"},
		},
		{
			name: "JSONata Map: the mocked result, maxConcurrency 0",
			req:  Request{Definition: jsonataMap(""), Input: values, Mock: &Mock{Result: `[1,1,1]`}, StateConfiguration: &StateConfiguration{MapIterationFailureCount: 2}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `{"result":[1,1,1]}`,
				InspectionData: &InspectionData{Input: values, MaxConcurrency: ip(0)}},
		},
		{
			name: "JSONata Map: threshold exceeded, retried by the second retrier",
			req: Request{Definition: jsonataMap(threshold), Input: values, Mock: &Mock{Result: `[0,0,1]`},
				StateConfiguration: &StateConfiguration{MapIterationFailureCount: 2}, InspectionLevel: Debug},
			want: &Answer{Status: Retriable, Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded",
				InspectionData: &InspectionData{Input: values, MaxConcurrency: ip(0), ToleratedFailureCount: ip(1),
					ErrorDetails: &InspectionErrorDetails{RetryIndex: ip(1), RetryBackoffIntervalSeconds: ip(1)}}},
		},
		{
			name: "JSONata Map: threshold (percentage) exceeded, caught",
			req: Request{Definition: jsonataMap(catchThreshold), Input: values, Mock: &Mock{Result: `[0,0,1]`},
				StateConfiguration: &StateConfiguration{MapIterationFailureCount: 2}, InspectionLevel: Debug},
			want: &Answer{Status: CaughtError, Error: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded",
				NextState: "HandleThreshold", Output: `{"Error":"States.ExceedToleratedFailureThreshold","Cause":"The specified tolerated failure threshold was exceeded"}`,
				InspectionData: &InspectionData{Input: values, MaxConcurrency: ip(0), ToleratedFailurePercentage: fp(50),
					ErrorDetails: &InspectionErrorDetails{CatchIndex: ip(1)}}},
		},
		{
			name: "JSONata Map: a mocked error from a state of its processor",
			req: Request{Definition: jsonataMap(""), Input: values, InspectionLevel: Debug,
				Mock:               &Mock{ErrorOutput: &MockErrorOutput{Error: "MockException", Cause: "Mock the cause of the error."}},
				StateConfiguration: &StateConfiguration{ErrorCausedByState: "TestState"}},
			want: &Answer{Status: Failed, Error: "MockException", Cause: "Mock the cause of the error.",
				InspectionData: &InspectionData{Input: values, MaxConcurrency: ip(0)}},
		},
		{
			name: "distributed Map: items from mapItemReaderData, batches",
			req: Request{Definition: `{"Type":"Map","MaxConcurrency":1,
				"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":3},"Parameters":{"Bucket.$":"$.Bucket","Key.$":"$.Key"}},
				"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"bucket.$":"$.Bucket"}},
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"HandleItem","States":{"HandleItem":{"Type":"Pass","End":true}}},
				"End":true}`,
				Input: `{"Bucket":"test-bucket","Key":"test-key"}`, Mock: &Mock{Result: `[1,4,9]`},
				StateConfiguration: &StateConfiguration{MapItemReaderData: `[1,2,3,4]`}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `[1,4,9]`, InspectionData: &InspectionData{
				Input:               `{"Bucket":"test-bucket","Key":"test-key"}`,
				AfterInputPath:      `{"Bucket":"test-bucket","Key":"test-key"}`,
				AfterItemsPath:      `[1,2,3]`,
				AfterItemBatcher:    `[{"BatchInput":{"bucket":"test-bucket"},"Items":[1,2]},{"BatchInput":{"bucket":"test-bucket"},"Items":[3]}]`,
				Result:              `[1,4,9]`,
				AfterResultSelector: `[1,4,9]`,
				AfterResultPath:     `[1,4,9]`,
				MaxConcurrency:      ip(1),
			}},
		},
		{
			name: "distributed Map with a ResultWriter: an object result",
			req: Request{Definition: `{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
				"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"}},"End":true}`,
				Input: `[1,2]`, Mock: &Mock{Result: `{"MapRunArn":"arn:run","ResultWriterDetails":{"Bucket":"out","Key":"runs/manifest.json"}}`}},
			want: &Answer{Status: Succeeded, Output: `{"MapRunArn":"arn:run","ResultWriterDetails":{"Bucket":"out","Key":"runs/manifest.json"}}`},
		},
		{
			name: "Parallel: branch input and the mocked branch outputs",
			req:  Request{Definition: parallel, Input: `{"id":7,"x":1}`, Mock: &Mock{Result: `[{"a":1},{"b":2}]`}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Done", Output: `{"both":[{"a":1},{"b":2}]}`, InspectionData: &InspectionData{
				Input: `{"id":7,"x":1}`, AfterInputPath: `{"id":7,"x":1}`, AfterParameters: `{"id":7}`,
				Result: `[{"a":1},{"b":2}]`, AfterResultSelector: `{"both":[{"a":1},{"b":2}]}`, AfterResultPath: `{"both":[{"a":1},{"b":2}]}`,
			}},
		},
		{
			name: "Parallel: a branch's error, caught",
			req: Request{Definition: parallel, Input: `{"id":7}`, Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "B.Failed", Cause: "no"}},
				StateConfiguration: &StateConfiguration{ErrorCausedByState: "B"}},
			want: &Answer{Status: CaughtError, Error: "B.Failed", Cause: "no", NextState: "Compensate",
				Output: `{"id":7,"err":{"Error":"B.Failed","Cause":"no"}}`},
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
