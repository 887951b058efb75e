package interpreter

// Task calls: dispatching an attempt after its TaskScheduled committed,
// performing it on a kept worker within the node's bound, recording its
// outcome; and the answers that arrive from outside with a task token.

import (
	"context"
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
}

// dispatch performs one task call after its TaskScheduled committed.
func (e *Engine) dispatch(id string, c taskCall) {
	normal := e.callFor(id, c) // nil for activities: a worker polls them
	callback := c.Spec.WaitForToken
	ic := e.cfg.TaskInterceptor
	if ic == nil {
		if normal != nil {
			e.perform(id, c, func(ctx context.Context) taskOutcome {
				out, ferr := normal(ctx)
				return taskOutcome{out: out, ferr: ferr, callback: callback, ok: true}
			})
		}
		return
	}
	req := TaskRequest{ExecutionID: id, State: c.State, Resource: c.Spec.Resource, Input: value.Marshal(c.Params), Attempt: c.Attempt}
	e.perform(id, c, func(ctx context.Context) taskOutcome {
		out, err, handled := ic(ctx, req)
		if handled {
			// An intercepted answer is the task's result, callbacks included.
			v, ferr := resultOf(out, err, c.State)
			return taskOutcome{out: v, ferr: ferr, ok: true}
		}
		if normal == nil {
			return taskOutcome{} // an activity: its worker answers
		}
		v, ferr := normal(ctx)
		return taskOutcome{out: v, ferr: ferr, callback: callback, ok: true}
	})
}

// taskOutcome is what performing a task attempt produced; ok is false when
// nothing is to be recorded (someone else answers).
type taskOutcome struct {
	out      value.Value
	ferr     *failure.Error
	callback bool // a callback request was acknowledged: wait for the token
	ok       bool
}

// resultOf turns an interceptor's answer into a task outcome.
func resultOf(out json.RawMessage, err error, state string) (value.Value, *failure.Error) {
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, failure.New(failure.TaskFailed, err.Error())
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
	e.inflightMu.Lock()
	e.inflight[c.Token] = cancel
	e.inflightMu.Unlock()
	tk := e.slots.enqueue() // in line in the order the calls were scheduled
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		defer func() {
			e.inflightMu.Lock()
			delete(e.inflight, c.Token)
			e.inflightMu.Unlock()
			cancel()
		}()
		if !e.slots.wait(ctx, tk) {
			return // withdrawn, timed out or stopping while in line
		}
		o := call(ctx)
		e.slots.release()
		if ctx.Err() != nil || !o.ok {
			return // withdrawn, timed out (the timer reports it), stopping, or answered elsewhere
		}
		// A result is recorded until it sticks: a store that fails for a
		// while only delays it (the attempt's own timeout still applies).
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			_, _, err := e.modify(e.ctx, id, func(r *run) bool {
				if o.callback && o.ferr == nil {
					return r.submitted(c.Thread, c.ScheduledID, o.out)
				}
				return r.taskResult(c.Thread, c.ScheduledID, o.out, o.ferr)
			})
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
		var fe *failure.Error
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, failure.New(failure.TaskFailed, err.Error())
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

// TaskSuccess completes the task attempt a token names.
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
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, v, nil) })
}

// TaskFailure fails the task attempt a token names.
func (e *Engine) TaskFailure(ctx context.Context, token, errName, cause string) error {
	fe := &failure.Error{Name: errName, Cause: cause}
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, nil, fe) })
}

// TaskHeartbeat tells that the task a token names is still being worked on.
func (e *Engine) TaskHeartbeat(ctx context.Context, token string) error {
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.heartbeat(tk.Thread, tk.ScheduledID) })
}

func (e *Engine) withToken(ctx context.Context, token string, apply func(*run, Token) bool) error {
	tk, ok := ParseToken(token)
	if !ok {
		return ErrTaskNotFound
	}
	applied := false
	_, _, err := e.modify(ctx, tk.ExecutionID, func(r *run) bool {
		// modify may call this again on a newer record: only the last call counts.
		applied = false
		t := r.threads[tk.Thread]
		if t == nil || t.Task == nil || t.Task.ScheduledID != tk.ScheduledID || t.Task.Secret != tk.Secret {
			return false
		}
		applied = apply(r, tk)
		return applied
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrTaskNotFound
	}
	if err != nil {
		return err
	}
	if !applied {
		return ErrTaskNotFound
	}
	return nil
}
