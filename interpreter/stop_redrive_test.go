package interpreter_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

const oneTask = `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:block","End":true}}}`

func TestStopRunningTask(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, errName, cause string }{
		{name: "error and cause", errName: "Operator.Stop", cause: "stopped by the test"},
		{name: "no error or cause"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			b := newBlocker()
			f.eng.RegisterHandler("block", b.handle)
			f.put("sm", oneTask)
			ex := f.start("sm", `{"k":1}`)
			call := b.next(t)

			got, err := f.eng.StopExecution(f.ctx, ex.ID, tc.errName, tc.cause)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.StatusAborted || got.Error != tc.errName || got.Cause != tc.cause || got.StoppedAt.IsZero() {
				t.Fatalf("stop answered %s %q %q stopped %v", got.Status, got.Error, got.Cause, got.StoppedAt)
			}
			call.cancelled(t)
			// The handler answered after its cancellation; Stop waits for
			// the engine to have handled that answer.
			f.eng.Stop()

			h := f.history(ex.ID)
			checkInvariants(t, h, true)
			// The call was under way: TaskStarted, then the abort.
			want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskStateAborted", "ExecutionAborted"}
			if diff := cmp.Diff(want, types(h)); diff != "" {
				t.Fatalf("history (-want +got):\n%s%s", diff, typesOf(h))
			}
			last := h[len(h)-1].Fields
			for k, v := range map[string]string{"error": tc.errName, "cause": tc.cause} {
				gotV, present := last[k]
				if v == "" && present {
					t.Errorf("ExecutionAborted has %s %v; want it absent", k, gotV)
				}
				if v != "" && gotV != v {
					t.Errorf("ExecutionAborted %s = %v, want %q", k, gotV, v)
				}
			}
			if h[4].Fields["name"] != "Call" {
				t.Errorf("TaskStateAborted name %v", h[4].Fields["name"])
			}

			// Stopping an ended execution changes nothing.
			before, _ := f.store.GetExecution(f.ctx, ex.ID)
			again, err := f.eng.StopExecution(f.ctx, ex.ID, "Other", "again")
			if err != nil {
				t.Fatal(err)
			}
			after, _ := f.store.GetExecution(f.ctx, ex.ID)
			if again.Status != store.StatusAborted || again.Error != tc.errName || after.RecordVersion != before.RecordVersion {
				t.Errorf("second stop: %s %q, record %d -> %d", again.Status, again.Error, before.RecordVersion, after.RecordVersion)
			}
			if n := len(f.history(ex.ID)); n != len(h) {
				t.Errorf("second stop wrote events: %d -> %d", len(h), n)
			}
		})
	}
}

func TestStopSucceededExecutionIsUnchanged(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	ex := f.wait(f.start("sm", `{"a":1}`).ID)
	got, err := f.eng.StopExecution(f.ctx, ex.ID, "E", "C")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusSucceeded || got.Error != "" || string(got.Output) != `{"a":1}` {
		t.Errorf("stop of a succeeded execution: %+v", got)
	}
	if _, err := f.eng.StopExecution(f.ctx, "sm:nothing", "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stop of an unknown execution: %v, want store.ErrNotFound", err)
	}
}

func TestStopDuringMapIterations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", `{"StartAt":"Each","States":{"Each":{"Type":"Map","MaxConcurrency":2,"End":true,
		"ItemProcessor":{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:block","End":true}}}}}}`)
	ex := f.start("sm", `[10,20,30]`)
	calls := []*blockedCall{b.next(t), b.next(t)}
	if _, err := f.eng.StopExecution(f.ctx, ex.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		c.cancelled(t)
	}
	f.eng.Stop()
	h := f.history(ex.ID)
	checkInvariants(t, h, false)
	if n := count(h, "TaskStateAborted"); n != 2 {
		t.Errorf("%d TaskStateAborted, want 2\n%s", n, typesOf(h))
	}
	var idx []float64
	for _, e := range find(h, "MapIterationAborted") {
		idx = append(idx, e.Fields["index"].(float64))
	}
	slices.Sort(idx)
	if diff := cmp.Diff([]float64{0, 1}, idx); diff != "" {
		t.Errorf("MapIterationAborted indexes (-want +got):\n%s", diff)
	}
	if count(h, "MapStateAborted") != 1 || h[len(h)-1].Type != "ExecutionAborted" {
		t.Errorf("want one MapStateAborted and ExecutionAborted last:\n%s", typesOf(h))
	}
	if count(h, "MapIterationStarted") != 2 {
		t.Errorf("the third iteration started:\n%s", typesOf(h))
	}
	// Each iteration's aborted events follow that iteration's own events.
	for _, e := range find(h, "MapIterationAborted") {
		if p := h[e.Prev-1]; p.Type != "TaskStateAborted" {
			t.Errorf("MapIterationAborted %d follows %s", e.ID, p.Type)
		}
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, def string }{
		{"task", `{"TimeoutSeconds":30,"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:block","End":true}}}`},
		{"wait", `{"TimeoutSeconds":30,"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":100,"End":true}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			b := newBlocker()
			f.eng.RegisterHandler("block", b.handle)
			f.put("sm", tc.def)
			ex := f.start("sm", `{}`)
			var call *blockedCall
			if tc.name == "task" {
				call = b.next(t)
			}
			rec, _ := f.store.GetExecution(f.ctx, ex.ID)
			if want := epoch.Add(30 * time.Second); !rec.DueAt.Equal(want) {
				t.Fatalf("due at %v, want %v", rec.DueAt, want)
			}
			f.clock.advanceTo(t, epoch.Add(30*time.Second))
			got := f.wait(ex.ID)
			if got.Status != store.StatusTimedOut || got.Error != failure.Timeout {
				t.Fatalf("%s %q %q, want TIMED_OUT States.Timeout", got.Status, got.Error, got.Cause)
			}
			if !got.StoppedAt.Equal(epoch.Add(30 * time.Second)) {
				t.Errorf("stopped at %v", got.StoppedAt)
			}
			if call != nil {
				call.cancelled(t)
			}
			h := f.history(ex.ID)
			checkInvariants(t, h, true)
			last := h[len(h)-1]
			if last.Type != "ExecutionTimedOut" || last.Fields["error"] != failure.Timeout {
				t.Errorf("last event %s", last.Raw)
			}
		})
	}
}

func TestRedrive(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"Prep","States":{
		"Prep":{"Type":"Pass","Result":{"ready":true},"ResultPath":"$.prep","Next":"Call"},
		"Call":{"Type":"Task","Resource":"handler:block","End":true}}}`
	for _, tc := range []struct {
		name string
		def  string
		// end ends the first run; it gets the first call.
		end    func(t *testing.T, f *fixture, id string, c *blockedCall)
		status string
	}{
		{name: "failed", def: def, status: store.StatusFailed, end: func(t *testing.T, f *fixture, id string, c *blockedCall) {
			c.fail(&failure.Error{Name: "Boom", Cause: "first time"})
		}},
		{name: "aborted", def: def, status: store.StatusAborted, end: func(t *testing.T, f *fixture, id string, c *blockedCall) {
			if _, err := f.eng.StopExecution(f.ctx, id, "", ""); err != nil {
				t.Fatal(err)
			}
			c.cancelled(t)
		}},
		{name: "timed out", def: `{"TimeoutSeconds":5,` + def[1:], status: store.StatusTimedOut, end: func(t *testing.T, f *fixture, id string, c *blockedCall) {
			f.clock.advanceTo(t, epoch.Add(5*time.Second))
			c.cancelled(t)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			b := newBlocker()
			f.eng.RegisterHandler("block", b.handle)
			f.put("sm", tc.def)
			ex := f.start("sm", `{"order":7}`)
			first := b.next(t)
			tc.end(t, f, ex.ID, first)
			ended := f.wait(ex.ID)
			if ended.Status != tc.status {
				t.Fatalf("first run ended %s, want %s", ended.Status, tc.status)
			}
			n := len(f.history(ex.ID))

			red, err := f.eng.RedriveExecution(f.ctx, ex.ID)
			if err != nil {
				t.Fatal(err)
			}
			if red.Status != store.StatusRunning || red.RedriveCount != 1 || red.Error != "" || red.Cause != "" || !red.StoppedAt.IsZero() {
				t.Errorf("redrive answered %+v", red)
			}
			second := b.next(t)
			if string(second.input) != string(first.input) {
				t.Errorf("second call input %s, first %s", second.input, first.input)
			}
			second.succeed(`{"done":true}`)
			got := f.wait(ex.ID)
			if got.Status != store.StatusSucceeded || string(got.Output) != `{"done":true}` || got.RedriveCount != 1 {
				t.Fatalf("after redrive: %s %s %q", got.Status, got.Output, got.Error)
			}
			h := f.history(ex.ID)
			checkInvariants(t, h, true)
			if h[n].Type != "ExecutionRedriven" || h[n].Fields["redriveCount"] != float64(1) {
				t.Errorf("event after the first run: %s", h[n].Raw)
			}
			want := []string{"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
			if diff := cmp.Diff(want, types(h[n+1:])); diff != "" {
				t.Errorf("events after ExecutionRedriven (-want +got):\n%s", diff)
			}
			if h[n+1].Fields["name"] != "Call" || !jsonEqual(t, h[n+1].Fields["input"], `{"order":7,"prep":{"ready":true}}`) {
				t.Errorf("redriven state entered with %s", h[n+1].Raw)
			}
		})
	}
}

func TestRedriveRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", oneTask)
	f.put("pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	running := f.start("sm", `{}`)
	b.next(t)
	succeeded := f.wait(f.start("pass", `{}`).ID)
	for _, id := range []string{running.ID, succeeded.ID} {
		before, _ := f.store.GetExecution(f.ctx, id)
		if _, err := f.eng.RedriveExecution(f.ctx, id); !errors.Is(err, interpreter.ErrNotRedrivable) {
			t.Errorf("redrive of %s (%s): %v, want ErrNotRedrivable", id, before.Status, err)
		}
		after, _ := f.store.GetExecution(f.ctx, id)
		if after.RecordVersion != before.RecordVersion {
			t.Errorf("refused redrive of %s changed the record", id)
		}
	}
	if _, err := f.eng.RedriveExecution(f.ctx, "sm:missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redrive of an unknown execution: %v", err)
	}
}
