package sfntest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/sfntest"
)

const (
	order      = "testdata/order.yaml"
	orderMocks = "testdata/order.mocks.json"
	orderInput = `{"orderId": "o-1", "amount": 12.5}`
)

// TestRun runs definitions with each way of answering tasks and checks
// the outcome, the path and the calls.
func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		file       string // a definition file, or
		source     string // a definition's text
		input      any
		opts       []sfntest.Option
		wantStatus string
		wantError  string
		wantOutput string // JSON; "" when the execution has none
		wantPath   []string
		wantCalls  map[string]int
	}{
		{
			name: "Go mocks", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Return("Charge", map[string]any{"chargeId": "ch-9"}),
				sfntest.Return("Ship", `{"trackingId": "t-9"}`),
			},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"chargeId": "ch-9"}, "shipment": {"trackingId": "t-9"}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
			wantCalls:  map[string]int{"Charge": 1, "Ship": 1, "Refund": 0},
		},
		{
			name: "a thrown error is caught", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Return("Charge", `{"chargeId": "ch-9"}`),
				sfntest.Throw("Ship", "Courier.NoneAvailable", "no courier"),
				sfntest.Return("Refund", `{}`),
			},
			wantStatus: "FAILED", wantError: "Order.NotShipped",
			wantPath:  []string{"Charge", "Ship", "Refund", "NotShipped"},
			wantCalls: map[string]int{"Charge": 1, "Ship": 1, "Refund": 1},
		},
		{
			name: "a retry consumes the next answer of a sequence", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Sequence("Charge", sfntest.Fail("Payment.ProviderUnavailable", "down"), sfntest.Ok(`{"chargeId": "ch-2"}`)),
				sfntest.Return("Ship", `{"trackingId": "t-1"}`),
			},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"chargeId": "ch-2"}, "shipment": {"trackingId": "t-1"}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
			wantCalls:  map[string]int{"Charge": 2, "Ship": 1},
		},
		{
			name: "a call past the end of a sequence fails with States.Runtime", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Sequence("Charge", sfntest.Fail("Payment.ProviderUnavailable", "down")),
			},
			wantStatus: "FAILED", wantError: "States.Runtime",
			wantPath:  []string{"Charge"},
			wantCalls: map[string]int{"Charge": 2},
		},
		{
			name: "a test case of a mock configuration file", file: order, input: orderInput,
			opts:       []sfntest.Option{sfntest.MockConfig(orderMocks, "ProviderDownOnce")},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"chargeId": "ch-2"}, "shipment": {"trackingId": "t-1"}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
			wantCalls:  map[string]int{"Charge": 2, "Ship": 1},
		},
		{
			name: "a Go mock takes precedence over the test case", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.MockConfig(orderMocks, "Shipped"),
				sfntest.Throw("Ship", "Courier.NoneAvailable", "no courier"),
				sfntest.Return("Refund", `{}`),
			},
			wantStatus: "FAILED", wantError: "Order.NotShipped",
			wantPath: []string{"Charge", "Ship", "Refund", "NotShipped"},
		},
		{
			name: "the test case is found under the StateMachine name", source: readFile(t, order),
			input:      orderInput,
			opts:       []sfntest.Option{sfntest.StateMachine("order"), sfntest.MockConfig(orderMocks, "Shipped")},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"chargeId": "ch-1"}, "shipment": {"trackingId": "t-1"}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
		},
		{
			name: "a handler runs when no mock answers", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Handler("charge", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
					var p struct{ OrderID string }
					if err := json.Unmarshal(in, &p); err != nil {
						return nil, err
					}
					return json.Marshal(map[string]string{"chargeId": "ch-of-" + p.OrderID})
				}),
				sfntest.Return("Ship", `{"trackingId": "t-1"}`),
			},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"chargeId": "ch-of-o-1"}, "shipment": {"trackingId": "t-1"}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
			wantCalls:  map[string]int{"Charge": 1},
		},
		{
			name: "Func sees the call", file: order, input: orderInput,
			opts: []sfntest.Option{
				sfntest.Func("Charge", func(c sfntest.Call) sfntest.Answer {
					if c.Number == 0 {
						return sfntest.Fail("Payment.ProviderUnavailable", "down")
					}
					return sfntest.Ok(fmt.Sprintf(`{"call": %d, "attempt": %d, "input": %s}`, c.Number, c.Attempt, c.Input))
				}),
				sfntest.Return("Ship", `{}`),
			},
			wantStatus: "SUCCEEDED",
			wantOutput: `{"orderId": "o-1", "amount": 12.5, "charge": {"call": 1, "attempt": 1, "input": {"orderId": "o-1", "amount": 12.5}}, "shipment": {}}`,
			wantPath:   []string{"Charge", "Ship", "Shipped"},
		},
		{
			name: "a mocked callback answers at once",
			source: `
StartAt: AskRestaurant
States:
  AskRestaurant:
    Type: Task
    Resource: http:invoke.waitForTaskToken
    Parameters:
      ApiEndpoint: https://restaurant.example.com/orders
      Method: POST
      RequestBody:
        token.$: $$.Task.Token
    TimeoutSeconds: 60
    End: true`,
			opts:       []sfntest.Option{sfntest.Return("AskRestaurant", `{"accepted": true}`)},
			wantStatus: "SUCCEEDED", wantOutput: `{"accepted": true}`,
			wantPath: []string{"AskRestaurant"},
		},
		{
			name: "a delayed answer past the timeout times out",
			source: `
StartAt: AskRestaurant
States:
  AskRestaurant:
    Type: Task
    Resource: http:invoke.waitForTaskToken
    Parameters:
      ApiEndpoint: https://restaurant.example.com/orders
      Method: POST
    TimeoutSeconds: 1800
    Catch:
      - ErrorEquals: [States.Timeout]
        Next: GaveUp
    End: true
  GaveUp:
    Type: Pass
    End: true`,
			opts:       []sfntest.Option{sfntest.Sequence("AskRestaurant", sfntest.Ok(`{"accepted": true}`).After(2*time.Hour))},
			wantStatus: "SUCCEEDED", wantOutput: `{"Error": "States.Timeout"}`,
			wantPath: []string{"AskRestaurant", "GaveUp"},
		},
		{
			name: "a mocked activity, after a wait of a day",
			source: `
StartAt: Sleep
States:
  Sleep:
    Type: Wait
    Seconds: 86400
    Next: Cook
  Cook:
    Type: Task
    Resource: activity:kitchen
    HeartbeatSeconds: 60
    End: true`,
			opts:       []sfntest.Option{sfntest.Return("Cook", `{"ready": true}`)},
			wantStatus: "SUCCEEDED", wantOutput: `{"ready": true}`,
			wantPath: []string{"Sleep", "Cook"},
		},
		{
			name: "the execution's own timeout",
			source: `
TimeoutSeconds: 3600
StartAt: Sleep
States:
  Sleep:
    Type: Wait
    Seconds: 7200
    End: true`,
			wantStatus: "TIMED_OUT", wantError: "States.Timeout",
			wantPath: []string{"Sleep"},
		},
		{
			name: "UUIDs count from 1",
			source: `
QueryLanguage: JSONata
StartAt: Ids
States:
  Ids:
    Type: Pass
    Output: "{% [$uuid(), $uuid()] %}"
    End: true`,
			wantStatus: "SUCCEEDED", wantOutput: `["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]`,
			wantPath: []string{"Ids"},
		},
		{
			name: "input as a Go value",
			source: `
StartAt: Echo
States:
  Echo:
    Type: Pass
    End: true`,
			input:      map[string]any{"n": 1, "tags": []string{"a"}},
			wantStatus: "SUCCEEDED", wantOutput: `{"n": 1, "tags": ["a"]}`,
			wantPath: []string{"Echo"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := machine(t, tt.file, tt.source)
			r := m.Run(t, tt.input, tt.opts...)
			if r.Status() != tt.wantStatus || r.ErrorName() != tt.wantError {
				t.Errorf("ended %s %q (cause %q), want %s %q", r.Status(), r.ErrorName(), r.Cause(), tt.wantStatus, tt.wantError)
			}
			if tt.wantOutput != "" {
				r.AssertOutput(tt.wantOutput)
			} else if r.Output() != nil {
				t.Errorf("output %s, want none", r.Output())
			}
			if diff := cmp.Diff(tt.wantPath, r.Path()); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
			for state, n := range tt.wantCalls {
				if got := len(r.Calls(state)); got != n {
					t.Errorf("%s: %d calls, want %d", state, got, n)
				}
			}
		})
	}
}

func machine(t *testing.T, file, source string) *sfntest.Machine {
	t.Helper()
	if file != "" {
		return sfntest.Load(t, file)
	}
	return sfntest.Parse(t, "inline", []byte(source))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCalls checks what a call records: every attempt, numbered, with its
// input and its retry count.
func TestCalls(t *testing.T) {
	t.Parallel()
	r := sfntest.Run(t, order, orderInput,
		sfntest.Sequence("Charge",
			sfntest.Fail("Payment.ProviderUnavailable", "down"),
			sfntest.Fail("Payment.ProviderUnavailable", "still down"),
			sfntest.Ok(`{"chargeId": "ch-3"}`)),
		sfntest.Return("Ship", `{}`))
	r.AssertSucceeded()
	var got []string
	for _, c := range r.Calls("Charge") {
		got = append(got, fmt.Sprintf("%s %s #%d attempt %d %s", c.State, c.Resource, c.Number, c.Attempt, c.Input))
	}
	want := []string{
		`Charge handler:charge #0 attempt 0 {"orderId":"o-1","amount":12.5}`,
		`Charge handler:charge #1 attempt 1 {"orderId":"o-1","amount":12.5}`,
		`Charge handler:charge #2 attempt 2 {"orderId":"o-1","amount":12.5}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// The retry's back-off (600 s, then 1200 s) passed on the fast clock:
	// the history's timestamps show it.
	var sched []sfntest.Event
	for _, e := range r.Events("TaskScheduled") {
		if e.Resource == "handler:charge" {
			sched = append(sched, e)
		}
	}
	if len(sched) != 3 {
		t.Fatalf("%d TaskScheduled events of Charge, want 3", len(sched))
	}
	if gap := sched[2].Timestamp.Sub(sched[0].Timestamp); gap < 1800*time.Second {
		t.Errorf("the attempts are %s apart in the history, want at least the back-off, 30m", gap)
	}
}

// TestDelayedAnswerTakesClockTime checks that an answer's Delay (a mock
// configuration's, or After) passes on the engine's clock: the history
// shows the time, the test does not wait for it.
func TestDelayedAnswerTakesClockTime(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := sfntest.Run(t, order, orderInput, sfntest.MockConfig(orderMocks, "ShipSlowly"))
	r.AssertSucceeded()
	scheduled, succeeded := r.Events("TaskScheduled"), r.Events("TaskSucceeded")
	if len(scheduled) != 2 || len(succeeded) != 2 {
		t.Fatalf("%d TaskScheduled and %d TaskSucceeded events, want 2 each", len(scheduled), len(succeeded))
	}
	if took := succeeded[1].Timestamp.Sub(scheduled[1].Timestamp); took < time.Hour {
		t.Errorf("Ship answered %s after its call in the history, want at least its Delay, 1h", took)
	}
	if real := time.Since(start); real > 30*time.Second {
		t.Errorf("the run took %s of real time", real)
	}
}

// TestHTTPTaskMakesItsCall runs an unmocked http:invoke task against a
// real endpoint.
func TestHTTPTaskMakesItsCall(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		got.Store(req.Method + " " + req.URL.Path + " " + string(body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sent": true}`)
	}))
	defer srv.Close()
	def := `
StartAt: Notify
States:
  Notify:
    Type: Task
    Resource: http:invoke
    Parameters:
      ApiEndpoint: ` + srv.URL + `/messages
      Method: POST
      RequestBody:
        text.$: $.text
    ResultSelector:
      sent.$: $.ResponseBody.sent
    End: true`
	r := sfntest.Parse(t, "notify", []byte(def)).Run(t, `{"text": "hello"}`)
	r.AssertSucceeded()
	r.AssertOutput(`{"sent": true}`)
	r.AssertCalls("Notify", 1)
	if s, _ := got.Load().(string); s != `POST /messages {"text":"hello"}` {
		t.Errorf("the endpoint got %q", s)
	}
}

// TestUnanswerableCalls checks that a call the test cannot make fails the
// execution and the test, with a message naming the state.
func TestUnanswerableCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		task   string // the Task state's Resource and fields
		opts   []sfntest.Option
		report string
	}{
		{name: "handler", task: "Resource: handler:charge",
			report: `sfntest: state "Work" (handler:charge) has no mock and no handler: mock it (sfntest.Return, Throw, Sequence, Func, or a test case of MockConfig), or register one with sfntest.Handler("charge", h)`},
		{name: "handler registered under another name", task: "Resource: handler:charge",
			opts:   []sfntest.Option{sfntest.Handler("charges", func(_ context.Context, _ json.RawMessage) (json.RawMessage, error) { return nil, nil })},
			report: `sfntest: state "Work" (handler:charge) has no mock and no handler`},
		{name: "activity", task: "Resource: activity:kitchen",
			report: `sfntest: state "Work" (activity:kitchen) needs an activity worker, which a test does not run`},
		{name: "callback", task: "Resource: http:invoke.waitForTaskToken\n    Parameters: {ApiEndpoint: 'https://example.com', Method: POST}",
			report: `sfntest: state "Work" (http:invoke.waitForTaskToken) waits for a callback with its task token, which nothing sends in a test`},
		{name: "child execution", task: "Resource: arn:aws:states:::states:startExecution.sync:2\n    Parameters: {StateMachineArn: child}",
			report: `sfntest: state "Work" (arn:aws:states:::states:startExecution.sync:2) starts a child execution, which a test does not run`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := "StartAt: Work\nStates:\n  Work:\n    Type: Task\n    " + tt.task + "\n    Retry: [{ErrorEquals: [States.ALL], MaxAttempts: 2}]\n    End: true\n"
			m := sfntest.Parse(t, "work", []byte(def))
			var r *sfntest.Result
			rec := report(t, func(tb testing.TB) { r = m.Run(tb, nil, tt.opts...) })
			if r == nil {
				t.Fatalf("Run stopped the test: %s", rec.reported())
			}
			if r.Status() != "FAILED" || r.ErrorName() != "States.TaskFailed" || !strings.HasPrefix(r.Cause(), tt.report) {
				t.Errorf("ended %s %s %q, want FAILED States.TaskFailed %q…", r.Status(), r.ErrorName(), r.Cause(), tt.report)
			}
			// Three attempts, one report.
			r.AssertCalls("Work", 3)
			if len(rec.errors) != 1 || !strings.HasPrefix(rec.errors[0], tt.report) || !strings.Contains(rec.errors[0], "ExecutionFailed") {
				t.Errorf("reported:\n%s\nwant once: %s…, with the history", rec.reported(), tt.report)
			}
		})
	}
}

// TestSetupProblems checks that wrong definitions and options stop the
// test at once, saying what is wrong and where.
func TestSetupProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(tb testing.TB)
		want string
	}{
		{name: "definition with a problem",
			run:  func(tb testing.TB) { sfntest.Load(tb, "testdata/bad.yaml") },
			want: `sfntest: testdata/bad.yaml is not a valid definition:` + "\n" + `testdata/bad.yaml:5:11: `},
		{name: "missing definition file",
			run:  func(tb testing.TB) { sfntest.Run(tb, "testdata/none.yaml", nil) },
			want: `sfntest: open testdata/none.yaml: no such file or directory`},
		{name: "mock of a state that is not a Task",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, orderInput, sfntest.Return("Shipped", `{}`)) },
			want: `sfntest: Return: "Shipped" is not a Task state of testdata/order.yaml (its Task states: Charge, Refund, Ship)`},
		{name: "unknown test case",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, orderInput, sfntest.MockConfig(orderMocks, "Nope")) },
			want: `sfntest: MockConfig testdata/order.mocks.json: state machine "order" has no test case "Nope" (it has "NotShipped", "ProviderDownOnce", "ShipSlowly", "Shipped")`},
		{name: "test case under another name",
			run: func(tb testing.TB) {
				sfntest.Run(tb, order, orderInput, sfntest.StateMachine("orders"), sfntest.MockConfig(orderMocks, "Shipped"))
			},
			want: `sfntest: MockConfig testdata/order.mocks.json: the mock configuration has no state machine "orders" (it has "order") (StateMachine sets the name to look under)`},
		{name: "mock configuration with a problem",
			run: func(tb testing.TB) {
				sfntest.Run(tb, order, orderInput, sfntest.MockConfig("testdata/bad.mocks.json", "T"))
			},
			want: "sfntest: MockConfig: testdata/bad.mocks.json is not a valid mock configuration:\ntestdata/bad.mocks.json:2:61: /StateMachines/order/TestCases/T/Charge: unknown mocked response \"Missing\""},
		{name: "input that is not JSON",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, `{"orderId": `) },
			want: `sfntest: the input: "{\"orderId\": " is not JSON text`},
		{name: "empty sequence",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, orderInput, sfntest.Sequence("Charge")) },
			want: `sfntest: Sequence: give at least one answer for state "Charge"`},
		{name: "answer that is not JSON",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, orderInput, sfntest.Return("Charge", "ch-1")) },
			want: `sfntest: Return("Charge"): Ok: "ch-1" is not JSON text`},
		{name: "bad state machine name",
			run:  func(tb testing.TB) { sfntest.Run(tb, order, orderInput, sfntest.StateMachine("my order")) },
			want: `sfntest: StateMachine: "my order" is not a state machine name`},
		{name: "execution that does not end in time",
			run: func(tb testing.TB) {
				block := make(chan struct{})
				defer close(block)
				sfntest.Run(tb, order, orderInput, sfntest.Timeout(100*time.Millisecond),
					sfntest.Handler("charge", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
						select {
						case <-block:
						case <-ctx.Done():
						}
						return nil, ctx.Err()
					}))
			},
			want: "sfntest: the execution had not ended after 100ms of real time (a real HTTP call or handler still under way? sfntest.Timeout sets the limit)\n  state machine order; path: Charge\n  history, 3 events:\n      1 ExecutionStarted\n      2 TaskStateEntered Charge\n      3 TaskScheduled handler:charge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := report(t, tt.run)
			if !strings.HasPrefix(rec.fatal, tt.want) {
				t.Errorf("reported:\n%s\nwant a fatal report starting with:\n%s", rec.reported(), tt.want)
			}
		})
	}
}

// TestAssertions checks each assertion, when it holds (nothing reported)
// and when it does not (a message with the history's end).
func TestAssertions(t *testing.T) {
	t.Parallel()
	notShipped := func(tb testing.TB) *sfntest.Result {
		return sfntest.Run(tb, order, orderInput, sfntest.MockConfig(orderMocks, "NotShipped"))
	}
	shipped := func(tb testing.TB) *sfntest.Result {
		return sfntest.Run(tb, order, orderInput, sfntest.MockConfig(orderMocks, "Shipped"))
	}
	tests := []struct {
		name   string
		run    func(tb testing.TB) *sfntest.Result
		assert func(r *sfntest.Result)
		want   []string // substrings of the report, in order; none: nothing reported
	}{
		{name: "succeeded holds", run: shipped, assert: (*sfntest.Result).AssertSucceeded},
		{name: "succeeded fails", run: notShipped, assert: (*sfntest.Result).AssertSucceeded,
			want: []string{"sfntest: the execution ended FAILED with error Order.NotShipped (cause: The order could not be shipped; the charge was refunded.), want SUCCEEDED",
				"state machine order; path: Charge → Ship → Refund → NotShipped", "history, last 12 of 18 events:", "18 ExecutionFailed error=Order.NotShipped"}},
		{name: "failed holds", run: notShipped, assert: func(r *sfntest.Result) { r.AssertFailed("Order.NotShipped") }},
		{name: "failed fails on the error", run: notShipped, assert: func(r *sfntest.Result) { r.AssertFailed("Order.Lost") },
			want: []string{"ended FAILED with error Order.NotShipped", "want FAILED with error Order.Lost"}},
		{name: "failed fails on success", run: shipped, assert: func(r *sfntest.Result) { r.AssertFailed("Order.NotShipped") },
			want: []string{"ended SUCCEEDED, want FAILED with error Order.NotShipped"}},
		{name: "status holds", run: notShipped, assert: func(r *sfntest.Result) { r.AssertStatus("FAILED") }},
		{name: "output holds whatever the order of members", run: shipped,
			assert: func(r *sfntest.Result) {
				r.AssertOutput(`{"shipment": {"trackingId": "t-1"}, "charge": {"chargeId": "ch-1"}, "amount": 12.5, "orderId": "o-1"}`)
			}},
		{name: "output as a Go value", run: shipped,
			assert: func(r *sfntest.Result) {
				r.AssertOutput(map[string]any{"orderId": "o-1", "amount": 12.5, "charge": map[string]string{"chargeId": "ch-1"}, "shipment": map[string]string{"trackingId": "t-1"}})
			}},
		{name: "output differs", run: shipped, assert: func(r *sfntest.Result) { r.AssertOutput(`{"orderId": "o-2"}`) },
			want: []string{"sfntest: output differs (-want +got):", `"orderId"`, `string("o-2")`, `"orderId"`, `string("o-1")`}},
		{name: "no output", run: notShipped, assert: func(r *sfntest.Result) { r.AssertOutput(`{}`) },
			want: []string{"sfntest: the execution has no output: it ended FAILED with error Order.NotShipped", "path: Charge → Ship → Refund → NotShipped"}},
		{name: "path holds", run: notShipped, assert: func(r *sfntest.Result) { r.AssertPath("Charge", "Ship", "Refund", "NotShipped") }},
		{name: "path differs", run: notShipped, assert: func(r *sfntest.Result) { r.AssertPath("Charge", "Ship", "Shipped") },
			want: []string{"sfntest: path differs (-want +got):", `"Shipped"`, `"Refund"`, "history, last 12"}},
		{name: "calls hold", run: notShipped, assert: func(r *sfntest.Result) { r.AssertCalls("Refund", 1) }},
		{name: "calls differ", run: shipped, assert: func(r *sfntest.Result) { r.AssertCalls("Refund", 1) },
			want: []string{`sfntest: state "Refund" made 0 call(s), want 1`}},
		{name: "decode output", run: shipped, assert: func(r *sfntest.Result) {
			var out struct{ Charge struct{ ChargeID string } }
			r.DecodeOutput(&out)
			if out.Charge.ChargeID != "ch-1" {
				panic("decoded " + out.Charge.ChargeID)
			}
		}},
		{name: "decode no output", run: notShipped, assert: func(r *sfntest.Result) { r.DecodeOutput(&struct{}{}) },
			want: []string{"sfntest: the execution has no output: it ended FAILED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r *sfntest.Result
			rec := report(t, func(tb testing.TB) { r = tt.run(tb) })
			if r == nil || rec.reported() != "" {
				t.Fatalf("the run itself reported: %s", rec.reported())
			}
			tt.assert(r)
			got := rec.reported()
			if len(tt.want) == 0 {
				if got != "" {
					t.Errorf("reported:\n%s\nwant nothing", got)
				}
				return
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("reported:\n%s\nwant, in order: %q", got, tt.want)
					return
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestHistoryTail checks that failure messages show only the end of a
// long history.
func TestHistoryTail(t *testing.T) {
	t.Parallel()
	def := `
StartAt: Loop
States:
  Loop:
    Type: Map
    ItemsPath: $.items
    ItemProcessor:
      StartAt: Step
      States:
        Step: {Type: Pass, End: true}
    End: true`
	m := sfntest.Parse(t, "loop", []byte(def))
	var r *sfntest.Result
	rec := report(t, func(tb testing.TB) { r = m.Run(tb, `{"items": [1, 2, 3, 4, 5, 6, 7, 8]}`) })
	if r == nil {
		t.Fatal(rec.reported())
	}
	r.AssertStatus("FAILED")
	got := rec.reported()
	n := len(r.History())
	if !strings.Contains(got, fmt.Sprintf("history, last 12 of %d events:", n)) || strings.Count(got, "\n    ") != 12 ||
		!strings.Contains(got, fmt.Sprintf("%3d ExecutionSucceeded", n)) {
		t.Errorf("reported:\n%s\nwant the last 12 of %d events", got, n)
	}
}

// TestMapCallsNumberedInOrder: the calls of a state inside a Map are
// numbered as the engine schedules them, iteration by iteration, not in
// the order concurrent attempts reach the mocks: call i is item i's, on
// every run, as on a server.
func TestMapCallsNumberedInOrder(t *testing.T) {
	t.Parallel()
	m := sfntest.Parse(t, "numbers", []byte(`{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","End":true,
		"ItemProcessor":{"StartAt":"Price","States":{"Price":{"Type":"Task","Resource":"handler:price","End":true}}}}}}`))
	items := make([]int, 20)
	for i := range items {
		items[i] = i
	}
	for range 5 {
		r := m.Run(t, map[string]any{"items": items}, sfntest.Func("Price", func(c sfntest.Call) sfntest.Answer {
			return sfntest.Ok(strings.TrimSpace(fmt.Sprintf(`{"call": %d, "item": %s}`, c.Number, c.Input)))
		}))
		r.AssertSucceeded()
		var out []struct{ Call, Item int }
		r.DecodeOutput(&out)
		for i, o := range out {
			if o.Call != i || o.Item != i {
				t.Fatalf("iteration %d got call %d (item %d): %v", i, o.Call, o.Item, out)
			}
		}
	}
}
