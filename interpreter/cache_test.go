package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// TestStaleRecordCache: an engine starts each step from the record it last
// committed (its record cache). Here a second engine on the same store (a
// node serving API calls) stops and redrives the execution behind the
// first one's back, so the first engine's cached record is old. Its next
// changes must still be judged on the truth: an answer for the redriven
// task is accepted (the old record knows nothing of that task), the
// answer for the task from before the stop is refused, and nothing is
// written twice.
func TestStaleRecordCache(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := interpreter.New(interpreter.Config{Store: f.store, Clock: f.clock})
	if err := other.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Stop)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"activity:work","End":true}}}`)
	ex := f.start("sm", `{"n":1}`)

	poll := func(eng *interpreter.Engine) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(f.ctx, guard)
		defer cancel()
		token, _, err := eng.PollActivity(ctx, "work", "test")
		if err != nil {
			t.Fatalf("poll: %v; history:\n%s", err, typesOf(f.history(ex.ID)))
		}
		return token
	}
	first := poll(f.eng) // f.eng now caches the record with the task started

	if _, err := other.StopExecution(f.ctx, ex.ID, "Operator.Stop", "behind the first node's back"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.RedriveExecution(f.ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	second := poll(other) // the redriven task, scheduled and started by the other engine

	if err := f.eng.TaskSuccess(f.ctx, first, json.RawMessage(`{"from":"before the stop"}`)); !errors.Is(err, interpreter.ErrTaskNotFound) {
		t.Fatalf("answer for the task from before the stop: %v, want ErrTaskNotFound", err)
	}
	if err := f.eng.TaskSuccess(f.ctx, second, json.RawMessage(`{"from":"the redriven task"}`)); err != nil {
		t.Fatalf("answer for the redriven task, through the engine with the old record: %v", err)
	}
	end := f.wait(ex.ID)
	if end.Status != store.StatusSucceeded || string(end.Output) != `{"from":"the redriven task"}` {
		t.Fatalf("ended %s with %s", end.Status, end.Output)
	}
	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskStateAborted", "ExecutionAborted",
		"ExecutionRedriven", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(want, types(h)); diff != "" {
		t.Fatalf("history (-want +got):\n%s%s", diff, typesOf(h))
	}
}

// TestSucceededDropsThreads: the threads of a succeeded execution are not
// kept in the store (it can never run again); those of a failed one are,
// for its redrive.
func TestSucceededDropsThreads(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"Fan","States":{"Fan":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Ok"},
			"Boom":{"Type":"Fail","Error":"Boom"},"Ok":{"Type":"Pass","End":true}}}]}}}`
	for _, tc := range []struct {
		input   string
		status  string
		threads bool
	}{
		{`{"fail":false}`, store.StatusSucceeded, false},
		{`{"fail":true}`, store.StatusFailed, true},
	} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.put("sm", def)
			ex := f.start("sm", tc.input)
			if end := f.wait(ex.ID); end.Status != tc.status {
				t.Fatalf("ended %s, want %s", end.Status, tc.status)
			}
			rec, err := f.store.GetExecution(f.ctx, ex.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(rec.Threads) > 0; got != tc.threads {
				t.Fatalf("%s execution keeps %d threads in the store; want threads kept: %v", tc.status, len(rec.Threads), tc.threads)
			}
		})
	}
}
