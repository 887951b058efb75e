package interpreter

// Activities: workers poll for tasks, and a task that left its queue with
// a node that died is queued again.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/store"
)

// activityArrived wakes the pollers of an activity.
func (e *Engine) activityArrived(activity string) {
	e.pollMu.Lock()
	if ch := e.pollers[activity]; ch != nil {
		close(ch)
		delete(e.pollers, activity)
	}
	e.pollMu.Unlock()
}

func (e *Engine) activitySignal(activity string) <-chan struct{} {
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	ch := e.pollers[activity]
	if ch == nil {
		ch = make(chan struct{})
		e.pollers[activity] = ch
	}
	return ch
}

// PollEnded reports whether a long poll's wait, ctx, has (all but) run out.
// A store call cut short by that deadline can fail a moment before ctx
// says so: the caller of PollActivity takes such an error as "nothing
// arrived", not as a failure.
func PollEnded(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < 50*time.Millisecond
}

// PollActivity hands a task of an activity (roughly the oldest: see
// store.Store.PopActivity) to a worker, waiting until one arrives or ctx
// ends (then ErrTaskNotFound). The task's ActivityStarted is committed
// before it is handed out.
func (e *Engine) PollActivity(ctx context.Context, activity, worker string) (token string, input json.RawMessage, err error) {
	for {
		signal := e.activitySignal(activity)
		task, err := e.store.PopActivity(ctx, activity)
		if err == nil {
			tk, ok := ParseToken(task.Token)
			applied := false
			if ok {
				_, _, err = e.modify(ctx, tk.ExecutionID, func(r *run) bool {
					applied, r.claim = false, nil // modify may call this again on a newer record
					t := r.threads[tk.Thread]
					if t == nil || t.Task == nil || !sameSecret(t.Task.Secret, tk.Secret) {
						return false
					}
					applied = r.activityStarted(tk.Thread, tk.ScheduledID, worker)
					if applied && task.Held != "" {
						r.claim = task // the task leaves its queue with ActivityStarted, or not at all
					}
					return applied
				})
			}
			switch {
			case errors.Is(err, store.ErrTaskTaken):
				continue // a poller elsewhere claimed it first
			case err != nil && !errors.Is(err, store.ErrNotFound):
				// The hand-out could not be recorded: the task goes back to
				// the queue for the next poller (a held one never left it).
				if task.Held == "" {
					e.requeueUntilDone(tk)
				}
				return "", nil, err
			case err == nil && applied:
				return task.Token, task.Input, nil
			}
			// The task was withdrawn, timed out or ended with its execution
			// meanwhile: a held one is taken out of its queue now.
			if task.Held != "" {
				if _, err := e.store.DropActivity(context.WithoutCancel(ctx), task); err != nil {
					e.log.Warn("stale activity task not dropped", slog.String("execution_id", task.ExecutionID), slog.Any("error", err))
				}
			}
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			if deadline, ok := ctx.Deadline(); ctx.Err() != nil || ok && !time.Now().Before(deadline) {
				return "", nil, ErrTaskNotFound // the poll's time ran out during the read
			}
			return "", nil, err
		}
		select {
		case <-ctx.Done():
			return "", nil, ErrTaskNotFound
		case <-signal:
		case <-e.cfg.Clock.After(250 * time.Millisecond): // tasks queued by other nodes
		}
	}
}

// requeueActivity queues an activity task again while it is still waiting
// for a worker: after a hand-out that could not be recorded, or on recovery
// (a node may have died between taking a task off the queue and recording
// it). A duplicate entry is harmless: a poll that finds the task already
// started skips it.
func (e *Engine) requeueActivity(ctx context.Context, tk Token) {
	if err := e.requeueOnce(ctx, tk); err != nil {
		e.log.Warn("activity task not requeued", slog.String("execution_id", tk.ExecutionID), slog.Any("error", err))
	}
}

// requeueUntilDone is requeueActivity for a task this node popped and
// could not hand out: the store just failed, so the requeue is tried
// again in the background, backing off, until it sticks or the engine
// stops. Otherwise a second failure would leave the task in no queue, and
// an activity without a timeout would wait for ever.
func (e *Engine) requeueUntilDone(tk Token) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			err := e.requeueOnce(e.ctx, tk)
			if err == nil || e.ctx.Err() != nil {
				return
			}
			e.log.Warn("activity task not requeued yet; retrying", slog.String("execution_id", tk.ExecutionID), slog.Any("error", err))
			select {
			case <-e.ctx.Done():
				return
			case <-e.cfg.Clock.After(backoff):
			}
		}
	}()
}

// requeueOnce queues the task again if it still waits for a worker; nil
// when it does not (any more).
func (e *Engine) requeueOnce(ctx context.Context, tk Token) error {
	_, _, err := e.modify(ctx, tk.ExecutionID, func(r *run) bool {
		t := r.threads[tk.Thread]
		if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil ||
			t.Task.ScheduledID != tk.ScheduledID || !sameSecret(t.Task.Secret, tk.Secret) || t.Task.Started {
			return false
		}
		s := r.state(t)
		if s == nil || s.Task == nil || s.Task.Kind != dsl.ActivityTask {
			return false
		}
		r.activities = append(r.activities, r.queuedTask(t, s))
		return true
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
