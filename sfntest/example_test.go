package sfntest_test

import (
	"fmt"
	"testing"

	"github.com/sfn-project/sfn/sfntest"
)

// testOrderRetriesTheCharge is a complete test of the workflow in
// testdata/order.yaml. In a _test.go file of your own it is
// func TestOrderRetriesTheCharge(t *testing.T), and go test runs it.
func testOrderRetriesTheCharge(t testing.TB) {
	r := sfntest.Run(t, "testdata/order.yaml", `{"orderId": "o-1", "amount": 12.5}`,
		// The payment provider is down at the first attempt; the Retry
		// waits 600 s (no real time) and its attempt is the next call.
		sfntest.Sequence("Charge",
			sfntest.Fail("Payment.ProviderUnavailable", "the provider is down"),
			sfntest.Ok(`{"chargeId": "ch-1"}`)),
		sfntest.Return("Ship", map[string]any{"trackingId": "t-1"}))

	r.AssertSucceeded()
	r.AssertPath("Charge", "Ship", "Shipped")
	r.AssertCalls("Charge", 2)
	r.AssertCalls("Refund", 0)
	r.AssertOutput(`{"orderId": "o-1", "amount": 12.5,
		"charge": {"chargeId": "ch-1"}, "shipment": {"trackingId": "t-1"}}`)
	if in := string(r.Calls("Charge")[1].Input); in != `{"orderId":"o-1","amount":12.5}` {
		t.Errorf("the retry charged with %s", in)
	}
}

func Example() {
	t := &printT{} // go test passes its *testing.T; printT prints what the test reports
	testOrderRetriesTheCharge(t)
	fmt.Println("failed:", t.failed)
	// Output: failed: false
}
