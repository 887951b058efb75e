package interpreter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// budgetDef retries a payment provider that stays down, with a retry
// budget of two hours (MaxElapsedSeconds), then compensates.
const budgetDef = `{"StartAt":"Charge","States":{
	"Charge":{"Type":"Task","Resource":"handler:charge",
		"Retry":[{"ErrorEquals":["Payment.Unavailable"],"IntervalSeconds":600,"BackoffRate":2,"MaxAttempts":100,"MaxElapsedSeconds":7200}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Compensate"}],"End":true},
	"Compensate":{"Type":"Pass","Result":"refunded","ResultPath":"$.compensation","End":true}}}`

func down(context.Context, json.RawMessage) (json.RawMessage, error) {
	return nil, &failure.Error{Name: "Payment.Unavailable", Cause: "the provider is down"}
}

// TestRetryBudgetEndsInCatch: "the payment provider has been down for two
// hours: stop retrying and compensate". The attempts start at 0, 10, 30
// and 70 minutes; the next would start at 150, past the budget of 120, so
// the error goes to Catch at once, at 70 minutes, not after 150.
func TestRetryBudgetEndsInCatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.eng.RegisterHandler("charge", down)
	f.put("pay", budgetDef)
	ex := f.start("pay", `{"order":1}`)
	got, dues := f.driveDue(ex.ID)
	if diff := cmp.Diff(secs(600, 1800, 4200), dues); diff != "" {
		t.Errorf("retry due times (-want +got):\n%s", diff)
	}
	if got.Status != store.StatusSucceeded || !jsonEqual(t, decode(t, got.Output),
		`{"order":1,"error":{"Error":"Payment.Unavailable","Cause":"the provider is down"},"compensation":"refunded"}`) {
		t.Fatalf("ended %s %s %q %s", got.Status, got.Error, got.Cause, got.Output)
	}
	h := f.history(ex.ID)
	if n := count(h, "TaskFailed"); n != 4 {
		t.Errorf("%d attempts failed, want 4", n)
	}
	if !got.StoppedAt.Equal(epoch.Add(4200 * time.Second)) {
		t.Errorf("stopped at %s, want at the fourth attempt's failure (70 minutes in)", got.StoppedAt.Sub(epoch))
	}
}

// TestRetryBudgetOnRedis: the same rule on Redis, on the real clock, with
// a budget of 2 s: attempts at 0 and 1 s; the next (at 3 s) is past it.
func TestRetryBudgetOnRedis(t *testing.T) {
	t.Parallel()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 4, Prefix: "budget"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	eng := interpreter.New(interpreter.Config{Store: st, TimerPoll: 20 * time.Millisecond})
	eng.RegisterHandler("charge", down)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	def := `{"StartAt":"Charge","States":{
		"Charge":{"Type":"Task","Resource":"handler:charge",
			"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":10,"MaxElapsedSeconds":2}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Compensate"}],"End":true},
		"Compensate":{"Type":"Pass","Result":"compensated","End":true}}}`
	if _, err := eng.PutStateMachine(ctx, "pay", []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "pay", Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.Wait(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusSucceeded || string(got.Output) != `"compensated"` {
		t.Fatalf("ended %s %s with %s", got.Status, got.Error, got.Output)
	}
	evs, err := st.History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range evs {
		if bytes.Contains(e.Data, []byte(`"type":"TaskFailed"`)) {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d attempts, want 2 (the third would start past the budget)", failed)
	}
}
