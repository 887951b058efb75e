package teststate_test

import (
	"context"
	"os"
	"testing"

	"github.com/sfn-project/sfn/interpreter/teststate"
)

// BenchmarkTestState is one TestState call per op: the definition loaded
// and validated, the state run, the answer built — what POST
// /v1/test-state and sfn test-state cost besides the transport.
// "whole-machine" tests a state of the food-delivery workflow (18 states,
// loaded and validated whole on every call, as AWS takes it).
func BenchmarkTestState(b *testing.B) {
	foodDelivery, err := os.ReadFile("../../definitions/food-delivery.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		req  teststate.Request
	}{
		{"pass-info", teststate.Request{Definition: `{"Type":"Pass","Parameters":{"total.$":"States.MathAdd($.a, $.b)"},"End":true}`,
			Input: `{"a":2,"b":3}`}},
		{"task-mocked-debug", teststate.Request{Definition: `{"Type":"Task","Resource":"handler:charge","ResultSelector":{"id.$":"$.chargeId"},"ResultPath":"$.charge","End":true}`,
			Input: `{"order":7}`, Mock: &teststate.Mock{Result: `{"chargeId":"ch-1"}`}, InspectionLevel: teststate.Debug}},
		{"task-caught-debug", teststate.Request{Definition: `{"Type":"Task","Resource":"handler:charge","Next":"Ship",
			"Retry":[{"ErrorEquals":["Payment.Unavailable"],"MaxAttempts":2}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Refund"}]}`,
			Input: `{"order":7}`, Mock: &teststate.Mock{ErrorOutput: &teststate.MockErrorOutput{Error: "Payment.Unavailable"}},
			StateConfiguration: &teststate.StateConfiguration{RetrierRetryCount: 2}, InspectionLevel: teststate.Debug}},
		{"whole-machine", teststate.Request{Definition: string(foodDelivery), StateName: "PaymentOutcome",
			Input: `{"charge":{"status":"PENDING_REVIEW"}}`}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ans, err := teststate.Run(context.Background(), c.req, teststate.Options{})
				if err != nil || ans.Status == "" {
					b.Fatalf("%v %+v", err, ans)
				}
			}
		})
	}
}
