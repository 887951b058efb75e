package teststate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJSONataAndVariables: JSONata states show their input, Arguments and
// result, and every state the variables after its Assign.
func TestJSONataAndVariables(t *testing.T) {
	t.Parallel()
	task := `{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Arguments":{"ApiEndpoint":"https://shop.example.com/stock","Method":"GET","QueryParameters":{"sku":"{% $states.input.sku %}","store":"{% $store %}"}},
		"Assign":{"lastStock":"{% $states.result.ResponseBody.count %}"},
		"Output":{"sku":"{% $states.input.sku %}","inStock":"{% $states.result.ResponseBody.count > 0 %}"},
		"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"failedSku":"{% $states.input.sku %}"},"Output":{"error":"{% $states.errorOutput.Error %}"},"Next":"OutOfStock"}],
		"Next":"Reserve"}`
	for _, tc := range []struct {
		name string
		req  Request
		want *Answer
	}{
		{
			name: "Task: Arguments, result, Assign and Output",
			req: Request{Definition: task, Input: `{"sku":"A-1"}`, Variables: `{"store":"berlin","lastStock":0}`,
				Mock: &Mock{Result: `{"StatusCode":200,"ResponseBody":{"count":4}}`}, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Reserve", Output: `{"sku":"A-1","inStock":true}`, InspectionData: &InspectionData{
				Input:          `{"sku":"A-1"}`,
				AfterArguments: `{"ApiEndpoint":"https://shop.example.com/stock","Method":"GET","QueryParameters":{"sku":"A-1","store":"berlin"}}`,
				Result:         `{"StatusCode":200,"ResponseBody":{"count":4}}`,
				Variables:      `{"store":"berlin","lastStock":4}`,
			}},
		},
		{
			name: "Task: a catcher's Assign and Output",
			req: Request{Definition: task, Input: `{"sku":"B-2"}`, Variables: `{"store":"berlin"}`,
				Mock: &Mock{ErrorOutput: &MockErrorOutput{Error: "States.Http.StatusCode.404", Cause: "Not Found"}}, InspectionLevel: Debug},
			want: &Answer{Status: CaughtError, Error: "States.Http.StatusCode.404", Cause: "Not Found", NextState: "OutOfStock",
				Output: `{"error":"States.Http.StatusCode.404"}`, InspectionData: &InspectionData{
					Input:          `{"sku":"B-2"}`,
					AfterArguments: `{"ApiEndpoint":"https://shop.example.com/stock","Method":"GET","QueryParameters":{"sku":"B-2","store":"berlin"}}`,
					ErrorDetails:   &InspectionErrorDetails{CatchIndex: ip(0)},
					Variables:      `{"store":"berlin","failedSku":"B-2"}`,
				}},
		},
		{
			name: "Task: an undefined variable",
			req: Request{Definition: `{"QueryLanguage":"JSONata","Type":"Task","Resource":"handler:x","Arguments":{"s":"{% $store %}"},"End":true}`,
				Mock: &Mock{Result: `{}`}},
			want: &Answer{Status: Failed, Error: "States.QueryEvaluationError",
				Cause: "An error occurred while executing the state 'StateName'. The JSONata expression '$store' specified for the field 'Arguments/s' returned nothing (undefined)."},
		},
		{
			name: "Pass: Output and Assign at TRACE",
			req: Request{Definition: `{"QueryLanguage":"JSONata","Type":"Pass","Assign":{"total":"{% $total + $states.input.price %}"},"Output":{"count":"{% $count(($states.input.items)) %}"},"End":true}`,
				Input: `{"price":5,"items":[1,2,3]}`, Variables: `{"total":10}`, InspectionLevel: Trace},
			want: &Answer{Status: Succeeded, Output: `{"count":3}`, InspectionData: &InspectionData{
				Input: `{"price":5,"items":[1,2,3]}`, Variables: `{"total":15}`,
			}},
		},
		{
			name: "Pass: variables given and not assigned are shown",
			req:  Request{Definition: `{"QueryLanguage":"JSONata","Type":"Pass","Output":"{% $greeting %}","End":true}`, Variables: `{"greeting":"hi"}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `"hi"`, InspectionData: &InspectionData{Input: `{}`, Variables: `{"greeting":"hi"}`}},
		},
		{
			name: "JSONPath Pass: Assign reads the result and the variables from before",
			req: Request{Definition: `{"Type":"Pass","Parameters":{"n.$":"$.n"},"Assign":{"seen.$":"$.n","before.$":"$seen"},"ResultPath":null,"End":true}`,
				Input: `{"n":2}`, Variables: `{"seen":1}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `{"n":2}`, InspectionData: &InspectionData{
				Input: `{"n":2}`, AfterInputPath: `{"n":2}`, AfterParameters: `{"n":2}`, AfterResultSelector: `{"n":2}`, AfterResultPath: `{"n":2}`,
				Variables: `{"seen":2,"before":1}`,
			}},
		},
		{
			name: "Choice: the matching rule's Assign and Output",
			req: Request{Definition: `{"QueryLanguage":"JSONata","Type":"Choice","Choices":[{"Condition":"{% $states.input.cost < 10 %}","Assign":{"route":"auto"},"Output":{"c":"{% $states.input.cost %}"},"Next":"Approved"}],"Default":"Ask"}`,
				Input: `{"cost":9}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Approved", Output: `{"c":9}`,
				InspectionData: &InspectionData{Input: `{"cost":9}`, Variables: `{"route":"auto"}`}},
		},
		{
			name: "Wait: Seconds from an expression, Assign",
			req: Request{Definition: `{"QueryLanguage":"JSONata","Type":"Wait","Seconds":"{% $states.input.delay %}","Assign":{"waited":"{% $states.input.delay %}"},"Next":"Go"}`,
				Input: `{"delay":3600}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, NextState: "Go", Output: `{"delay":3600}`,
				InspectionData: &InspectionData{Input: `{"delay":3600}`, Variables: `{"waited":3600}`}},
		},
		{
			name: "Fail: Error and Cause from expressions",
			req: Request{Definition: `{"QueryLanguage":"JSONata","Type":"Fail","Error":"{% $states.input.code %}","Cause":"{% 'order ' & $states.input.id %}"}`,
				Input: `{"code":"E1","id":"7"}`},
			want: &Answer{Status: Failed, Error: "E1", Cause: "order 7"},
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
