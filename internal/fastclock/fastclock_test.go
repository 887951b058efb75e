package fastclock

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

func ev(id, prev int64, typ string) store.Event {
	data, _ := json.Marshal(map[string]any{"id": id, "previousEventId": prev, "type": typ})
	return store.Event{ID: id, Data: data}
}

// TestQuiet checks when Drive may jump: never while a call that does not
// sleep is open or a commit is under way; to the earliest of the record's
// due time and the sleeps otherwise.
func TestQuiet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		events    []store.Event
		commit    bool          // a commit is under way
		sleep     time.Duration // a call sleeps this long (0: none)
		wantQuiet bool
		wantDue   bool // the jump goes to the record's due time (else the sleep's end)
	}{
		{name: "nothing open", wantQuiet: true, wantDue: true},
		{name: "a task scheduled", events: []store.Event{ev(3, 2, "TaskScheduled")}},
		{name: "a task started", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "TaskStarted")}},
		{name: "a task ended", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "TaskStarted"), ev(5, 4, "TaskSucceeded")},
			wantQuiet: true, wantDue: true},
		{name: "a task timed out", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "TaskStarted"), ev(5, 4, "TaskTimedOut")},
			wantQuiet: true, wantDue: true},
		{name: "an activity scheduled", events: []store.Event{ev(3, 2, "ActivityScheduled")}},
		{name: "an activity failed", events: []store.Event{ev(3, 2, "ActivityScheduled"), ev(4, 3, "ActivityStarted"), ev(5, 4, "ActivityFailed")},
			wantQuiet: true, wantDue: true},
		{name: "one of two tasks ended", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 2, "TaskScheduled"), ev(5, 3, "TaskStarted"), ev(6, 5, "TaskSucceeded")}},
		{name: "a task aborted with its state", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "TaskStateAborted")},
			wantQuiet: true, wantDue: true},
		{name: "the execution ended", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "ExecutionAborted")},
			wantQuiet: true, wantDue: true},
		{name: "a commit under way", commit: true},
		{name: "the execution ended during a commit", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 3, "ExecutionFailed")}, commit: true},
		{name: "the open task sleeps past the due time", events: []store.Event{ev(3, 2, "TaskScheduled")}, sleep: 2 * time.Hour,
			wantQuiet: true, wantDue: true},
		{name: "the open task sleeps less than the due time", events: []store.Event{ev(3, 2, "TaskScheduled")}, sleep: time.Minute,
			wantQuiet: true},
		{name: "one of two open tasks sleeps", events: []store.Event{ev(3, 2, "TaskScheduled"), ev(4, 2, "TaskScheduled")}, sleep: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New()
			due := c.Now().Add(time.Hour)
			c.committed(tt.events)
			if tt.commit {
				done := c.guard()
				defer done(false, nil)
			}
			if tt.sleep > 0 {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				slept := make(chan error, 1)
				go func() { slept <- c.Sleep(ctx, tt.sleep) }()
				defer func() {
					cancel()
					if err := <-slept; err != context.Canceled {
						t.Errorf("Sleep returned %v, want context.Canceled", err)
					}
				}()
				waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.asleep == 1 })
			}
			at, quiet := c.next(due)
			if quiet != tt.wantQuiet {
				t.Fatalf("quiet %v, want %v (open %v, asleep %d)", quiet, tt.wantQuiet, c.open, c.asleep)
			}
			if !quiet {
				return
			}
			if got := at.Equal(due); got != tt.wantDue {
				t.Errorf("jump to %s; want the due time (%s): %v", at, due, tt.wantDue)
			}
		})
	}
}

// waitFor polls a condition that another goroutine makes true soon.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestJumpWakesWaits checks that a jump wakes the waits it reaches, and
// only those, and that the clock never goes back.
func TestJumpWakesWaits(t *testing.T) {
	t.Parallel()
	c := New()
	t0 := c.Now()
	hour, day := c.After(time.Hour), c.After(24*time.Hour)
	now := c.After(0)
	select {
	case <-now:
	default:
		t.Error("After(0) did not fire at once")
	}
	c.JumpTo(t0.Add(2 * time.Hour))
	select {
	case at := <-hour:
		if at.Before(t0.Add(2 * time.Hour)) {
			t.Errorf("the hour's wait fired at %s, before the jump's time", at)
		}
	default:
		t.Error("the jump past an hour did not wake the hour's wait")
	}
	select {
	case <-day:
		t.Error("the jump of two hours woke the day's wait")
	default:
	}
	c.JumpTo(t0) // back: ignored
	if got := c.Now(); got.Before(t0.Add(2 * time.Hour)) {
		t.Errorf("after a jump back the clock says %s, before %s", got, t0.Add(2*time.Hour))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	slept := make(chan error, 1)
	go func() { slept <- c.Sleep(ctx, time.Hour) }()
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.asleep == 1 })
	c.JumpTo(c.Now().Add(time.Hour))
	if err := <-slept; err != nil {
		t.Errorf("Sleep: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asleep != 0 {
		t.Errorf("%d sleeps counted after the last one woke", c.asleep)
	}
}

// TestDrive runs executions on the engine with the clock: waits and
// back-off of hours take no real time, and a task's timeout fires while
// its answer sleeps longer than the timeout, never while a call is under
// way.
func TestDrive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		def        string
		sleep      time.Duration // the interceptor's answer waits this long on the clock
		hold       bool          // the answer comes only after the clock was checked not to jump
		wantStatus string
		wantError  string
	}{
		{name: "a wait of a day", def: `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": true}}}`,
			wantStatus: "SUCCEEDED"},
		{name: "retries with hours of back-off",
			def:        `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "handler:x", "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3600, "MaxAttempts": 3}], "End": true}}}`,
			wantStatus: "FAILED", wantError: "Boom"},
		{name: "an answer that sleeps past the timeout",
			def:   `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "handler:ok", "TimeoutSeconds": 60, "End": true}}}`,
			sleep: time.Hour, wantStatus: "FAILED", wantError: "States.Timeout"},
		{name: "an answer that sleeps less than the timeout",
			def:   `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "handler:ok", "TimeoutSeconds": 3600, "End": true}}}`,
			sleep: time.Minute, wantStatus: "SUCCEEDED"},
		{name: "a call under way holds the clock",
			def:  `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "handler:ok", "TimeoutSeconds": 1, "End": true}}}`,
			hold: true, wantStatus: "SUCCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c := New()
			st := c.Watch(memory.New())
			defer st.Close()
			release := make(chan struct{})
			eng := interpreter.New(interpreter.Config{Store: st, Clock: c, TimerPoll: 50 * time.Millisecond,
				TaskInterceptor: func(ctx context.Context, req interpreter.TaskRequest) (json.RawMessage, error, bool) {
					if req.Resource == "handler:x" {
						return nil, failure.New("Boom", "always"), true
					}
					if tt.hold {
						<-release
					}
					if err := c.Sleep(ctx, tt.sleep); err != nil {
						return nil, err, true
					}
					return json.RawMessage(`{"ok": true}`), nil, true
				}})
			if err := eng.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer eng.Stop()
			if _, err := eng.PutStateMachine(ctx, "m", []byte(tt.def), dsl.JSON); err != nil {
				t.Fatal(err)
			}
			ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "m", Name: "x"})
			if err != nil {
				t.Fatal(err)
			}
			go c.Drive(ctx, st, ex.ID)
			if tt.hold {
				// The call is open once its TaskScheduled is committed:
				// the clock must not jump to its timeout of one second
				// until the answer is recorded.
				waitFor(t, func() bool {
					rec, err := st.GetExecution(ctx, ex.ID)
					return err == nil && rec.LastEventID >= 3
				})
				if _, quiet := c.next(time.Time{}); quiet {
					t.Error("the clock counts no open call while the handler runs")
				}
				close(release)
			}
			end, err := eng.Wait(ctx, ex.ID)
			if err != nil {
				t.Fatal(err)
			}
			if end.Status != tt.wantStatus || end.Error != tt.wantError {
				t.Errorf("ended %s %q (%s), want %s %q", end.Status, end.Error, end.Cause, tt.wantStatus, tt.wantError)
			}
		})
	}
}
