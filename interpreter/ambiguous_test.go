package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
)

// lostAnswer makes the next write of op about id land and then fail as a
// store timeout does (the answer is lost), and the first reads of id that
// follow it fail too (the store is still slow when the engine looks): the
// write's outcome is then known only to a read that is tried again. reads
// 0 adds no failing read; a negative reads fails every read after it.
func lostAnswer(faults *faultstore.Faults, op faultstore.Op, id string, reads int) {
	var wrote atomic.Bool
	faults.Add(faultstore.Rule{Op: op, Count: 1, Applied: true, Err: context.DeadlineExceeded,
		Match: func(x string) bool { wrote.Store(true); return x == id }})
	if reads == 0 {
		return
	}
	faults.Add(faultstore.Rule{Op: faultstore.GetExecution, Count: max(reads, 0), Err: context.DeadlineExceeded,
		Match: func(x string) bool { return wrote.Load() && x == id }})
}

// TestAmbiguousStart: a start whose create landed but whose answer was lost
// answers the execution, also when the caller's deadline has passed and the
// first reads of it fail; one whose create did not land, or cannot be
// found out, answers the error, and a retry with the same name is safe.
func TestAmbiguousStart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		applied bool // the create lands
		reads   int  // failing reads after it (lostAnswer)
		expired bool // the caller's deadline has passed when the answer is lost
		wantErr bool
	}{
		{name: "applied", applied: true},
		{name: "applied, the first reads fail", applied: true, reads: 2},
		{name: "applied, the caller's deadline passed", applied: true, reads: 1, expired: true},
		{name: "not applied", wantErr: true},
		{name: "applied, never readable", applied: true, reads: -1, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := memory.New()
			eng, faults := faultEngine(t, st)
			id := "waits:amb"
			if c.applied {
				lostAnswer(faults, faultstore.CreateExecution, id, c.reads)
			} else {
				faults.Add(faultstore.Rule{Op: faultstore.CreateExecution, Count: 1, Err: context.DeadlineExceeded})
			}
			ctx := context.Background()
			if c.expired {
				// The memory store does not look at deadlines: the create lands
				// and the fault then answers what a timed-out Redis would.
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
				defer cancel()
			}
			p := interpreter.StartParams{StateMachine: "waits", Name: "amb", Input: json.RawMessage(`{"n":0}`)}
			ex, existing, err := eng.StartExecution(ctx, p)
			if faults.Hits(faultstore.CreateExecution) != 1 {
				t.Fatalf("the create fault hit %d times", faults.Hits(faultstore.CreateExecution))
			}
			if c.wantErr {
				if err == nil {
					t.Fatalf("start answered %+v, want the create's error", ex)
				}
				if c.reads < 0 && faults.Hits(faultstore.GetExecution) < 2 {
					t.Errorf("%d reads failed: an unreadable outcome must be read more than once", faults.Hits(faultstore.GetExecution))
				}
			} else {
				if err != nil {
					t.Fatalf("start: %v, want the execution (its create landed)", err)
				}
				if existing || ex.ID != id || ex.Status != store.StatusRunning {
					t.Fatalf("start answered %s %s existing=%v", ex.ID, ex.Status, existing)
				}
				if c.reads > 0 && faults.Hits(faultstore.GetExecution) != c.reads {
					t.Errorf("%d reads failed, want %d: the fault was not met", faults.Hits(faultstore.GetExecution), c.reads)
				}
			}
			// The client's retry, once the store answers again: the execution,
			// created once, whatever the first answer said.
			faults.Clear()
			again, existing, err := eng.StartExecution(context.Background(), p)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if again.ID != id || existing != c.applied {
				t.Errorf("retry answered %s existing=%v, want existing=%v", again.ID, existing, c.applied)
			}
			if n := eventCounts(t, st, id)["ExecutionStarted"]; n != 1 {
				t.Errorf("%d ExecutionStarted events", n)
			}
		})
	}
}

// TestAmbiguousStartOtherStart: a create whose answer was lost, under a
// name another start (another input) took meanwhile, is a conflict, not
// the other start's execution.
func TestAmbiguousStartOtherStart(t *testing.T) {
	t.Parallel()
	st := memory.New()
	eng, faults := faultEngine(t, st)
	if _, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: "waits", Name: "taken",
		Input: json.RawMessage(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	// The store's create fails without saying why (as a lost answer does).
	faults.Add(faultstore.Rule{Op: faultstore.CreateExecution, Count: 1, Err: context.DeadlineExceeded})
	_, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: "waits", Name: "taken",
		Input: json.RawMessage(`{"n":2}`)})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("start under a taken name with another input: %v, want ErrAlreadyExists", err)
	}
}

// answerCase is one answer sent with a token.
type answerCase struct {
	name    string
	success bool
	output  string // success
	errName string // failure
	cause   string
}

func (a answerCase) send(ctx context.Context, eng *interpreter.Engine, tok string) error {
	if a.success {
		return eng.TaskSuccess(ctx, tok, json.RawMessage(a.output))
	}
	return eng.TaskFailure(ctx, tok, a.errName, a.cause)
}

// TestAmbiguousTaskAnswer: a task answer whose commit landed but whose
// answer was lost (and whose first read-back failed) answers success; its
// retry says it was already applied; another answer after it is refused
// with how the task ended.
func TestAmbiguousTaskAnswer(t *testing.T) {
	t.Parallel()
	success := answerCase{name: "success", success: true, output: `{"a":1,"b":[true,null]}`}
	failed := answerCase{name: "failure", errName: "Worker.Boom", cause: "it broke"}
	type later struct {
		answerCase
		applied bool // a retry of the applied answer
	}
	for _, c := range []struct {
		first   answerCase
		outcome interpreter.TaskOutcome
		later   []later
	}{
		{success, interpreter.TaskSucceeded, []later{
			{success, true},
			{answerCase{name: "same JSON, other spacing and key order", success: true, output: ` { "b" : [true, null], "a": 1 }`}, true},
			{answerCase{name: "other output", success: true, output: `{"a":2}`}, false},
			{failed, false},
		}},
		{failed, interpreter.TaskFailed, []later{
			{failed, true},
			{answerCase{name: "other cause", errName: "Worker.Boom", cause: "something else"}, false},
			{answerCase{name: "other error", errName: "Worker.Other", cause: "it broke"}, false},
			{success, false},
		}},
	} {
		t.Run(c.first.name, func(t *testing.T) {
			t.Parallel()
			st := memory.New()
			eng, faults := faultEngine(t, st)
			if _, err := eng.PutStateMachine(context.Background(), "cook", []byte(cookDef), dsl.JSON); err != nil {
				t.Fatal(err)
			}
			id := startCook(t, eng, "amb")
			tok, _, err := poll(eng, guard)
			if err != nil {
				t.Fatal(err)
			}
			lostAnswer(faults, faultstore.Commit, id, 1)
			if err := c.first.send(context.Background(), eng, tok); err != nil {
				t.Fatalf("%s whose commit landed: %v, want success", c.first.name, err)
			}
			if faults.Hits(faultstore.Commit) != 1 || faults.Hits(faultstore.GetExecution) != 1 {
				t.Fatalf("faults hit: commit %d, read %d (want 1, 1)", faults.Hits(faultstore.Commit), faults.Hits(faultstore.GetExecution))
			}
			faults.Clear()
			rec := waitEnd(t, st, id, guard)
			if want := map[bool]string{true: store.StatusSucceeded, false: store.StatusFailed}[c.first.success]; rec.Status != want {
				t.Fatalf("execution %s, want %s", rec.Status, want)
			}
			for _, l := range c.later {
				err := l.send(context.Background(), eng, tok)
				var ended *interpreter.TaskEndedError
				if !errors.As(err, &ended) || !errors.Is(err, interpreter.ErrTaskAlreadyAnswered) {
					t.Errorf("then %s: %v, want a TaskEndedError", l.name, err)
					continue
				}
				if ended.Outcome != c.outcome || ended.Applied != l.applied {
					t.Errorf("then %s: %+v, want outcome %q applied=%v", l.name, *ended, c.outcome, l.applied)
				}
				// An answer that was not applied is still a finished token to
				// callers that know only that.
				if errors.Is(err, interpreter.ErrTaskNotFound) == l.applied {
					t.Errorf("then %s: errors.Is(ErrTaskNotFound) = %v", l.name, !l.applied)
				}
			}
			if err := eng.TaskHeartbeat(context.Background(), tok); !errors.Is(err, interpreter.ErrTaskNotFound) ||
				errors.Is(err, interpreter.ErrTaskAlreadyAnswered) {
				t.Errorf("heartbeat after the end: %v, want ErrTaskNotFound", err)
			}
			if n := eventCounts(t, st, id)["ActivityStarted"]; n != 1 {
				t.Errorf("%d ActivityStarted events", n)
			}
		})
	}
}

// TestAnswerAfterEnd: how an attempt ended is found for tasks in branches
// (whose events do not follow each other), after a timeout, after a
// redrive gave the state a new attempt; tokens that name no ended attempt
// stay unknown.
func TestAnswerAfterEnd(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("par", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+activityARN+`par-a","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"`+activityARN+`par-b","End":true}}}]}}}`)
	par := f.start("par", `{}`)
	tokA, _ := f.poll("par-a")
	tokB, _ := f.poll("par-b")
	if err := f.eng.TaskSuccess(f.ctx, tokA, json.RawMessage(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.TaskSuccess(f.ctx, tokB, json.RawMessage(`{"b":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := f.wait(par.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("parallel ended %s", got.Status)
	}

	f.put("slow", `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"`+activityARN+`slow","TimeoutSeconds":10,"End":true}}}`)
	ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "slow", Name: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	tokSlow, _ := f.poll("slow")
	f.clock.advanceTo(t, epoch.Add(10*time.Second))
	if got := f.wait(ex.ID); got.Status != store.StatusTimedOut && got.Status != store.StatusFailed {
		t.Fatalf("slow ended %s", got.Status)
	}
	// A redrive schedules a new attempt: the old token names the one that timed out.
	if _, err := f.eng.RedriveExecution(f.ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	tokNew, _ := f.poll("slow")
	if tokNew == tokSlow {
		t.Fatal("the redriven attempt has the old token")
	}
	tk, _ := interpreter.ParseToken(tokA)
	for _, c := range []struct {
		name    string
		tok     string
		answer  answerCase
		outcome interpreter.TaskOutcome // "" for ErrTaskNotFound alone
		applied bool
	}{
		{"branch A retried", tokA, answerCase{success: true, output: `{"a":1}`}, interpreter.TaskSucceeded, true},
		{"branch B retried", tokB, answerCase{success: true, output: `{"b":1}`}, interpreter.TaskSucceeded, true},
		{"branch A, B's output", tokA, answerCase{success: true, output: `{"b":1}`}, interpreter.TaskSucceeded, false},
		{"after the timeout", tokSlow, answerCase{success: true, output: `{}`}, interpreter.TaskTimedOut, false},
		{"failure after the timeout", tokSlow, answerCase{errName: "E"}, interpreter.TaskTimedOut, false},
		{"not an attempt's event", interpreter.MakeToken(tk.ExecutionID, tk.Thread, 1, tk.Secret), answerCase{success: true, output: `{}`}, "", false},
		{"an event in the future", interpreter.MakeToken(tk.ExecutionID, tk.Thread, 1000, tk.Secret), answerCase{success: true, output: `{}`}, "", false},
		{"unknown execution", interpreter.MakeToken("par:nobody", tk.Thread, tk.ScheduledID, tk.Secret), answerCase{success: true, output: `{}`}, "", false},
	} {
		err := c.answer.send(f.ctx, f.eng, c.tok)
		var ended *interpreter.TaskEndedError
		switch {
		case c.outcome == "":
			if !errors.Is(err, interpreter.ErrTaskNotFound) || errors.As(err, &ended) {
				t.Errorf("%s: %v, want ErrTaskNotFound alone", c.name, err)
			}
		case !errors.As(err, &ended) || ended.Outcome != c.outcome || ended.Applied != c.applied:
			t.Errorf("%s: %v, want outcome %q applied=%v", c.name, err, c.outcome, c.applied)
		}
	}
	// The new attempt is still open: its answer is applied.
	if err := f.eng.TaskSuccess(f.ctx, tokNew, json.RawMessage(`{"late":true}`)); err != nil {
		t.Fatalf("the redriven attempt's answer: %v", err)
	}
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("redriven execution ended %s", got.Status)
	}
}

// TestWrongSecretsRefused: a token that names the open task with any other
// secret (one character off, shorter, longer, empty-looking) answers
// nothing, for every kind of answer, and the right one still works.
func TestWrongSecretsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+activityARN+`sec","End":true}}}`)
	ex := f.start("sm", `{}`)
	tok, _ := f.poll("sec")
	tk, _ := interpreter.ParseToken(tok)
	flip := []byte(tk.Secret)
	flip[len(flip)-1] ^= 1
	for _, secret := range []string{string(flip), tk.Secret[:len(tk.Secret)-1], tk.Secret + "0", strings.ToUpper(tk.Secret) + "X", "x"} {
		bad := interpreter.MakeToken(tk.ExecutionID, tk.Thread, tk.ScheduledID, secret)
		for name, call := range map[string]func() error{
			"success":   func() error { return f.eng.TaskSuccess(f.ctx, bad, json.RawMessage(`{}`)) },
			"failure":   func() error { return f.eng.TaskFailure(f.ctx, bad, "E", "c") },
			"heartbeat": func() error { return f.eng.TaskHeartbeat(f.ctx, bad) },
		} {
			if err := call(); !errors.Is(err, interpreter.ErrTaskNotFound) {
				t.Errorf("%s with secret %q: %v, want ErrTaskNotFound", name, secret, err)
			}
		}
	}
	if n := count(f.history(ex.ID), "ActivitySucceeded") + count(f.history(ex.ID), "ActivityFailed"); n != 0 {
		t.Fatalf("a wrong secret ended the task (%d events)", n)
	}
	if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"ok":true}`)); err != nil {
		t.Fatalf("the right secret: %v", err)
	}
}

// TestFailureCausesCapped: a failure's cause is kept up to AWS's 32,768
// characters, and its name up to 256, wherever it comes from: a handler's
// error, a handler's own failure.Error, a task failure answered with a
// token.
func TestFailureCausesCapped(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", 300000)
	longName := "Custom." + strings.Repeat("N", 500)
	f := setup(t)
	f.eng.RegisterHandler("plain", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New(huge)
	})
	f.eng.RegisterHandler("typed", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &failure.Error{Name: longName, Cause: huge}
	})
	f.put("plain", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"handler:plain","End":true}}}`)
	f.put("typed", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"handler:typed","End":true}}}`)
	f.put("token", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activityARN+`capped","End":true}}}`)
	start := func(sm string) string {
		ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: sm, Name: sm})
		if err != nil {
			t.Fatal(err)
		}
		return ex.ID
	}
	plain, typed, token := start("plain"), start("typed"), start("token")
	tok, _ := f.poll("capped")
	if err := f.eng.TaskFailure(f.ctx, tok, longName, huge); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, failedEvent, wantName string
	}{
		{plain, "TaskFailed", failure.TaskFailed},
		{typed, "TaskFailed", longName[:failure.MaxName]},
		{token, "ActivityFailed", longName[:failure.MaxName]},
	} {
		got := f.wait(c.id)
		if got.Status != store.StatusFailed || got.Error != c.wantName {
			t.Errorf("%s ended %s %q, want FAILED with the name cut to %d characters", c.id, got.Status, got.Error, failure.MaxName)
		}
		if n := utf8.RuneCountInString(got.Cause); n != failure.MaxCause || !utf8.ValidString(got.Cause) {
			t.Errorf("%s: execution cause of %d characters (valid UTF-8: %v), want %d", c.id, n, utf8.ValidString(got.Cause), failure.MaxCause)
		}
		evs := find(f.history(c.id), c.failedEvent)
		if len(evs) != 1 {
			t.Fatalf("%s: %d %s events", c.id, len(evs), c.failedEvent)
		}
		if cause, _ := evs[0].Fields["cause"].(string); utf8.RuneCountInString(cause) != failure.MaxCause {
			t.Errorf("%s: %s cause of %d characters, want %d", c.id, c.failedEvent, utf8.RuneCountInString(cause), failure.MaxCause)
		}
	}
	// The retry of that capped failure is recognised as the one applied.
	var ended *interpreter.TaskEndedError
	if err := f.eng.TaskFailure(f.ctx, tok, longName, huge); !errors.As(err, &ended) || !ended.Applied {
		t.Errorf("retry of the capped failure: %v, want applied", err)
	}
}
