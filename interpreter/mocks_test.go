package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// orderMocks mocks every kind of task of orderDef but the last, in the
// test case Happy: a callback, an HTTP call that fails twice (its Retry
// consumes call numbers 0 and 1), an activity and a .sync child.
const orderMocks = `{
  "StateMachines": {"order": {"TestCases": {
    "Happy": {"Confirm": "Confirmed", "Charge": "ChargeFlaky", "Kitchen": "Cooked", "Deliver": "Delivered"},
    "Slow": {"Confirm": "ConfirmedLate"},
    "Late": {"Confirm": "TooLate"}
  }}},
  "MockedResponses": {
    "Confirmed": {"0": {"Return": {"accepted": true}}},
    "ConfirmedLate": {"0": {"Return": {"accepted": "late"}, "Delay": 30}},
    "TooLate": {"0": {"Return": {"accepted": "never seen"}, "Delay": 60}},
    "ChargeFlaky": {
      "0-1": {"Throw": {"Error": "Payment.Unavailable", "Cause": "the provider is down"}},
      "2": {"Return": {"status": "APPROVED"}}
    },
    "Cooked": {"0": {"Return": {"dishes": 2}}},
    "Delivered": {"0": {"Return": {"Output": {"courier": "c-1"}}}}
  }
}`

// orderDef calls one of each kind of task; Notify, a real HTTP call, is
// mocked by no test case.
func orderDef(url string) string {
	return `{"StartAt":"Confirm","States":{
	"Confirm":{"Type":"Task","Resource":"arn:aws:states:::http:invoke.waitForTaskToken",
		"Parameters":{"ApiEndpoint":"` + url + `/confirm","Method":"POST","RequestBody":{"token.$":"$$.Task.Token"}},
		"ResultPath":"$.confirmed","Next":"Charge"},
	"Charge":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Parameters":{"ApiEndpoint":"` + url + `/charge","Method":"POST"},
		"Retry":[{"ErrorEquals":["Payment.Unavailable"],"IntervalSeconds":1,"MaxAttempts":3}],
		"ResultPath":"$.charge","Next":"Kitchen"},
	"Kitchen":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:kitchen","ResultPath":"$.kitchen","Next":"Deliver"},
	"Deliver":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"courier","Input":{}},"ResultSelector":{"courier.$":"$.Output.courier"},"ResultPath":"$.delivery","Next":"Notify"},
	"Notify":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Parameters":{"ApiEndpoint":"` + url + `/notify","Method":"POST"},"ResultSelector":{"code.$":"$.StatusCode"},"ResultPath":"$.notified","End":true}}}`
}

func parseMocks(t *testing.T, text string) *mockconfig.Config {
	t.Helper()
	c, err := mockconfig.Parse([]byte(text), "mocks.json")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func withMocks(c *mockconfig.Config) func(*interpreter.Config) {
	return func(cfg *interpreter.Config) { cfg.Mocks = c }
}

func (f *fixture) startCase(sm, name, testCase, input string) (*interpreter.Execution, error) {
	ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: sm, Name: name, Input: json.RawMessage(input), TestCase: testCase})
	return ex, err
}

// TestMockedExecution: every kind of task answered by its test case; the
// states it does not name run for real; the history says which answers
// were mocked.
func TestMockedExecution(t *testing.T) {
	t.Parallel()
	svc := newService(t, 200)
	f := setup(t, withMocks(parseMocks(t, orderMocks)))
	f.put("courier", `{"StartAt":"Go","States":{"Go":{"Type":"Pass","End":true}}}`)
	f.put("order", orderDef(svc.URL))
	ex, err := f.startCase("order", "run", "Happy", `{"id":7}`)
	if err != nil {
		t.Fatal(err)
	}
	if ex.TestCase != "Happy" {
		t.Errorf("the start says test case %q, want Happy", ex.TestCase)
	}
	got, dues := f.driveDue(ex.ID)
	if got.Status != store.StatusSucceeded || !jsonEqual(t, decode(t, got.Output),
		`{"id":7,"confirmed":{"accepted":true},"charge":{"status":"APPROVED"},"kitchen":{"dishes":2},"delivery":{"courier":"c-1"},"notified":{"code":200}}`) {
		t.Fatalf("ended %s %s %q %s", got.Status, got.Error, got.Cause, got.Output)
	}
	if diff := cmp.Diff(secs(1, 3), dues); diff != "" {
		t.Errorf("retry due times: the two mocked failures of Charge are retried (-want +got):\n%s", diff)
	}
	// Only Notify reached the service.
	if reqs := svc.requests(); len(reqs) != 1 {
		t.Errorf("the service saw %+v, want the one call of Notify", reqs)
	}
	// No worker could have taken the mocked activity; no child started.
	if task, err := f.store.PopActivity(f.ctx, "arn:aws:states:us-east-1:123456789012:activity:kitchen"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the mocked activity was queued for workers: %+v %v", task, err)
	}
	if started, _, err := f.store.ListExecutions(f.ctx, store.ListQuery{StateMachine: "courier"}); err != nil || len(started) != 0 {
		t.Errorf("the mocked .sync child started executions: %+v %v", started, err)
	}
	if d, err := f.eng.GetExecution(f.ctx, ex.ID); err != nil || d.TestCase != "Happy" {
		t.Errorf("described with test case %q (%v), want Happy", d.TestCase, err)
	}

	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	if h[0].Fields["testCase"] != "Happy" {
		t.Errorf("ExecutionStarted %s: want testCase Happy", h[0].Raw)
	}
	mocked := map[string][]string{} // event type -> mocked responses, in order
	for _, e := range h {
		if r, ok := e.Fields["mockedResponse"].(string); ok {
			mocked[e.Type] = append(mocked[e.Type], r)
		}
	}
	want := map[string][]string{
		"TaskScheduled":     {"Confirmed", "ChargeFlaky", "ChargeFlaky", "ChargeFlaky", "Delivered"},
		"TaskFailed":        {"ChargeFlaky", "ChargeFlaky"},
		"TaskSucceeded":     {"Confirmed", "ChargeFlaky", "Delivered"},
		"ActivityScheduled": {"Cooked"},
		"ActivitySucceeded": {"Cooked"},
	}
	for typ, names := range want {
		if strings.Join(mocked[typ], ",") != strings.Join(names, ",") {
			t.Errorf("%s events name the mocked responses %v, want %v", typ, mocked[typ], names)
		}
	}
	if ok := find(h, "TaskSucceeded"); len(ok) != 4 || ok[3].Fields["mockedResponse"] != nil {
		t.Errorf("%d TaskSucceeded; want 4, the last (Notify's real call) naming no mocked response", len(ok))
	}
	if n := count(h, "TaskSubmitted"); n != 0 {
		t.Errorf("%d TaskSubmitted: a mocked callback is answered, not submitted", n)
	}
}

// TestMockedDelay: a Delay holds the answer back on the engine's clock; one
// longer than the state's timeout ends as a real late answer would.
func TestMockedDelay(t *testing.T) {
	t.Parallel()
	svc := newService(t, 200)
	f := setup(t, withMocks(parseMocks(t, orderMocks)))
	f.put("order", `{"StartAt":"Confirm","States":{
		"Confirm":{"Type":"Task","Resource":"arn:aws:states:::http:invoke.waitForTaskToken","TimeoutSeconds":45,
			"Parameters":{"ApiEndpoint":"`+svc.URL+`/confirm","Method":"POST"},"End":true}}}`)

	slow, err := f.startCase("order", "slow", "Slow", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	late, err := f.startCase("order", "late", "Late", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	// The delays run on the engine's clock from the dispatch of the calls.
	if at := f.clock.nextWaiter(t, epoch.Add(30*time.Second)); !at.Equal(epoch.Add(30 * time.Second)) {
		t.Fatalf("the first wait ends at %s, want the 30 s delay's end", at)
	}
	f.clock.set(epoch.Add(29 * time.Second))
	if d, _ := f.eng.GetExecution(f.ctx, slow.ID); d.Status != store.StatusRunning {
		t.Fatalf("after 29 s of a 30 s delay the execution is %s", d.Status)
	}
	f.clock.advanceTo(t, epoch.Add(30*time.Second))
	if got := f.wait(slow.ID); got.Status != store.StatusSucceeded || string(got.Output) != `{"accepted":"late"}` {
		t.Errorf("slow: ended %s %s with %s", got.Status, got.Error, got.Output)
	}
	f.clock.advanceTo(t, epoch.Add(45*time.Second))
	if got := f.wait(late.ID); got.Status != store.StatusFailed || got.Error != "States.Timeout" {
		t.Errorf("late: ended %s %s, want FAILED States.Timeout (the 60 s delay outlasts the 45 s timeout)", got.Status, got.Error)
	}
	if reqs := svc.requests(); len(reqs) != 0 {
		t.Errorf("mocked callbacks made %d requests", len(reqs))
	}
}

// TestMockedStartRefused: a start with a test case the server does not
// have is refused, and says what there is.
func TestMockedStartRefused(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	f := setup(t, withMocks(parseMocks(t, orderMocks)))
	f.put("order", orderDef("http://127.0.0.1:1")) // Notify's call fails: no matter
	f.put("other", def)
	tests := []struct {
		sm, testCase, want string
	}{
		{"order", "Sad", `state machine "order" has no test case "Sad" (it has "Happy", "Late", "Slow")`},
		{"other", "Happy", `the mock configuration has no state machine "other" (it has "order")`},
	}
	for _, tt := range tests {
		_, err := f.startCase(tt.sm, "x", tt.testCase, `{}`)
		if !errors.Is(err, interpreter.ErrNoTestCase) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s#%s: %v, want ErrNoTestCase saying %s", tt.sm, tt.testCase, err, tt.want)
		}
	}
	bare := setup(t)
	bare.put("order", def)
	if _, err := bare.startCase("order", "x", "Happy", `{}`); !errors.Is(err, interpreter.ErrNoTestCase) || !strings.Contains(err.Error(), "no mock configuration") {
		t.Errorf("a server without a mock configuration: %v", err)
	}
	// The name of a mocked execution is not the name of a real one.
	if _, err := f.startCase("order", "same", "Happy", `{}`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.startCase("order", "same", "", `{}`); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("the same name without the test case: %v, want ErrAlreadyExists", err)
	}
	if _, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "order", Name: "same", Input: json.RawMessage(`{}`), TestCase: "Happy"}); err != nil {
		t.Errorf("the same start again is its retry: %v", err)
	}
}

// TestMockedCallRecovered: a mocked call in flight on a node that stops is
// answered by the node that takes the execution over, from the same
// mocked response and call number.
func TestMockedCallRecovered(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	mocks := parseMocks(t, `{"StateMachines": {"m": {"TestCases": {"T": {"Work": "Slowly"}}}},
		"MockedResponses": {"Slowly": {"0": {"Return": {"n": 1}, "Delay": 2}}}}`) // long enough for Stop to come first on a loaded machine
	st := memory.WithLeases(memory.New(), 4)
	first := interpreter.New(interpreter.Config{Store: st, Mocks: mocks, TimerPoll: 20 * time.Millisecond, LeaseTTL: time.Second})
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := first.PutStateMachine(ctx, "m", []byte(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := first.StartExecution(ctx, interpreter.StartParams{StateMachine: "m", Name: "r", TestCase: "T"})
	if err != nil {
		t.Fatal(err)
	}
	first.Stop() // before the delay ends: its answer is never recorded
	if rec, err := st.GetExecution(ctx, ex.ID); err != nil || rec.Status != store.StatusRunning {
		t.Fatalf("after the first node stopped: %+v %v", rec, err)
	}
	second := interpreter.New(interpreter.Config{Store: st, Mocks: mocks, TimerPoll: 20 * time.Millisecond, LeaseTTL: time.Second})
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	got, err := second.Wait(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusSucceeded || string(got.Output) != `{"n":1}` {
		t.Fatalf("ended %s %s %q with %s", got.Status, got.Error, got.Cause, got.Output)
	}
}

// TestMockedDistributedMap: the children of a mocked execution's Map Run
// run with its test case (each child counts its own calls), so that a
// distributed Map's processor is mocked as an inline one is.
func TestMockedDistributedMap(t *testing.T) {
	t.Parallel()
	f := setup(t, withMocks(parseMocks(t, `{"StateMachines": {"prices": {"TestCases": {"T": {"Price": "Priced"}}}},
		"MockedResponses": {"Priced": {"0": {"Return": {"p": 1}}}}}`)))
	f.put("prices", `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Price","States":{
			"Price":{"Type":"Task","Resource":"handler:unregistered","End":true}}}}}}`)
	ex, err := f.startCase("prices", "run", "T", `{"items":[1,2,3]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded || string(got.Output) != `[{"p":1},{"p":1},{"p":1}]` {
		t.Fatalf("ended %s %s %q with %s", got.Status, got.Error, got.Cause, got.Output)
	}
}

// TestMockedSyncAnswerStopsNothing: a mocked .sync answer names an
// execution (mocks are copied from real answers), but the attempt started
// no child: when nobody records the answer (the attempt timed out first),
// the execution it names is not stopped as an orphaned child.
func TestMockedSyncAnswerStopsNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, withMocks(parseMocks(t, `{"StateMachines": {"order": {"TestCases": {"Late": {"Deliver": "CourierLate"}}}},
		"MockedResponses": {"CourierLate": {"0": {"Return": {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:victim:v1", "Output": {}}, "Delay": 60}}}}`)))
	f.put("victim", `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":1000,"End":true}}}`)
	f.put("courier", `{"StartAt":"Go","States":{"Go":{"Type":"Pass","End":true}}}`)
	f.put("order", `{"StartAt":"Deliver","States":{
		"Deliver":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","TimeoutSeconds":10,
			"Parameters":{"StateMachineArn":"courier","Input":{}},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Gave up"}],"End":true},
		"Gave up":{"Type":"Pass","End":true}}}`)
	victim, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "victim", Name: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := f.startCase("order", "late", "Late", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advanceTo(t, epoch.Add(10*time.Second))
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("order ended %s %s", got.Status, got.Error)
	}
	f.clock.set(epoch.Add(61 * time.Second)) // past the mocked answer's delay
	if h := f.history(ex.ID); count(h, "TaskTimedOut") != 1 {
		t.Errorf("history %s: want the attempt timed out", typesOf(h))
	}
	if d, err := f.eng.GetExecution(f.ctx, victim.ID); err != nil || d.Status != store.StatusRunning {
		t.Fatalf("the execution the mocked answer names is %s (%v), want RUNNING", d.Status, err)
	}
}

// TestMockedStartChecksStates: a test case naming a state that is not a
// Task state of the definition (a typo) is refused at the start, rather
// than letting the real state run in an execution labelled mocked.
func TestMockedStartChecksStates(t *testing.T) {
	t.Parallel()
	f := setup(t, withMocks(parseMocks(t, `{"StateMachines": {"order": {"TestCases": {"Typo": {"ChargePaymnet": "Ok"}, "Pass": {"Done": "Ok"}}}},
		"MockedResponses": {"Ok": {"0": {"Return": {}}}}}`)))
	f.put("order", `{"StartAt":"ChargePayment","States":{"ChargePayment":{"Type":"Task","Resource":"handler:charge","Next":"Done"},"Done":{"Type":"Pass","End":true}}}`)
	for tc, want := range map[string]string{
		"Typo": `test case "Typo" mocks "ChargePaymnet", which is not a Task state of state machine "order" (version 1)`,
		"Pass": `test case "Pass" mocks "Done", which is not a Task state of state machine "order" (version 1)`,
	} {
		if _, err := f.startCase("order", tc, tc, `{}`); !errors.Is(err, interpreter.ErrNoTestCase) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrNoTestCase saying %s", tc, err, want)
		}
	}
}
