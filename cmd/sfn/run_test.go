package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const defs = "../../definitions/"

// TestRunExamples runs the examples in definitions/ with the inputs their
// headers give, mocking the handler tasks.
func TestRunExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStatus string
		wantOutput string // JSON, compared as values; "" to skip
		wantError  string
		wantCause  string
	}{
		{name: "hello", args: []string{defs + "hello.yaml", "--input", `{"name": "Ada"}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"name": "Ada", "greeting": {"text": "Hello, world!"}}`},
		{name: "hello-json.json", args: []string{defs + "hello-json.json", "--input", `{"name": "Ada"}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"name": "Ada", "greeting": {"text": "Hello, world!"}}`},
		{name: "input from a file", args: []string{defs + "hello.yaml", "--input", "@testdata/run/ada.json"},
			wantStatus: "SUCCEEDED", wantOutput: `{"name": "Ada", "greeting": {"text": "Hello, world!"}}`},
		{name: "choice free", args: []string{defs + "choice.yaml", "--input", `{"total": 42, "vip": true, "coupon": "FREE-SHIPPING"}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"total": 42, "vip": true, "coupon": "FREE-SHIPPING", "delivery": {"fee": 0}}`},
		{name: "choice standard", args: []string{defs + "choice.yaml", "--input", `{"total": 12, "vip": false}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"total": 12, "vip": false, "delivery": {"fee": 4.5}}`},
		{name: "choice empty fails", args: []string{defs + "choice.yaml", "--input", `{"total": 0, "vip": false}`},
			wantCode: 1, wantStatus: "FAILED", wantError: "Order.Empty", wantCause: "The order total must be greater than zero."},
		{name: "fail from input", args: []string{defs + "fail.yaml", "--input", `{"orderId": "o-42", "code": "Order.Rejected", "reason": "the kitchen is closed"}`},
			wantCode: 1, wantStatus: "FAILED", wantError: "Order.Rejected", wantCause: "Order o-42 was rejected: the kitchen is closed"},
		{name: "fail fixed", args: []string{defs + "fail.yaml"},
			wantCode: 1, wantStatus: "FAILED", wantError: "Order.Missing", wantCause: "The input has no orderId."},
		{name: "parallel", args: []string{defs + "parallel.yaml", "--input", `{"orderId": "o-42"}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "tickets": {"kitchen": "kitchen ticket for o-42", "packaging": "packaging ticket for o-42"}}`},
		{name: "map", args: []string{defs + "map.yaml", "--input", `{"orderId": "o-42", "items": [{"name": "Pizza", "quantity": 2}, {"name": "Cola", "quantity": 1}]}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "items": [{"name": "Pizza", "quantity": 2}, {"name": "Cola", "quantity": 1}], "labels": ["o-42 item 0: 2 x Pizza", "o-42 item 1: 1 x Cola"]}`},
		{name: "intrinsics", args: []string{defs + "intrinsics.yaml", "--input", `{"name": "Ada Lovelace", "tags": "pizza,vegan,pizza", "numbers": [3, 1, 3, 2], "prefs": {"spicy": false, "size": "L"}, "overrides": {"spicy": true}}`},
			wantStatus: "SUCCEEDED"},
		{name: "wait with fast time", args: []string{defs + "wait.yaml", "--input", `{"delaySeconds": 3600}`, "--fast-time"},
			wantStatus: "SUCCEEDED", wantOutput: `{"delaySeconds": 3600}`},
		{name: "retry then success", args: []string{defs + "retry-catch.yaml", "--input", `{"orderId": "o-42", "amount": 31.5}`, "--mock", "testdata/mocks/charge-retry-ok.yaml", "--fast-time"},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "amount": 31.5, "charge": {"chargeId": "ch-1", "status": "APPROVED"}}`},
		{name: "declined is caught", args: []string{defs + "retry-catch.yaml", "--input", `{"orderId": "o-42", "amount": 31.5}`, "--mock", "testdata/mocks/charge-declined.yaml"},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "amount": 31.5, "error": {"Error": "Payment.Declined", "Cause": "insufficient funds"}, "status": "declined"}`},
		{name: "outage exhausts retries", args: []string{defs + "retry-catch.yaml", "--input", `{"orderId": "o-42", "amount": 31.5}`, "--mock", "testdata/mocks/charge-outage.yaml", "--fast-time"},
			wantCode: 1, wantStatus: "FAILED", wantError: "Payment.Failed", wantCause: "The payment could not be charged, even after retrying."},
		{name: "no mock: task fails and is caught", args: []string{defs + "retry-catch.yaml", "--input", `{"orderId": "o-42"}`},
			wantCode: 1, wantStatus: "FAILED", wantError: "Payment.Failed"},
		{name: "distributed map: one failed batch tolerated", args: []string{defs + "distributed-map.json", "--input", distributedOrder},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "items": ` + distributedItems + `, "batches": [
				{"orderId": "o-42", "packed": ["pizza", "cola"]},
				{"Error": "Item.NoQuantity", "Cause": "A batch holds an item with quantity 0."},
				{"orderId": "o-42", "packed": ["soup"]}]}`},
		{name: "distributed map: two failed batches exceed the tolerance", args: []string{defs + "distributed-map.json", "--input",
			`{"orderId": "o-7", "items": [{"sku": "pizza", "quantity": 0}, {"sku": "cola", "quantity": 1}, {"sku": "salad", "quantity": 0}]}`},
			wantCode: 1, wantStatus: "FAILED", wantError: "States.ExceedToleratedFailureThreshold", wantCause: "The specified tolerated failure threshold was exceeded"},
		{name: "distributed map: no items", args: []string{defs + "distributed-map.json", "--input", `{"orderId": "o-8", "items": []}`},
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-8", "items": [], "batches": []}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", append([]string{"run", "--format", "json"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
			var got runResult
			if err := json.Unmarshal([]byte(r.out), &got); err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, r.out, r.errOut)
			}
			if got.Status != tt.wantStatus || got.Error != tt.wantError || (tt.wantCause != "" && got.Cause != tt.wantCause) {
				t.Errorf("status %s error %q cause %q; want %s %q %q", got.Status, got.Error, got.Cause, tt.wantStatus, tt.wantError, tt.wantCause)
			}
			if tt.wantOutput != "" {
				var want, have any
				_ = json.Unmarshal([]byte(tt.wantOutput), &want)
				_ = json.Unmarshal(got.Output, &have)
				if diff := cmp.Diff(want, have); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// The sample order of definitions/distributed-map.json: three batches of
// at most two items, the second holding an item with quantity 0.
const (
	distributedItems = `[{"sku": "pizza", "quantity": 2}, {"sku": "cola", "quantity": 1}, {"sku": "salad", "quantity": 0}, {"sku": "bread", "quantity": 3}, {"sku": "soup", "quantity": 1}]`
	distributedOrder = `{"orderId": "o-42", "items": ` + distributedItems + `}`
)

// TestServedExamples runs, on a server started as `make run` starts it,
// the examples in definitions/ that sfn run cannot run: a startExecution
// task starts a child execution, which sfn run answers only with a mock.
func TestServedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	t.Parallel()
	server := "http://" + startServer(t)
	tests := []struct {
		name       string
		machine    string
		input      string
		wantCode   int
		wantStatus string
		wantError  string
		wantCause  string
		// wantOutput is compared with the output as JSON values; a nested
		// order's packing.childArn, which the server makes, is checked
		// apart (checkChildOf).
		wantOutput string
	}{
		{name: "nested order packed by a child", machine: "nested-order",
			input:      `{"orderId": "o-42", "items": [{"sku": "pizza", "quantity": 2}, {"sku": "cola", "quantity": 1}]}`,
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-42", "items": [{"sku": "pizza", "quantity": 2}, {"sku": "cola", "quantity": 1}],
				"packing": {"status": "SUCCEEDED", "package": {"orderId": "o-42", "itemCount": 2, "label": "Order o-42, items: 2"}}}`},
		{name: "nested order: the child's own error", machine: "nested-order", input: `{"orderId": "o-43", "items": []}`,
			wantCode: 1, wantStatus: "FAILED", wantError: "Order.Empty", wantCause: "The order has no items."},
		{name: "distributed map on a server", machine: "distributed-map", input: distributedOrder,
			wantStatus: "SUCCEEDED", wantOutput: `{"orderId": "o-42", "items": ` + distributedItems + `, "batches": [
				{"orderId": "o-42", "packed": ["pizza", "cola"]},
				{"Error": "Item.NoQuantity", "Cause": "A batch holds an item with quantity 0."},
				{"orderId": "o-42", "packed": ["soup"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", "start", tt.machine, "--server", server, "--input", tt.input, "--wait", "--format", "json")
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
			var got struct {
				Status, Error, Cause string
				Output               map[string]any
			}
			if err := json.Unmarshal([]byte(r.out), &got); err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, r.out, r.errOut)
			}
			if got.Status != tt.wantStatus || got.Error != tt.wantError || got.Cause != tt.wantCause {
				t.Errorf("status %s error %q cause %q; want %s %q %q", got.Status, got.Error, got.Cause, tt.wantStatus, tt.wantError, tt.wantCause)
			}
			if tt.wantOutput == "" {
				return
			}
			if tt.machine == "nested-order" {
				packing, _ := got.Output["packing"].(map[string]any)
				child, _ := packing["childArn"].(string)
				if !strings.Contains(child, ":execution:nested-order:") {
					t.Fatalf("packing.childArn %q is not an execution ARN of nested-order", child)
				}
				delete(packing, "childArn")
				checkChildOf(t, server, "nested-order:"+child[strings.LastIndexByte(child, ':')+1:], got.Output)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.wantOutput), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.Output); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// checkChildOf checks that execution id is a child that names its parent
// and received the order its parent passed.
func checkChildOf(t *testing.T, server, id string, parentOutput map[string]any) {
	t.Helper()
	r := sfn(t, nil, "", "describe", id, "--server", server, "--format", "json")
	if r.code != 0 {
		t.Fatalf("describe %s: exit %d\n%s", id, r.code, r.errOut)
	}
	var child struct {
		Status            string
		ParentExecutionID string `json:"parentExecutionId"`
		Input             map[string]any
	}
	if err := json.Unmarshal([]byte(r.out), &child); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if child.Status != "SUCCEEDED" || !strings.HasPrefix(child.ParentExecutionID, "nested-order:") {
		t.Errorf("child %s: status %s, parent %q; want SUCCEEDED and a nested-order parent", id, child.Status, child.ParentExecutionID)
	}
	if child.Input["role"] != "packer" || child.Input["orderId"] != parentOutput["orderId"] {
		t.Errorf("child %s has input %v; want role packer and the parent's orderId", id, child.Input)
	}
	if by, _ := child.Input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"].(string); !strings.HasSuffix(by, ":"+strings.TrimPrefix(child.ParentExecutionID, "nested-order:")) {
		t.Errorf("child %s: AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID %q does not name its parent %s", id, by, child.ParentExecutionID)
	}
}

func TestRunHistory(t *testing.T) {
	t.Parallel()
	args := []string{"run", defs + "retry-catch.yaml", "--input", `{"orderId": "o-42", "amount": 31.5}`,
		"--mock", "testdata/mocks/charge-retry-ok.yaml", "--fast-time", "--history"}

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := sfn(t, nil, "", append(args, "--format", "json")...)
		var got runResult
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("%v\n%s", err, r.out)
		}
		var types []string
		for i, raw := range got.Events {
			var h eventHead
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if h.ID != int64(i+1) {
				t.Errorf("event %d has id %d", i+1, h.ID)
			}
			types = append(types, h.Type)
		}
		want := []string{"ExecutionStarted", "TaskStateEntered",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskSucceeded",
			"TaskStateExited", "ExecutionSucceeded"}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("event types (-want +got):\n%s", diff)
		}
	})

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		r := sfn(t, nil, "", args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		lines := strings.Split(r.out, "\n")
		if !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "TYPE") {
			t.Errorf("no table header: %q", lines[0])
		}
		for _, want := range []string{"TaskStateEntered", "Charge", "error=Payment.ProviderUnavailable cause=the provider is down", `"chargeId": "ch-1"`} {
			if !strings.Contains(r.out, want) {
				t.Errorf("output lacks %q:\n%s", want, r.out)
			}
		}
	})
}

// --fast-time makes the back-off of the retries pass without waiting, but
// the history still shows the virtual time it took: 1 s, then 2 s.
func TestRunFastTimeAdvancesTheClock(t *testing.T) {
	t.Parallel()
	r := sfn(t, nil, "", "run", "--format", "json", "--history", "--fast-time", defs+"wait.yaml", "--input", `{"delaySeconds": 7200}`)
	var got runResult
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	first, last := eventTime(t, got.Events[0]), eventTime(t, got.Events[len(got.Events)-1])
	if d := last.Sub(first); d < 7201*time.Second {
		t.Errorf("history spans %s, want at least 7201s of virtual time", d)
	}
}

func eventTime(t *testing.T, raw json.RawMessage) time.Time {
	t.Helper()
	var h eventHead
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339Nano, h.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{"no file", []string{"run"}, "", 2, "usage: sfn run FILE", ""},
		{"missing file", []string{"run", "nope.yaml"}, "", 2, "no such file", ""},
		{"invalid definition", []string{"run", "testdata/validate/invalid.yaml"}, "", 1, "MISSING_TRANSITION_TARGET", ""},
		{"bad input", []string{"run", defs + "hello.yaml", "--input", "{nope"}, "", 2, "--input is not valid JSON", ""},
		{"missing input file", []string{"run", defs + "hello.yaml", "--input", "@nope.json"}, "", 2, "--input: open nope.json", ""},
		{"input from stdin", []string{"run", defs + "hello.yaml", "--input", "@-"}, `{"name": "Bob"}`, 0, "", `"name": "Bob"`},
		{"mock with unknown field", []string{"run", defs + "retry-catch.yaml", "--mock", "testdata/mocks/bad-field.yaml"}, "", 2, `bad-field.yaml:3:13: unknown field "status"`, ""},
		{"mock of an unknown state", []string{"run", defs + "retry-catch.yaml", "--mock", "testdata/mocks/unknown-state.yaml"}, "", 2, `"NoSuchState" is not a Task state`, ""},
		{"missing mock file", []string{"run", defs + "retry-catch.yaml", "--mock", "nope.yaml"}, "", 2, "--mock: open nope.yaml", ""},
		{"failed execution prints error and cause", []string{"run", defs + "fail.yaml"}, "", 1, "", "error:   Order.Missing"},
		{"an activity without a mock fails at once", []string{"run", "testdata/run/activity.yaml", "--timeout", "10s"}, "", 1, "", `state "Cook" (activity:kitchen) needs an activity worker`},
		{"a callback without a mock fails at once", []string{"run", "testdata/run/callback.yaml", "--timeout", "10s"}, "", 1, "", "cannot receive"},
		{"a handler without a mock fails", []string{"run", "testdata/run/shared-resource.yaml", "--input", `{"orderId": "o-1"}`}, "", 1, `"QuoteA" (handler:quote) has no mock`, "error:   States.TaskFailed"},
		{"a wait that outlasts --timeout", []string{"run", defs + "wait.yaml", "--input", `{"delaySeconds": 60}`, "--timeout", "300ms"}, "", 1, "had not ended after 300ms", "status: RUNNING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, tt.stdin, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.errOut, tt.wantErr) || !strings.Contains(r.out, tt.wantOut) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
		})
	}
}

func TestLoadMocks(t *testing.T) {
	t.Parallel()
	m, err := loadMocks("testdata/mocks/charge-retry-ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m["Charge"]); n != 3 {
		t.Fatalf("%d answers, want 3", n)
	}
	if e := m["Charge"][0].err; e == nil || e.Name != "Payment.ProviderUnavailable" || e.Cause != "the provider is down" {
		t.Errorf("first answer: %+v", m["Charge"][0])
	}
	if m["Charge"][2].output == nil {
		t.Error("last answer has no output")
	}
}

// runJSON runs `sfn run --format json ARGS…` and decodes its result.
func runJSON(t *testing.T, args ...string) (result, runResult) {
	t.Helper()
	r := sfn(t, nil, "", append([]string{"run", "--format", "json"}, args...)...)
	var got runResult
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, r.out, r.errOut)
	}
	return r, got
}

// historyEvent is what the tests read of a history event.
type historyEvent struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Resource string `json:"resource"`
	Error    string `json:"error"`
	Cause    string `json:"cause"`
}

func decodeEvents(t *testing.T, raw []json.RawMessage) []historyEvent {
	t.Helper()
	evs := make([]historyEvent, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// eventLines shows events one a line, for failure messages.
func eventLines(raw []json.RawMessage) string {
	var b strings.Builder
	for _, r := range raw {
		var h eventHead
		_ = json.Unmarshal(r, &h)
		fmt.Fprintf(&b, "%d %s %s %s %s %s\n", h.ID, h.Timestamp, h.Type, h.Name, h.Error, h.Cause)
	}
	return b.String()
}

// entered lists the states entered, in order, leaving out those named in skip.
func entered(evs []historyEvent, skip ...string) []string {
	var names []string
	for _, e := range evs {
		if strings.HasSuffix(e.Type, "StateEntered") && !slices.Contains(skip, e.Name) {
			names = append(names, e.Name)
		}
	}
	return names
}

// TestRunFoodDelivery runs the complete example with every Task state
// mocked: the restaurant's callback, a charge that fails once and succeeds
// on its retry, the kitchen's activity, the notifications and the delivery.
func TestRunFoodDelivery(t *testing.T) {
	t.Parallel()
	const food = defs + "food-delivery.yaml"
	input := "@testdata/run/food-order.json"

	// The JSONata version of the workflow answers the same order the same way.
	t.Run("delivered, JSONata", func(t *testing.T) {
		t.Parallel()
		r, got := runJSON(t, defs+"food-delivery-jsonata.yaml", "--input", input, "--mock", "testdata/mocks/food-delivered.yaml", "--fast-time")
		if r.code != 0 || got.Status != "SUCCEEDED" {
			t.Fatalf("exit %d status %s error %q cause %q", r.code, got.Status, got.Error, got.Cause)
		}
		_, jp := runJSON(t, food, "--input", input, "--mock", "testdata/mocks/food-delivered.yaml", "--fast-time")
		// Each run makes its own order id: compare with it written ORDER.
		decode := func(raw []byte) map[string]any {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			id, _ := m["orderId"].(string)
			if id == "" {
				t.Fatalf("no orderId in %s", raw)
			}
			if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), id, "ORDER")), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		out, want := decode(got.Output), decode(jp.Output)
		for _, k := range []string{"confirmation", "charge", "preparation", "packages", "delivery"} {
			if diff := cmp.Diff(want[k], out[k]); diff != "" {
				t.Errorf("output %s, JSONPath (-) against JSONata (+):\n%s", k, diff)
			}
		}
	})

	t.Run("delivered", func(t *testing.T) {
		t.Parallel()
		r, got := runJSON(t, food, "--input", input, "--mock", "testdata/mocks/food-delivered.yaml", "--fast-time", "--history")
		if r.code != 0 || got.Status != "SUCCEEDED" {
			t.Fatalf("exit %d status %s error %q cause %q\nevents:\n%s", r.code, got.Status, got.Error, got.Cause, eventLines(got.Events))
		}
		var out map[string]any
		if err := json.Unmarshal(got.Output, &out); err != nil {
			t.Fatal(err)
		}
		orderID, _ := out["orderId"].(string)
		want := map[string]any{
			"confirmation": map[string]any{"accepted": true, "etaMinutes": 25.0},
			"charge":       map[string]any{"status": "APPROVED", "chargeId": "ch-1"},
			"preparation": map[string]any{
				"kitchen":      map[string]any{"cook": "Mario", "readyInMinutes": 20.0},
				"notification": map[string]any{"StatusCode": 202.0, "ResponseBody": map[string]any{"messageId": "m-1"}},
			},
			"packages": []any{
				map[string]any{"sku": "pz-margherita", "label": orderID + " #1: 2 x Pizza Margherita"},
				map[string]any{"sku": "dr-cola", "label": orderID + " #2: 1 x Cola"},
			},
			"delivery": map[string]any{"courier": "Lina", "deliveredAt": "2025-01-01T12:40:00Z"},
		}
		for k, w := range want {
			if diff := cmp.Diff(w, out[k]); diff != "" {
				t.Errorf("output %s (-want +got):\n%s", k, diff)
			}
		}
		if _, ok := out["notificationError"]; ok {
			t.Errorf("NotifyDelivered failed: %v", out["notificationError"])
		}

		evs := decodeEvents(t, got.Events)
		// The Parallel's branches may start in either order.
		wantEntered := []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome",
			"PrepareAndNotify", "PackItems", "LabelItem", "LabelItem", "WaitForCourier", "DeliverOrder",
			"NotifyDelivered", "OrderDelivered"}
		if diff := cmp.Diff(wantEntered, entered(evs, "PrepareInKitchen", "NotifyPreparing")); diff != "" {
			t.Errorf("states entered (-want +got):\n%s", diff)
		}
		for _, name := range []string{"PrepareInKitchen", "NotifyPreparing"} {
			if !slices.Contains(entered(evs), name) {
				t.Errorf("%s was not entered", name)
			}
		}
		scheduled := map[string]int{}
		var failed []historyEvent
		for _, e := range evs {
			switch e.Type {
			case "TaskScheduled", "ActivityScheduled":
				scheduled[e.Resource]++
			case "TaskFailed":
				failed = append(failed, e)
			}
		}
		wantScheduled := map[string]int{"http:invoke.waitForTaskToken": 1, "handler:charge-payment": 2,
			"activity:kitchen": 1, "http:invoke": 2, "handler:deliver-order": 1}
		if diff := cmp.Diff(wantScheduled, scheduled); diff != "" {
			t.Errorf("task attempts by resource (-want +got):\n%s", diff)
		}
		wantFailed := []historyEvent{{Type: "TaskFailed", Error: "Payment.ProviderUnavailable", Cause: "the provider is down"}}
		if diff := cmp.Diff(wantFailed, failed); diff != "" {
			t.Errorf("failed attempts (-want +got):\n%s", diff)
		}
		if last := evs[len(evs)-1]; last.Type != "ExecutionSucceeded" {
			t.Errorf("last event %s", last.Type)
		}
	})

	t.Run("declined", func(t *testing.T) {
		t.Parallel()
		r, got := runJSON(t, food, "--input", input, "--mock", "testdata/mocks/food-declined.yaml", "--fast-time", "--history")
		if r.code != 1 {
			t.Errorf("exit %d, want 1\nstderr:\n%s", r.code, r.errOut)
		}
		if got.Status != "FAILED" || got.Error != "OrderFailed" ||
			got.Cause != "The order could not be completed; any payment was refunded and the order was cancelled." {
			t.Errorf("status %s error %q cause %q", got.Status, got.Error, got.Cause)
		}
		want := []string{"PlaceOrder", "ConfirmWithRestaurant", "ChargePayment", "PaymentOutcome", "CancelOrder", "OrderFailed"}
		if diff := cmp.Diff(want, entered(decodeEvents(t, got.Events))); diff != "" {
			t.Errorf("states entered (-want +got):\n%s", diff)
		}
	})

	t.Run("table output", func(t *testing.T) {
		t.Parallel()
		r := sfn(t, nil, "", "run", food, "--input", input, "--mock", "testdata/mocks/food-declined.yaml", "--fast-time")
		if r.code != 1 || !strings.Contains(r.out, "error:   OrderFailed") || !strings.Contains(r.out, "cause:   The order could not be completed") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
		}
	})
}

// Two states of a Parallel call the same resource with the same
// parameters; each gets its own answers, in its own attempt order.
func TestRunMocksByStateInParallel(t *testing.T) {
	t.Parallel()
	for range 5 {
		r, got := runJSON(t, "testdata/run/shared-resource.yaml", "--input", `{"orderId": "o-1"}`,
			"--mock", "testdata/mocks/shared-resource.yaml", "--fast-time")
		if r.code != 0 {
			t.Fatalf("exit %d: %s %s\n%s", r.code, got.Error, got.Cause, r.errOut)
		}
		var out any
		if err := json.Unmarshal(got.Output, &out); err != nil {
			t.Fatal(err)
		}
		want := []any{map[string]any{"courier": "A", "price": 4.0}, map[string]any{"courier": "B", "price": 5.0}}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Fatalf("output (-want +got):\n%s", diff)
		}
	}
}

// An http:invoke state without a mock makes its real call.
func TestRunUnmockedHTTPCallsTheEndpoint(t *testing.T) {
	t.Parallel()
	calls := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		calls <- r.Method + " " + string(body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messageId": "m-9"}`))
	}))
	defer srv.Close()
	r, got := runJSON(t, "testdata/run/http-notify.yaml", "--input", `{"endpoint": "`+srv.URL+`/messages"}`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s\n%s", r.code, got.Error, got.Cause, r.errOut)
	}
	if c := <-calls; c != `POST {"text":"hello"}` {
		t.Errorf("the endpoint got %q", c)
	}
	var out any
	_ = json.Unmarshal(got.Output, &out)
	want := map[string]any{"status": 200.0, "body": map[string]any{"messageId": "m-9"}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
