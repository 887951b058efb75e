// The food-delivery workflow's test suite: every path through
// food-delivery.yaml and its JSONata twin, food-delivery-jsonata.yaml, run
// with package sfntest on the in-memory store and a fast clock.
//
// The task answers of each path are a test case of
// testdata/food-delivery.mocks.json, an AWS Step Functions Local mock
// configuration file, so that the same paths also run from the command
// line:
//
//	sfn run definitions/food-delivery.yaml --input @definitions/testdata/food-delivery.input.json \
//	  --mock-config definitions/testdata/food-delivery.mocks.json --test-case PaymentProviderDown --fast-time
//
// (cmd/sfn's TestFoodDeliveryMockConfigAgrees checks that sfn run and
// these tests see the same outcome for every test case).
package definitions_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/sfntest"
)

const (
	mocks = "testdata/food-delivery.mocks.json"
	input = "testdata/food-delivery.input.json"
	// orderID is the order's id: the first States.UUID() of a run.
	orderID = "00000000-0000-4000-8000-000000000001"
)

// foodDelivery is the workflow in both query languages: the same states,
// the same mocks, the same outcomes.
var foodDelivery = []string{"food-delivery.yaml", "food-delivery-jsonata.yaml"}

// The paths, as the states entered.
var (
	prepared = []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome",
		"PrepareAndNotify", "PrepareInKitchen", "NotifyPreparing"}
	delivered = append(slices.Clone(prepared), "PackItems", "LabelItem", "LabelItem", "WaitForCourier",
		"DeliverOrder", "NotifyDelivered", "OrderDelivered")
)

func TestFoodDelivery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		testCase string
		// wantError is the execution's error; "" when it succeeds.
		wantError string
		wantPath  []string
		// wantTaskErrors are the errors of the failed task and activity
		// attempts, in order: what set off the retries and compensation.
		wantTaskErrors []string
		wantCalls      map[string]int
		// wantOutput is the output without placedAt (a time), for the
		// paths that succeed.
		wantOutput string
	}{
		{
			testCase:   "HappyPath",
			wantPath:   delivered,
			wantCalls:  map[string]int{"ChargePayment": 1, "DeliverOrder": 1, "RefundPayment": 0, "CancelOrder": 0},
			wantOutput: deliveredOutput(`"charge": {"status": "APPROVED", "chargeId": "ch-1"}`),
		},
		{
			// The provider is down twice; the third attempt is call 2.
			testCase:       "PaymentRetried",
			wantPath:       delivered,
			wantTaskErrors: []string{"Payment.ProviderUnavailable", "Payment.ProviderUnavailable"},
			wantCalls:      map[string]int{"ChargePayment": 3, "RefundPayment": 0},
			wantOutput:     deliveredOutput(`"charge": {"status": "APPROVED", "chargeId": "ch-2"}`),
		},
		{
			// The food arrived: a lost text must not refund the order.
			testCase:       "DeliveryTextLost",
			wantPath:       delivered,
			wantTaskErrors: []string{"States.Http.StatusCode.503"},
			wantCalls:      map[string]int{"NotifyDelivered": 1, "RefundPayment": 0, "CancelOrder": 0},
			wantOutput: deliveredOutput(`"charge": {"status": "APPROVED", "chargeId": "ch-1"},
				"notificationError": {"Error": "States.Http.StatusCode.503", "Cause": "Service Unavailable"}`),
		},
		{
			// Nothing was charged: nothing to refund.
			testCase:       "RestaurantRejects",
			wantError:      "OrderFailed",
			wantPath:       []string{"PlaceOrder", "ConfirmWithRestaurant", "CancelOrder", "OrderFailed"},
			wantTaskErrors: []string{"Restaurant.Rejected"},
			wantCalls:      map[string]int{"ChargePayment": 0, "RefundPayment": 0, "CancelOrder": 1},
		},
		{
			testCase:       "RestaurantTimesOut",
			wantError:      "OrderFailed",
			wantPath:       []string{"PlaceOrder", "ConfirmWithRestaurant", "CancelOrder", "OrderFailed"},
			wantTaskErrors: []string{"States.Timeout"},
			wantCalls:      map[string]int{"ChargePayment": 0, "RefundPayment": 0, "CancelOrder": 1},
		},
		{
			// A declined charge took no money: cancel without a refund.
			testCase:  "PaymentDeclined",
			wantError: "OrderFailed",
			wantPath:  []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome", "CancelOrder", "OrderFailed"},
			wantCalls: map[string]int{"ChargePayment": 1, "RefundPayment": 0, "CancelOrder": 1},
		},
		{
			// The first attempt and its three retries: calls 0 to 3.
			testCase:       "PaymentProviderDown",
			wantError:      "OrderFailed",
			wantPath:       []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "CancelOrder", "OrderFailed"},
			wantTaskErrors: slices.Repeat([]string{"Payment.ProviderUnavailable"}, 4),
			wantCalls:      map[string]int{"ChargePayment": 4, "RefundPayment": 0, "CancelOrder": 1},
		},
		{
			// Neither approved nor declined: the money goes back.
			testCase:  "PaymentPendingReview",
			wantError: "OrderFailed",
			wantPath:  []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome", "RefundPayment", "CancelOrder", "OrderFailed"},
			wantCalls: map[string]int{"ChargePayment": 1, "RefundPayment": 1, "CancelOrder": 1},
		},
		{
			testCase:       "KitchenFails",
			wantError:      "OrderFailed",
			wantPath:       append(slices.Clone(prepared), "RefundPayment", "CancelOrder", "OrderFailed"),
			wantTaskErrors: []string{"Kitchen.OutOfIngredients"},
			wantCalls:      map[string]int{"PrepareInKitchen": 1, "RefundPayment": 1, "CancelOrder": 1},
		},
		{
			// The first attempt and its two retries, then compensation.
			testCase:  "DeliveryFails",
			wantError: "OrderFailed",
			wantPath: append(slices.Clone(delivered[:len(delivered)-2]),
				"RefundPayment", "CancelOrder", "OrderFailed"),
			wantTaskErrors: slices.Repeat([]string{"States.TaskFailed"}, 3),
			wantCalls:      map[string]int{"DeliverOrder": 3, "RefundPayment": 1, "CancelOrder": 1},
		},
	}
	for _, file := range foodDelivery {
		m := sfntest.Load(t, file)
		for _, tt := range tests {
			t.Run(m.Name()+"/"+tt.testCase, func(t *testing.T) {
				t.Parallel()
				r := m.Run(t, readInput(t), sfntest.MockConfig(mocks, tt.testCase))
				if tt.wantError == "" {
					r.AssertSucceeded()
					assertOutput(t, r, tt.wantOutput)
				} else {
					r.AssertFailed(tt.wantError)
				}
				r.AssertPath(tt.wantPath...)
				if diff := cmp.Diff(tt.wantTaskErrors, taskErrors(r)); diff != "" {
					t.Errorf("failed task attempts (-want +got):\n%s", diff)
				}
				for state, n := range tt.wantCalls {
					r.AssertCalls(state, n)
				}
				checkCompensation(t, r)
			})
		}
	}
}

// checkCompensation checks what every path must respect: a failed order
// is cancelled, last; a refund comes only after a charge that took money,
// and refunds that charge; retries number the calls on.
func checkCompensation(t *testing.T, r *sfntest.Result) {
	t.Helper()
	path := r.Path()
	cancelled := slices.Contains(path, "CancelOrder")
	if failed := r.Status() == "FAILED"; cancelled != failed {
		t.Errorf("ended %s, cancelled: %v", r.Status(), cancelled)
	}
	if cancelled && path[len(path)-2] != "CancelOrder" {
		t.Errorf("CancelOrder is not the last task: %v", path)
	}
	for _, state := range []string{"ChargePayment", "DeliverOrder", "RefundPayment", "CancelOrder"} {
		for i, c := range r.Calls(state) {
			if c.Number != i || c.Attempt != i {
				t.Errorf("%s: call %d is number %d, attempt %d; want both %d", state, i, c.Number, c.Attempt, i)
			}
		}
	}
	refunds := r.Calls("RefundPayment")
	if len(refunds) == 0 {
		return
	}
	// The refund's state is entered after a charge attempt succeeded
	// with money taken (a chargeId, not DECLINED).
	chargedAt, refundAt := int64(-1), int64(-1)
	var charge json.RawMessage
	byID := map[int64]sfntest.Event{}
	for _, e := range r.History() {
		byID[e.ID] = e
		switch {
		case e.Type == "TaskSucceeded" && chargedAt < 0 && scheduledBy(byID, e) == "handler:charge-payment":
			var ev struct {
				Output struct {
					Status   string
					ChargeID string
				}
			}
			if json.Unmarshal(e.Data, &ev) == nil && ev.Output.ChargeID != "" && ev.Output.Status != "DECLINED" {
				var raw struct{ Output json.RawMessage }
				_ = json.Unmarshal(e.Data, &raw)
				chargedAt, charge = e.ID, raw.Output
			}
		case e.Type == "TaskStateEntered" && e.Name == "RefundPayment" && refundAt < 0:
			refundAt = e.ID
		}
	}
	if chargedAt < 0 || refundAt < chargedAt {
		t.Errorf("the refund (event %d) does not follow a charge that took money (event %d)", refundAt, chargedAt)
	}
	var refund struct{ Charge json.RawMessage }
	if err := json.Unmarshal(refunds[0].Input, &refund); err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(refund.Charge, charge) {
		t.Errorf("refunded the charge %s, want the one taken: %s", refund.Charge, charge)
	}
}

// TestFoodDeliveryRestaurantNeverAnswers lets the restaurant's answer come
// an hour late: the callback's heartbeat (300 s) is missed first, which is
// a States.Timeout, and the order is cancelled. The hour passes on the
// fast clock.
func TestFoodDeliveryRestaurantNeverAnswers(t *testing.T) {
	t.Parallel()
	for _, file := range foodDelivery {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			r := sfntest.Run(t, file, readInput(t),
				sfntest.Sequence("ConfirmWithRestaurant", sfntest.Ok(`{"accepted": true}`).After(time.Hour)),
				sfntest.Return("CancelOrder", `{"cancelled": true}`))
			r.AssertFailed("OrderFailed")
			r.AssertPath("PlaceOrder", "ConfirmWithRestaurant", "CancelOrder", "OrderFailed")
			r.AssertCalls("ChargePayment", 0) // nothing charged, nothing to refund
			scheduled, timedOut := r.Events("TaskScheduled"), r.Events("TaskTimedOut")
			if len(scheduled) == 0 || len(timedOut) != 1 {
				t.Fatalf("%d TaskScheduled, %d TaskTimedOut events; want the callback's timeout", len(scheduled), len(timedOut))
			}
			if e := timedOut[0]; e.Error != "States.Timeout" || !strings.Contains(e.Cause, "heartbeat") {
				t.Errorf("timed out with %s %q, want States.Timeout for the missed heartbeat", e.Error, e.Cause)
			}
			if waited := timedOut[0].Timestamp.Sub(scheduled[0].Timestamp); waited < 300*time.Second || waited >= time.Hour {
				t.Errorf("timed out %s after the call, want the heartbeat's 300 s", waited)
			}
		})
	}
}

// TestFoodDeliveryChargeWithoutStatus answers the charge without a
// status: the workflow cannot tell whether money was taken, and refunds.
func TestFoodDeliveryChargeWithoutStatus(t *testing.T) {
	t.Parallel()
	for _, file := range foodDelivery {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			r := sfntest.Run(t, file, readInput(t),
				sfntest.MockConfig(mocks, "HappyPath"),
				sfntest.Return("ChargePayment", map[string]string{"chargeId": "ch-7"}),
				sfntest.Return("RefundPayment", `{"refundId": "rf-7"}`),
				sfntest.Return("CancelOrder", `{"cancelled": true}`))
			r.AssertFailed("OrderFailed")
			r.AssertPath("PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome", "RefundPayment", "CancelOrder", "OrderFailed")
			checkCompensation(t, r)
		})
	}
}

// TestFoodDeliveryHandlers runs the workflow's handlers in process, as the
// program that embeds sfn registers them; the restaurant, the kitchen and
// the texts are mocked. The payment provider is down at the first
// attempt: the retry charges with the same idempotency key.
func TestFoodDeliveryHandlers(t *testing.T) {
	t.Parallel()
	for _, file := range foodDelivery {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var keys []string // the charge attempts' idempotency keys
			charge := func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				var req struct {
					Amount         float64
					Currency       string
					IdempotencyKey string
				}
				if err := json.Unmarshal(in, &req); err != nil {
					return nil, err
				}
				mu.Lock()
				keys = append(keys, req.IdempotencyKey)
				first := len(keys) == 1
				mu.Unlock()
				if first {
					return nil, failure.New("Payment.ProviderUnavailable", "the provider is down")
				}
				if req.Amount != 31.5 || req.Currency != "EUR" {
					return nil, errors.New("charged the wrong amount")
				}
				return json.RawMessage(`{"status": "APPROVED", "chargeId": "ch-42"}`), nil
			}
			deliver := func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				var req struct{ Packages []struct{ Label string } }
				if err := json.Unmarshal(in, &req); err != nil {
					return nil, err
				}
				if len(req.Packages) != 2 {
					return nil, errors.New("not every item is packed")
				}
				return json.RawMessage(`{"courier": "Bo"}`), nil
			}
			r := sfntest.Run(t, file, readInput(t),
				sfntest.Handler("charge-payment", charge),
				sfntest.Handler("deliver-order", deliver),
				sfntest.Return("ConfirmWithRestaurant", `{"accepted": true}`),
				sfntest.Return("PrepareInKitchen", `{"ready": true}`),
				sfntest.Return("NotifyPreparing", `{}`),
				sfntest.Return("NotifyDelivered", `{}`))
			r.AssertSucceeded()
			r.AssertPath(delivered...)
			r.AssertCalls("ChargePayment", 2)
			want := []string{orderID + "-charge", orderID + "-charge"}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, keys); diff != "" {
				t.Errorf("idempotency keys (-want +got):\n%s", diff)
			}
			var out struct {
				Charge   struct{ ChargeID string }
				Delivery struct{ Courier string }
			}
			r.DecodeOutput(&out)
			if out.Charge.ChargeID != "ch-42" || out.Delivery.Courier != "Bo" {
				t.Errorf("output %s: want the handlers' charge and delivery", r.Output())
			}
		})
	}
}

// TestFoodDeliveryExecutionTimeout has the courier come later than the
// order's TimeoutSeconds (two hours) allow: the execution ends TIMED_OUT
// in WaitForCourier, and no state after it runs, not even the refund of
// the charge already taken (ASL has no "finally"; a workflow that must
// refund then needs a timeout on the Wait's own terms).
func TestFoodDeliveryExecutionTimeout(t *testing.T) {
	t.Parallel()
	for _, file := range foodDelivery {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			var order map[string]any
			if err := json.Unmarshal(readInput(t), &order); err != nil {
				t.Fatal(err)
			}
			order["courierDelaySeconds"] = 3 * 3600
			r := sfntest.Run(t, file, order, sfntest.MockConfig(mocks, "HappyPath"))
			r.AssertStatus("TIMED_OUT")
			path := r.Path()
			if last := path[len(path)-1]; last != "WaitForCourier" {
				t.Errorf("the last state entered is %s, want WaitForCourier", last)
			}
			r.AssertCalls("RefundPayment", 0)
		})
	}
}

func readInput(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// deliveredOutput is the output of a delivered order, with the given
// charge (and any other members).
func deliveredOutput(charge string) string {
	return `{
		"orderId": "` + orderID + `",
		"customer": {"id": "c-7", "phone": "+4712345678", "address": "Storgata 1, Oslo"},
		"restaurant": {"id": "r-3", "endpoint": "https://restaurant.example.com/orders"},
		"items": [{"sku": "pz-margherita", "name": "Pizza Margherita", "quantity": 2}, {"sku": "dr-cola", "name": "Cola", "quantity": 1}],
		"itemCount": 2,
		"payment": {"method": "card-on-file", "amount": 31.5, "currency": "EUR"},
		"courierDelaySeconds": 5,
		"confirmation": {"accepted": true, "etaMinutes": 25},
		` + charge + `,
		"preparation": {"kitchen": {"ready": true, "cook": "Ana"}, "notification": {"messageId": "m-1"}},
		"packages": [
			{"sku": "pz-margherita", "label": "` + orderID + ` #1: 2 x Pizza Margherita"},
			{"sku": "dr-cola", "label": "` + orderID + ` #2: 1 x Cola"}],
		"delivery": {"courier": "Bo", "deliveredAt": "2026-12-07T19:30:00Z"}
	}`
}

// assertOutput compares the output with want, apart from placedAt (the
// execution's start time), which must be a time.
func assertOutput(t *testing.T, r *sfntest.Result, want string) {
	t.Helper()
	var got, w map[string]any
	r.DecodeOutput(&got)
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("the wanted output: %v", err)
	}
	placed, _ := got["placedAt"].(string)
	if _, err := time.Parse(time.RFC3339, placed); err != nil {
		t.Errorf("placedAt %q is not a time: %v", placed, err)
	}
	delete(got, "placedAt")
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// taskErrors is the errors of the failed and timed-out task and activity
// attempts, in the history's order.
func taskErrors(r *sfntest.Result) []string {
	var errs []string
	for _, e := range r.Events("TaskFailed", "TaskTimedOut", "ActivityFailed", "ActivityTimedOut") {
		errs = append(errs, e.Error)
	}
	return errs
}

// scheduledBy is the resource of the TaskScheduled event that a task
// event follows, through the attempt's earlier events.
func scheduledBy(byID map[int64]sfntest.Event, e sfntest.Event) string {
	for e.Type != "TaskScheduled" {
		prev, ok := byID[e.PreviousID]
		if !ok {
			return ""
		}
		e = prev
	}
	return e.Resource
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
}
