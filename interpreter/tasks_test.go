package interpreter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// scripted is a handler that fails with the listed error names in order
// ("" succeeds, echoing its input) and records every input it got.
type scripted struct {
	mu     sync.Mutex
	script []string
	inputs []string
}

func (s *scripted) handle(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.inputs)
	s.inputs = append(s.inputs, string(in))
	if n < len(s.script) && s.script[n] != "" {
		return nil, &failure.Error{Name: s.script[n], Cause: "scripted"}
	}
	return in, nil
}

func (s *scripted) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.inputs...)
}

func secs(f ...float64) []time.Duration {
	out := make([]time.Duration, len(f))
	for i, s := range f {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

// TestRetryTiming checks when each retry is due (offsets from the start;
// the handler answers at once, so each due time is the previous one plus
// the back-off).
func TestRetryTiming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		retry   string
		script  []string
		random  float64
		dues    []time.Duration
		status  string
		errName string
	}{
		{name: "interval and backoff, capped by MaxDelaySeconds",
			retry:  `[{"ErrorEquals":["E"],"IntervalSeconds":3,"BackoffRate":2,"MaxDelaySeconds":10,"MaxAttempts":4}]`,
			script: []string{"E", "E", "E", "E", "E"}, dues: secs(3, 9, 19, 29), status: store.StatusFailed, errName: "E"},
		{name: "defaults: 1s, rate 2, 3 attempts",
			retry:  `[{"ErrorEquals":["States.ALL"]}]`,
			script: []string{"E", "E", "E", ""}, dues: secs(1, 3, 7), status: store.StatusSucceeded},
		{name: "full jitter scales the delay by Random",
			retry:  `[{"ErrorEquals":["E"],"IntervalSeconds":4,"BackoffRate":2,"MaxAttempts":2,"JitterStrategy":"FULL"}]`,
			random: 0.25, script: []string{"E", "E", ""}, dues: secs(1, 3), status: store.StatusSucceeded},
		{name: "each retrier counts its own attempts",
			retry:  `[{"ErrorEquals":["A"],"IntervalSeconds":1,"MaxAttempts":1},{"ErrorEquals":["B"],"IntervalSeconds":5,"BackoffRate":1,"MaxAttempts":2}]`,
			script: []string{"A", "B", "B", "A"}, dues: secs(1, 6, 11), status: store.StatusFailed, errName: "A"},
		{name: "MaxAttempts 0 never retries, even when a later retrier matches",
			retry:  `[{"ErrorEquals":["E"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}]`,
			script: []string{"E", ""}, dues: nil, status: store.StatusFailed, errName: "E"},
		{name: "a non-matching error is not retried",
			retry:  `[{"ErrorEquals":["Other"],"MaxAttempts":5}]`,
			script: []string{"E"}, dues: nil, status: store.StatusFailed, errName: "E"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			random := tc.random
			if random == 0 {
				random = 0.5
			}
			f := setup(t, func(c *interpreter.Config) { c.Random = func() float64 { return random } })
			h := &scripted{script: tc.script}
			f.eng.RegisterHandler("h", h.handle)
			f.put("sm", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:h","End":true,"Retry":`+tc.retry+`}}}`)
			ex, dues := f.driveDue(f.start("sm", `{}`).ID)
			if ex.Status != tc.status || ex.Error != tc.errName {
				t.Errorf("ended %s %q, want %s %q", ex.Status, ex.Error, tc.status, tc.errName)
			}
			if diff := cmp.Diff(tc.dues, dues); diff != "" {
				t.Errorf("due times (-want +got):\n%s", diff)
			}
			hist := f.history(ex.ID)
			checkInvariants(t, hist, true)
			if got, want := count(hist, "TaskScheduled"), len(tc.dues)+1; got != want {
				t.Errorf("%d attempts, want %d", got, want)
			}
		})
	}
}

func TestRetryCountInContext(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := &scripted{script: []string{"E", "E", ""}}
	f.eng.RegisterHandler("h", h.handle)
	f.put("sm", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:h","End":true,
		"Parameters":{"n.$":"$$.State.RetryCount","state.$":"$$.State.Name"},
		"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":1}]}}}`)
	ex := f.drive(f.start("sm", `{}`).ID)
	if ex.Status != store.StatusSucceeded || string(ex.Output) != `{"n":2,"state":"Call"}` {
		t.Errorf("ended %s %s", ex.Status, ex.Output)
	}
	want := []string{`{"n":0,"state":"Call"}`, `{"n":1,"state":"Call"}`, `{"n":2,"state":"Call"}`}
	if diff := cmp.Diff(want, h.calls()); diff != "" {
		t.Errorf("handler inputs (-want +got):\n%s", diff)
	}
}

const activityARN = "arn:aws:states:us-east-1:123456789012:activity:"

// poll takes the next task of an activity.
func (f *fixture) poll(activity string) (string, json.RawMessage) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, guard)
	defer cancel()
	tok, in, err := f.eng.PollActivity(ctx, activity, "tester")
	if err != nil {
		f.t.Fatalf("PollActivity %s: %v", activity, err)
	}
	return tok, in
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+activityARN+`hb",
		"HeartbeatSeconds":10,"TimeoutSeconds":100,"End":true}}}`)
	ex := f.start("sm", `{"job":1}`)
	rec, _ := f.store.GetExecution(f.ctx, ex.ID)
	if want := epoch.Add(100 * time.Second); !rec.DueAt.Equal(want) {
		t.Errorf("before a worker took it, due at %v, want the task timeout %v", rec.DueAt, want)
	}
	tok, in := f.poll("hb")
	if string(in) != `{"job":1}` {
		t.Errorf("activity input %s", in)
	}
	rec, h := f.waitFor(ex.ID, "ActivityStarted", func(_ *store.Execution, h []event) bool { return count(h, "ActivityStarted") == 1 })
	if want := epoch.Add(10 * time.Second); !rec.DueAt.Equal(want) {
		t.Errorf("after the poll, due at %v, want %v", rec.DueAt, want)
	}
	if e := find(h, "ActivityStarted")[0]; e.Fields["workerName"] != "tester" {
		t.Errorf("ActivityStarted %s", e.Raw)
	}

	// A heartbeat at +8s moves the deadline to +18s.
	f.clock.set(epoch.Add(8 * time.Second))
	if err := f.eng.TaskHeartbeat(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	rec, _ = f.store.GetExecution(f.ctx, ex.ID)
	if want := epoch.Add(18 * time.Second); !rec.DueAt.Equal(want) {
		t.Errorf("after the heartbeat, due at %v, want %v", rec.DueAt, want)
	}
	// Missing the next one fails the task, and the execution, with States.Timeout.
	f.clock.advanceTo(t, epoch.Add(18*time.Second))
	got := f.wait(ex.ID)
	if got.Status != store.StatusFailed || got.Error != failure.Timeout {
		t.Fatalf("ended %s %q %q, want FAILED States.Timeout", got.Status, got.Error, got.Cause)
	}
	h = f.history(ex.ID)
	checkInvariants(t, h, true)
	// Activities are written with AWS's Activity… event names.
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"}
	if diff := cmp.Diff(want, types(h)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if e := find(h, "ActivityTimedOut")[0]; e.Fields["error"] != failure.Timeout || e.Time != "2026-01-02T03:04:23.000Z" {
		t.Errorf("ActivityTimedOut %s", e.Raw)
	}
	if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{}`)); !errors.Is(err, interpreter.ErrTaskNotFound) {
		t.Errorf("success after the heartbeat timeout: %v, want ErrTaskNotFound", err)
	}
}

func TestHeartbeatTimeoutIsCaught(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"Work","States":{
		"Work":{"Type":"Task","Resource":"`+activityARN+`hb2","HeartbeatSeconds":5,"Next":"Done",
			"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"ResultPath":"$.err","Next":"Done"}]},
		"Done":{"Type":"Pass","End":true}}}`)
	ex := f.start("sm", `{}`)
	f.poll("hb2")
	f.clock.advanceTo(t, epoch.Add(5*time.Second))
	got := f.wait(ex.ID)
	if got.Status != store.StatusSucceeded {
		t.Fatalf("ended %s %q: a catcher for States.HeartbeatTimeout must catch a missed heartbeat", got.Status, got.Error)
	}
	var out struct{ Err struct{ Error string } }
	if err := json.Unmarshal(got.Output, &out); err != nil || out.Err.Error != failure.Timeout {
		t.Errorf("caught error output %s; the error is still reported as States.Timeout", got.Output)
	}
}

func TestTaskTokens(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+activityARN+`tok","End":true}}}`)
	ex := f.start("sm", `{}`)
	tok, _ := f.poll("tok")
	tk, ok := interpreter.ParseToken(tok)
	if !ok || tk.ExecutionID != ex.ID {
		t.Fatalf("token %q parses as %+v %v", tok, tk, ok)
	}
	forged := interpreter.MakeToken(tk.ExecutionID, tk.Thread, tk.ScheduledID, "0123456789abcdef")
	unknown := interpreter.MakeToken("sm:nobody", 1, 3, tk.Secret)
	otherEvent := interpreter.MakeToken(tk.ExecutionID, tk.Thread, tk.ScheduledID+1, tk.Secret)
	for name, bad := range map[string]string{"forged": forged, "unknown": unknown, "other event": otherEvent, "garbage": "not-a-token", "empty": ""} {
		if err := f.eng.TaskSuccess(f.ctx, bad, json.RawMessage(`{}`)); !errors.Is(err, interpreter.ErrTaskNotFound) {
			t.Errorf("%s token: TaskSuccess %v, want ErrTaskNotFound", name, err)
		}
		if err := f.eng.TaskHeartbeat(f.ctx, bad); !errors.Is(err, interpreter.ErrTaskNotFound) {
			t.Errorf("%s token: TaskHeartbeat %v, want ErrTaskNotFound", name, err)
		}
	}
	if err := f.eng.TaskHeartbeat(f.ctx, tok); err != nil {
		t.Errorf("heartbeat of a task without HeartbeatSeconds: %v", err)
	}
	if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"ok":1}`)); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"second success": func() error { return f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"ok":2}`)) },
		"failure after":  func() error { return f.eng.TaskFailure(f.ctx, tok, "E", "c") },
		"heartbeat":      func() error { return f.eng.TaskHeartbeat(f.ctx, tok) },
	} {
		if err := call(); !errors.Is(err, interpreter.ErrTaskNotFound) {
			t.Errorf("%s on a finished token: %v, want ErrTaskNotFound", name, err)
		}
	}
	got := f.wait(ex.ID)
	if string(got.Output) != `{"ok":1}` {
		t.Errorf("output %s", got.Output)
	}
}

// TestWithdrawnCallIsNotMade: a task scheduled and withdrawn in the same
// step (a sibling branch failed at once) must not be called: its
// TaskScheduled is followed by TaskStateAborted, nobody waits for it.
func TestWithdrawnCallIsNotMade(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var calls atomic.Int64
	f.eng.RegisterHandler("count", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		return nil, nil
	})
	f.put("sm", `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:count","End":true}}},
		{"StartAt":"Broken","States":{"Broken":{"Type":"Fail","Error":"Broken"}}}]}}}`)
	ex := f.wait(f.start("sm", `{}`).ID)
	if ex.Status != store.StatusFailed || ex.Error != "Broken" {
		t.Fatalf("ended %s %q", ex.Status, ex.Error)
	}
	f.eng.Stop() // waits for any call in flight
	if n := calls.Load(); n != 0 {
		t.Errorf("the withdrawn task was called %d times", n)
	}
}

// TestActivityEventNamesFixedAtScheduling: an activity attempt writes
// AWS's Activity… events, and the names are those of the attempt's
// scheduling. An attempt stored by a release that wrote Task… events for
// activities (its thread has no "events") ends with Task… events; the next
// attempt, scheduled now, is Activity… again.
func TestActivityEventNamesFixedAtScheduling(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true,
		"Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1,"BackoffRate":1}]}}}`)
	ex := f.start("sm", `{}`)
	f.waitEvent(ex.ID, "ActivityScheduled", 1)

	// Make the stored attempt look as an earlier release left it.
	rec, err := f.store.GetExecution(f.ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string][]byte{}
	for k, b := range rec.Threads {
		if old := bytes.ReplaceAll(b, []byte(`,"events":"Activity"`), nil); !bytes.Equal(old, b) {
			set[k] = old
		}
	}
	if len(set) != 1 {
		t.Fatalf("%d threads carry the attempt's event names, want 1: %q", len(set), rec.Threads)
	}
	next := *rec
	next.RecordVersion++
	if err := f.store.Commit(f.ctx, store.CommitParams{ID: ex.ID, ExpectedVersion: rec.RecordVersion, Record: &next, SetThreads: set}); err != nil {
		t.Fatal(err)
	}

	tok := pollWork(t, f, secondEngine(t, f)) // a fresh engine reads the rewritten record
	if err := f.eng.TaskFailure(f.ctx, tok, "Busy", ""); err != nil {
		t.Fatal(err)
	}
	f.waitEvent(ex.ID, "TaskFailed", 1)
	f.clock.advanceTo(t, epoch.Add(time.Second)) // the retry's back-off
	tok = pollWork(t, f, f.eng)
	if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("ended %s %q", got.Status, got.Error)
	}
	want := []string{"ExecutionStarted", "TaskStateEntered",
		"ActivityScheduled", "TaskStarted", "TaskFailed", // the earlier release's attempt
		"ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
		"TaskStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(want, types(f.history(ex.ID))); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}
