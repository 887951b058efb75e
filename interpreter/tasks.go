package interpreter

// Task calls: dispatching an attempt after its TaskScheduled committed,
// performing it on a kept worker within the node's bound, recording its
// outcome; and the answers that arrive from outside with a task token.

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
)

// TaskRequest is a task attempt as a TaskInterceptor sees it.
type TaskRequest struct {
	ExecutionID string
	State       string
	Resource    string
	Input       json.RawMessage
	// Attempt counts the retries before this attempt (0, 1, 2 …).
	Attempt int
	// Call is the attempt's number among all the attempts of its state in
	// the execution, from 0, retries included: AWS's mock configuration's
	// call number. The engine counts it as it schedules the attempts, so
	// it follows the execution's order, also for concurrent attempts (a
	// Map's iterations). A call recovered after a crash keeps its number.
	Call int
}

// dispatch performs one task call after its TaskScheduled committed.
func (e *Engine) dispatch(id string, c taskCall) {
	if c.Mock != nil {
		e.answerMocked(id, c)
		return
	}
	normal := e.callFor(id, c) // nil for activities: a worker polls them
	// A .sync child execution, like a callback, is acknowledged first
	// (TaskSubmitted) and answered later, by the child's end.
	callback := c.Spec.WaitForToken || c.Spec.Sync > 0
	ic := e.cfg.TaskInterceptor
	if ic == nil {
		if normal == nil {
			return
		}
		call := func(ctx context.Context) taskOutcome {
			out, ferr := normal(ctx)
			return taskOutcome{out: out, ferr: ferr, callback: callback, ok: true}
		}
		if key, lim, ok := e.limitOf(c); ok || !c.limitWait.IsZero() {
			if !ok {
				key = c.limitKey
			}
			e.dispatchLimited(id, c, key, lim, ok, func(c taskCall, release func()) {
				c.release = release
				e.perform(id, c, call)
			})
			return
		}
		e.perform(id, c, call)
		return
	}
	req := TaskRequest{ExecutionID: id, State: c.State, Resource: c.Spec.Resource, Input: value.Marshal(c.Params), Attempt: c.Attempt, Call: c.Call}
	e.perform(id, c, func(ctx context.Context) taskOutcome {
		out, err, handled := ic(ctx, req)
		if handled {
			// An intercepted answer is the task's result, callbacks included.
			v, ferr := resultOf(out, err, c.State)
			return taskOutcome{out: v, ferr: ferr, ok: true, canned: true}
		}
		if normal == nil {
			return taskOutcome{} // an activity: its worker answers
		}
		v, ferr := normal(ctx)
		return taskOutcome{out: v, ferr: ferr, callback: callback, ok: true}
	})
}

// answerMocked records a mocked call's answer, after its Delay: whatever
// the task's kind, nothing is called, no worker sees an activity, no
// callback is awaited and no child execution starts.
func (e *Engine) answerMocked(id string, c taskCall) {
	m := *c.Mock
	answer := func(ctx context.Context) taskOutcome {
		if m.Err != nil {
			return taskOutcome{ferr: m.Err, ok: true, canned: true}
		}
		v, ferr := resultOf(m.Result, nil, c.State)
		return taskOutcome{out: v, ferr: ferr, ok: true, canned: true}
	}
	if m.Delay <= 0 {
		e.perform(id, c, answer)
		return
	}
	// The delay is waited out before the call takes a slot of the node's
	// bound on calls in flight, which it would hold for nothing; it is in
	// flight meanwhile, so that a withdrawal (the attempt timed out, the
	// execution stopped) ends the wait and a recovery does not start a
	// second one. A node that stops meanwhile leaves the call to the one
	// that recovers it, which waits the whole delay again. A clock that
	// can sleep (sfn run's and sfntest's fast clock) is asked to: its time
	// then jumps over the delay instead of waiting it out for real.
	ctx, cancel := context.WithCancel(e.ctx)
	e.trackCall(c.Token, cancel)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		var err error
		if s, ok := e.cfg.Clock.(sleeper); ok {
			err = s.Sleep(ctx, m.Delay)
		} else {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-e.cfg.Clock.After(m.Delay):
			}
		}
		e.forgetCall(c.Token) // perform registers the call again
		if err == nil {
			e.perform(id, c, answer)
		}
	}()
}

// sleeper is a Clock that waits a delay itself, as an open call that does
// not keep its time from jumping past it.
type sleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}

// taskOutcome is what performing a task attempt produced; ok is false when
// nothing is to be recorded (someone else answers).
type taskOutcome struct {
	out      value.Value
	ferr     *failure.Error
	callback bool // a callback request was acknowledged: wait for the token
	ok       bool
	// canned: the answer is a mock's or an interceptor's, and no call was
	// made (a .sync answer then names no child this attempt started).
	canned bool
}

// resultOf turns an interceptor's answer into a task outcome.
func resultOf(out json.RawMessage, err error, state string) (value.Value, *failure.Error) {
	if err != nil {
		return nil, asFailure(err, failure.TaskFailed)
	}
	if len(out) == 0 {
		return value.NewObject(0), nil
	}
	v, derr := value.Decode(out)
	if derr != nil {
		return nil, failure.Newf(failure.TaskFailed, "the answer for state %q is not valid JSON: %v", state, derr)
	}
	return v, nil
}

// callFor returns how to perform a task of the kind of c (nil for activities).
func (e *Engine) callFor(id string, c taskCall) func(ctx context.Context) (value.Value, *failure.Error) {
	var call func(ctx context.Context) (value.Value, *failure.Error)
	switch c.Spec.Kind {
	case dsl.HandlerTask:
		e.handlersMu.RLock()
		h := e.handlers[c.Spec.Name]
		e.handlersMu.RUnlock()
		call = func(ctx context.Context) (value.Value, *failure.Error) { return callHandler(ctx, h, c) }
	case dsl.ExecutionTask:
		call = func(ctx context.Context) (value.Value, *failure.Error) { return e.startChild(ctx, id, c) }
	case dsl.HTTPTask:
		key := fmt.Sprintf("%s/%d", id, c.ScheduledID)
		call = func(ctx context.Context) (value.Value, *failure.Error) {
			return e.cfg.HTTP.Invoke(ctx, httptask.Request{Parameters: c.Params, IdempotencyKey: key})
		}
	default:
		return nil
	}
	return call
}

// maxIdleWorkers bounds the goroutines kept for task calls between calls.
const maxIdleWorkers = 1024

// perform runs a call in the background and records its outcome.
func (e *Engine) perform(id string, c taskCall, call func(ctx context.Context) taskOutcome) {
	var ctx context.Context
	var cancel context.CancelFunc
	if c.Timeout > 0 {
		// A little past the task's own deadline: the timer reports the
		// timeout; this only stops a call nobody waits for any more.
		ctx, cancel = context.WithTimeout(e.ctx, time.Duration(c.Timeout)*time.Second+time.Second)
	} else {
		ctx, cancel = context.WithCancel(e.ctx)
	}
	e.trackCall(c.Token, cancel)
	tk := e.slots.enqueue() // in line in the order the calls were scheduled
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		defer func() {
			e.forgetCall(c.Token)
			cancel()
		}()
		if !e.slots.wait(ctx, tk) {
			if c.release != nil {
				c.release() // a limit's slot, taken for a call not made
			}
			return // withdrawn, timed out or stopping while in line
		}
		o := call(ctx)
		e.slots.release()
		if c.release != nil {
			c.release() // the service is done with the call, whatever is recorded
		}
		// A .sync child started for an attempt that nobody records any more
		// (withdrawn meanwhile: its parent stopped, timed out, or a sibling
		// failed) would run on unwatched: it is stopped.
		orphan := ""
		if c.Spec.Kind == dsl.ExecutionTask && c.Spec.Sync > 0 && o.ok && o.ferr == nil && !o.canned {
			orphan = childOf(&dsl.State{Task: c.Spec}, o.out)
		}
		if ctx.Err() != nil || !o.ok {
			if orphan != "" && e.ctx.Err() == nil {
				e.stopChildren(id, []stopKid{{id: orphan}})
			}
			return // withdrawn, timed out (the timer reports it), stopping, or answered elsewhere
		}
		// A failure from inside (a handler's error, an HTTP body) is kept
		// only up to the lengths AWS allows.
		o.ferr = o.ferr.Capped()
		// A result is recorded until it sticks: a store that fails for a
		// while only delays it (the attempt's own timeout still applies).
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			applied, waiting := false, false
			_, _, err := e.modify(e.ctx, id, func(r *run) bool {
				if t := r.threads[c.Thread]; c.limitKey != "" && t != nil && t.Task != nil && t.Task.ScheduledID == c.ScheduledID {
					// For its TaskStarted event: it waited for a limit.
					t.Task.LimitKey, t.Task.LimitWaited = c.limitKey, c.limitWaited.Milliseconds()
				}
				if o.callback && o.ferr == nil {
					applied = r.submitted(c.Thread, c.ScheduledID, o.out)
				} else {
					applied = r.taskResult(c.Thread, c.ScheduledID, o.out, o.ferr)
				}
				t := r.threads[c.Thread]
				// Not applied but still waiting: the same call was made
				// twice, and the other one's answer is recorded.
				waiting = t != nil && t.Task != nil && t.Task.ScheduledID == c.ScheduledID
				return applied
			})
			if err == nil && !applied && !waiting && orphan != "" {
				e.stopChildren(id, []stopKid{{id: orphan}})
			}
			if err == nil || errors.Is(err, store.ErrNotFound) || e.ctx.Err() != nil {
				return
			}
			e.log.Warn("task result not recorded yet; retrying", slog.String("execution_id", id), slog.Any("error", err))
			select {
			case <-e.ctx.Done():
				return
			case <-e.cfg.Clock.After(backoff):
			}
		}
	})
}

func callHandler(ctx context.Context, h Handler, c taskCall) (out value.Value, ferr *failure.Error) {
	if h == nil {
		return nil, failure.Newf(failure.TaskFailed, "no handler is registered under the name %q", c.Spec.Name)
	}
	defer func() {
		if p := recover(); p != nil {
			out, ferr = nil, failure.Newf(failure.TaskFailed, "handler %q panicked: %v", c.Spec.Name, p)
		}
	}()
	raw, err := h(ctx, value.Marshal(c.Params))
	if err != nil {
		return nil, asFailure(err, failure.TaskFailed)
	}
	if len(raw) == 0 {
		return value.NewObject(0), nil
	}
	v, err := value.Decode(raw)
	if err != nil {
		return nil, failure.Newf(failure.TaskFailed, "handler %q returned invalid JSON: %v", c.Spec.Name, err)
	}
	return v, nil
}

// TaskSuccess completes the task attempt a token names. An answer that
// comes after its task ended is a *TaskEndedError (ErrTaskAlreadyAnswered):
// the retry of an answer that was applied says so.
func (e *Engine) TaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if len(output) > e.cfg.Limits.MaxPayload {
		return fmt.Errorf("task output of %d bytes exceeds %d bytes: %w", len(output), e.cfg.Limits.MaxPayload, ErrPayloadTooLarge)
	}
	var v value.Value = value.NewObject(0)
	if len(output) > 0 {
		var err error
		if v, err = value.Decode(output); err != nil {
			return fmt.Errorf("task output is not valid JSON: %w", err)
		}
	}
	return e.withToken(ctx, token, &taskAnswer{output: v}, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, v, nil) })
}

// TaskFailure fails the task attempt a token names. The error name and the
// cause are cut to failure.MaxName and failure.MaxCause characters (the API
// refuses longer ones). An answer that comes after its task ended is a
// *TaskEndedError, as for TaskSuccess.
func (e *Engine) TaskFailure(ctx context.Context, token, errName, cause string) error {
	fe := failure.New(errName, cause)
	return e.withToken(ctx, token, &taskAnswer{fail: fe}, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, nil, fe) })
}

// TaskHeartbeat tells that the task a token names is still being worked on.
// A heartbeat for a task that ended is ErrTaskNotFound.
func (e *Engine) TaskHeartbeat(ctx context.Context, token string) error {
	return e.withToken(ctx, token, nil, func(r *run, tk Token) bool { return r.heartbeat(tk.Thread, tk.ScheduledID) })
}

// sameSecret compares a token's secret with the task's in constant time, so
// that the time an answer takes does not tell how much of a guess was right.
func sameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// withToken applies an answer to the task a token names. When the task is
// not open (any more) and the answer is a result (ans set), it finds out
// whether the task ended earlier, and how (taskEnded).
func (e *Engine) withToken(ctx context.Context, token string, ans *taskAnswer, apply func(*run, Token) bool) error {
	tk, ok := ParseToken(token)
	if !ok {
		return ErrTaskNotFound
	}
	applied, past := false, false
	_, _, err := e.modify(ctx, tk.ExecutionID, func(r *run) bool {
		// modify may call this again on a newer record: only the last call counts.
		applied, past = false, false
		t := r.threads[tk.Thread]
		if t != nil && t.Task != nil && t.Task.ScheduledID == tk.ScheduledID {
			if !sameSecret(t.Task.Secret, tk.Secret) {
				return false
			}
			applied = apply(r, tk)
			return applied
		}
		// Not the thread's current task: it may be one that ended before
		// (the thread is gone, waits for nothing, or waits for a later
		// attempt), whose answer is being retried.
		past = tk.ScheduledID > 0 && tk.ScheduledID < r.lastID && (t == nil || t.Task == nil || t.Task.ScheduledID > tk.ScheduledID)
		return false
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrTaskNotFound
	}
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	if past && ans != nil {
		return e.taskEnded(ctx, tk, ans)
	}
	return ErrTaskNotFound
}

// ErrTaskAlreadyAnswered: the task a token names had already ended when an
// answer came. The error is a *TaskEndedError, which says how it ended and
// whether this answer is the one it ended with.
var ErrTaskAlreadyAnswered = errors.New("task already answered")

// TaskOutcome is how a task attempt ended.
type TaskOutcome string

// The ends of a task attempt that an answer can meet.
const (
	TaskSucceeded TaskOutcome = "succeeded"
	TaskFailed    TaskOutcome = "failed"
	TaskTimedOut  TaskOutcome = "timed out"
)

// TaskEndedError answers a task success or failure that came after the
// task ended. Applied is set when the task ended with this very answer (the
// same output; the same error and cause): a retry of an answer that was
// applied, whose first reply was lost or came too late. Otherwise the answer
// was not applied, and the error also matches ErrTaskNotFound, as answers
// to finished tasks always did.
type TaskEndedError struct {
	Outcome TaskOutcome
	Applied bool
}

func (e *TaskEndedError) Error() string {
	if e.Applied {
		return "the task already " + string(e.Outcome) + " with this answer"
	}
	return "the task already " + string(e.Outcome) + "; this answer was not applied"
}

// Unwrap makes the error match ErrTaskAlreadyAnswered, and ErrTaskNotFound
// when this answer was not applied.
func (e *TaskEndedError) Unwrap() []error {
	if e.Applied {
		return []error{ErrTaskAlreadyAnswered}
	}
	return []error{ErrTaskAlreadyAnswered, ErrTaskNotFound}
}

// taskAnswer is a result that came with a token: output for a success, fail
// for a failure.
type taskAnswer struct {
	output value.Value
	fail   *failure.Error
}

// How far taskEnded reads a history for the end of an attempt: pages of
// answeredPage events, at most answeredScan in all. An attempt ends within
// a few events of its start in a sequential execution; in a wide Map its
// end may be thousands of events later, and further than answeredScan it is
// answered as a finished token (ErrTaskNotFound), so that a stale token
// cannot make the engine read a whole long history.
const (
	answeredPage = 500
	answeredScan = 10000
)

// taskEnded finds out how the attempt a token names ended, after the
// answer found it no longer open: from the execution's history, where its
// Scheduled event is the token's, and the events of its thread follow that
// one by previousEventId (Started, Submitted) up to the Succeeded, Failed or
// TimedOut that ended it. It returns a *TaskEndedError, ErrTaskNotFound when
// the attempt did not end with one of those (it was withdrawn, or the
// execution stopped), or the store's error.
//
// The token's secret cannot be checked here: it is kept only while its
// task is open. A forged token for an ended attempt learns how that attempt
// ended, and changes nothing.
func (e *Engine) taskEnded(ctx context.Context, tk Token, ans *taskAnswer) error {
	first, err := e.store.History(ctx, store.HistoryQuery{ID: tk.ExecutionID, After: tk.ScheduledID - 1, Limit: 1})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrTaskNotFound
		}
		return err
	}
	if len(first) != 1 || first[0].ID != tk.ScheduledID {
		return ErrTaskNotFound
	}
	var sched taskEvent
	if json.Unmarshal(first[0].Data, &sched) != nil {
		return ErrTaskNotFound
	}
	prefix, ok := taskEventKind(sched.Type, "Scheduled")
	if !ok {
		return ErrTaskNotFound
	}
	chain := map[int64]bool{tk.ScheduledID: true} // this attempt's events so far
	for after := tk.ScheduledID; after < tk.ScheduledID+answeredScan; {
		page, err := e.store.History(ctx, store.HistoryQuery{ID: tk.ExecutionID, After: after, Limit: answeredPage})
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrTaskNotFound
			}
			return err
		}
		for _, ev := range page {
			after = ev.ID
			var x taskEvent
			if json.Unmarshal(ev.Data, &x) != nil || !chain[x.Prev] {
				continue // another thread's, or nothing an attempt writes
			}
			switch x.Type {
			case prefix + "Started", prefix + "Submitted":
				chain[ev.ID] = true
			case prefix + "Succeeded":
				return &TaskEndedError{Outcome: TaskSucceeded, Applied: ans.fail == nil && sameOutput(x.Output, ans.output)}
			case prefix + "Failed":
				return &TaskEndedError{Outcome: TaskFailed, Applied: ans.fail != nil && x.Error == ans.fail.Name && x.Cause == ans.fail.Cause}
			case prefix + "TimedOut":
				return &TaskEndedError{Outcome: TaskTimedOut}
			default:
				return ErrTaskNotFound // the thread went on without an end of the attempt: it was cut short
			}
		}
		if len(page) < answeredPage {
			break
		}
	}
	return ErrTaskNotFound
}

// taskEvent is what taskEnded reads of an event.
type taskEvent struct {
	Type   string          `json:"type"`
	Prev   int64           `json:"previousEventId"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

// taskEventKind returns the prefix (Task, Activity) of an attempt's event
// of the given kind (Scheduled …); ok is false for any other event.
func taskEventKind(typ, kind string) (prefix string, ok bool) {
	for _, p := range []string{"Task", "Activity"} {
		if typ == p+kind {
			return p, true
		}
	}
	return "", false
}

// sameOutput reports whether a recorded task output is the answer's: equal
// as JSON values, whatever the spacing or the order of keys.
func sameOutput(recorded json.RawMessage, answer value.Value) bool {
	v, err := value.Decode(recorded)
	if err != nil {
		return false
	}
	return bytes.Equal(value.Canonical(v), value.Canonical(answer))
}

// trackCall registers a call of this node under its task token, with what
// withdraws it (a timeout, a stop, the node stopping): a recovery then
// leaves it alone (inFlight), and a withdrawal cancels it.
func (e *Engine) trackCall(token string, cancel context.CancelFunc) {
	e.inflightMu.Lock()
	e.inflight[token] = cancel
	e.inflightMu.Unlock()
}

// forgetCall drops a call's entry (its work is over, or handed on).
func (e *Engine) forgetCall(token string) {
	e.inflightMu.Lock()
	delete(e.inflight, token)
	e.inflightMu.Unlock()
}

// inFlight reports whether this node is performing the call tok names.
func (e *Engine) inFlight(tok string) bool {
	e.inflightMu.Lock()
	defer e.inflightMu.Unlock()
	_, running := e.inflight[tok]
	return running
}
