package interpreter

// Child executions: a parent's startExecution task starts a first-class
// execution (own record, history and partition) linked to the task that
// started it (header.Parent). Parent and child live in different
// partitions, so no single commit touches both. The child's last commit
// keeps it in its partition's in-flight set, which is its outbox entry;
// after that commit its node tells the parent, in a commit on the parent
// that is a no-op once the parent's task no longer waits for that attempt,
// and then clears the entry (header.Notified). A node that takes the
// child's partition over finds the entry there and delivers it again.
// So the parent wakes through a commit, never by polling, at least once,
// and idempotently.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// parentLink is a child execution's link to what started it.
type parentLink struct {
	ID          string `json:"id"`     // the parent execution's id
	Thread      int    `json:"thread"` // the parent's thread that waits
	ScheduledID int64  `json:"scheduledId"`
	// Secret is the parent task's: telling the parent is answering its
	// task, as a callback with the task token would.
	Secret string `json:"secret,omitempty"`
	// Sync is the parent's pattern (dsl.TaskSpec.Sync): 1 .sync, 2
	// .sync:2; 0 when the parent does not wait for the child's end.
	Sync int `json:"sync,omitempty"`
	// MachineArn is the ARN the parent started (the answer's StateMachineArn).
	MachineArn string `json:"machineArn,omitempty"`
	// Started is when the parent started (zero in a Map Run's link, whose
	// run id tells runs apart): an execution that reuses the parent's
	// name, once retention removed it, is another parent.
	Started time.Time `json:"started,omitzero"`
	// Map Run children (distributed Map): the run, the item (or batch)
	// index, and where the Map state is in the parent's definition (its
	// processor is the child's machine).
	Run   string      `json:"run,omitempty"`
	Index int         `json:"index,omitempty"`
	Path  []scopeStep `json:"path,omitempty"`
}

// waits reports whether the parent waits to be told of the child's end.
func (l *parentLink) waits() bool { return l != nil && (l.Sync > 0 || l.Run != "") }

// owedToParent reports whether the run is a .sync child whose end its
// parent is still to be told of: its outbox entry. A Map Run's child needs
// none: its run keeps it among the children running until told, and
// whoever recovers the parent starts those again, which finds an ended
// child and tells its end (startMapRunChild).
func (r *run) owedToParent() bool {
	p := r.hdr.Parent
	return r.status != store.StatusRunning && p != nil && p.Sync > 0 && p.Run == "" && !r.hdr.Notified
}

// endsRunChild reports whether the step ended a Map Run's child.
func (r *run) endsRunChild() bool {
	return r.status != store.StatusRunning && r.hdr.Parent != nil && r.hdr.Parent.Run != ""
}

// MachineRef is a state machine a startExecution task names, resolved.
type MachineRef struct {
	Name    string
	Version int // 0: the latest
	// ARN is how the answer names it (StateMachineArn).
	ARN string
}

// resolveMachine resolves a startExecution task's StateMachineArn: the
// configured resolver (the AWS API's versions and aliases), else an ARN
// of this server (a version ARN pins that revision) or a plain name.
func (e *Engine) resolveMachine(ctx context.Context, ref string) (MachineRef, error) {
	if e.cfg.ResolveMachine != nil {
		return e.cfg.ResolveMachine(ctx, ref)
	}
	if !strings.HasPrefix(ref, "arn:") {
		if !ValidName(ref) {
			return MachineRef{}, store.ErrNotFound
		}
		return MachineRef{Name: ref, ARN: e.cfg.Space.StateMachine(ref)}, nil
	}
	a, err := arn.Parse(ref)
	if err != nil || !e.cfg.Space.Owns(a) {
		return MachineRef{}, store.ErrNotFound
	}
	switch a.Kind {
	case arn.StateMachine:
		return MachineRef{Name: a.Name, ARN: ref}, nil
	case arn.Version:
		return MachineRef{Name: a.Name, Version: a.Version, ARN: ref}, nil
	}
	return MachineRef{}, store.ErrNotFound
}

// childName is the name of the child a startExecution attempt starts when
// its Parameters give none: derived from the attempt (the parent, when it
// started, and its TaskScheduled), so that a call made again (a node that
// took the parent's partition over) finds the child the first call
// started instead of starting another, while a later execution that reuses
// the parent's name does not. It has the shape of a UUID, as AWS's
// generated names.
func childName(parentID string, started time.Time, scheduledID int64) string {
	return uuidOf(fmt.Appendf(nil, "%s@%d/%d", parentID, started.UnixNano(), scheduledID))
}

// uuidOf is a name derived from key, in the shape of a UUID (the first
// 128 bits of its SHA-256): the same key, the same name.
func uuidOf(key []byte) string {
	sum := sha256.Sum256(key)
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// awsError is a service integration's error as AWS reports it: the
// service's exception name, and a cause in the SDK's words.
func awsError(exception, code, message string, reqID string) *failure.Error {
	return failure.Newf("StepFunctions."+exception, "%s (Service: AWSStepFunctions; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", message, code, reqID)
}

// startChild performs a startExecution attempt of execution parentID:
// it starts the child (or finds the one an earlier try of this attempt
// started) and answers {"ExecutionArn", "StartDate"}.
func (e *Engine) startChild(ctx context.Context, parentID string, c taskCall) (value.Value, *failure.Error) {
	params, _ := c.Params.(*value.Object)
	if params == nil {
		params = value.NewObject(0)
	}
	reqID := e.cfg.UUID()
	ref, _ := params.Get("StateMachineArn")
	refStr, ok := ref.(string)
	if !ok || refStr == "" {
		return nil, awsError("InvalidArnException", "InvalidArn", "Invalid Arn: 'StateMachineArn is required and must be a string'", reqID)
	}
	input := json.RawMessage("{}")
	if in, has := params.Get("Input"); has && in != nil {
		if s, isStr := in.(string); isStr {
			// A string is the input's JSON text, as the API's Input.
			if !json.Valid([]byte(s)) {
				return nil, awsError("InvalidExecutionInputException", "InvalidExecutionInput", "Invalid State Machine Execution Input: 'the Input string is not JSON text'", reqID)
			}
			input = json.RawMessage(s)
		} else {
			input = value.Marshal(in)
		}
	}
	name := childName(parentID, c.Started, c.ScheduledID)
	if n, has := params.Get("Name"); has && n != nil {
		s, isStr := n.(string)
		if !isStr {
			return nil, awsError("InvalidNameException", "InvalidName", "Invalid Name: 'Name must be a string'", reqID)
		}
		name = s
	}
	m, err := e.resolveMachine(ctx, refStr)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsError("StateMachineDoesNotExistException", "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+refStr+"'", reqID)
		}
		return nil, failure.New(failure.TaskFailed, err.Error())
	}
	link := &parentLink{ID: parentID, Thread: c.Thread, ScheduledID: c.ScheduledID, Sync: c.Spec.Sync, MachineArn: m.ARN, Started: c.Started}
	if tk, ok := ParseToken(c.Token); ok {
		link.Secret = tk.Secret
	}
	ex, _, err := e.startExecution(ctx, StartParams{StateMachine: m.Name, Name: name, Input: input, Version: m.Version}, link)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		return nil, awsError("StateMachineDoesNotExistException", "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+refStr+"'", reqID)
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, awsError("ExecutionAlreadyExistsException", "ExecutionAlreadyExists", "Execution Already Exists: '"+e.cfg.Space.Execution(m.Name, name)+"'", reqID)
	case errors.Is(err, ErrInvalidName):
		return nil, awsError("InvalidNameException", "InvalidName", "Invalid Name: '"+name+"'", reqID)
	case errors.Is(err, ErrPayloadTooLarge):
		return nil, awsError("InvalidExecutionInputException", "InvalidExecutionInput", "Invalid State Machine Execution Input: '"+err.Error()+"'", reqID)
	default:
		var inv *InvalidDefinitionError
		if errors.As(err, &inv) {
			return nil, failure.New(failure.TaskFailed, err.Error())
		}
		return nil, failure.New(failure.TaskFailed, "starting the child execution: "+err.Error())
	}
	return value.ObjectOf("ExecutionArn", e.cfg.Space.ExecutionOfID(ex.ID), "StartDate", epochMillis(ex.StartedAt)), nil
}

// epochMillis is a date as AWS's service integrations give it in task
// results: milliseconds since the epoch.
func epochMillis(t time.Time) value.Value {
	return value.Int(t.UnixMilli())
}

// sameAttempt reports whether a child found under a name was started by
// the attempt link describes (a call made again after a crash).
func sameAttempt(rec *store.Execution, link *parentLink) bool {
	if link == nil {
		return false
	}
	var h header
	if decodeHeader(rec.Engine, &h) != nil || h.Parent == nil {
		return false
	}
	p := h.Parent
	if link.Run != "" {
		// A Map Run's child: the same run and item, whatever redrives of
		// the parent changed about the thread and the run's start event.
		return p.ID == link.ID && p.Run == link.Run && p.Index == link.Index
	}
	return p.ID == link.ID && p.Thread == link.Thread && p.ScheduledID == link.ScheduledID && p.Started.Equal(link.Started)
}

// childEnd is what the parent is told: the child's record as it ended.
func (e *Engine) syncAnswer(rec *store.Execution, link *parentLink, withOutput bool) *value.Object {
	o := value.NewObject(12)
	text := func(b []byte) value.Value {
		v, err := value.Decode(b)
		if err != nil {
			v = value.NewObject(0)
		}
		if link.Sync == 2 {
			return v
		}
		return value.MarshalString(v) // compact JSON text
	}
	if !withOutput {
		if rec.Cause != "" {
			o.Set("Cause", rec.Cause)
		}
		if rec.Error != "" {
			o.Set("Error", rec.Error)
		}
	}
	o.Set("ExecutionArn", e.cfg.Space.ExecutionOfID(rec.ID))
	o.Set("Input", text(rec.Input))
	o.Set("InputDetails", value.ObjectOf("Included", true))
	o.Set("Name", rec.Name)
	if withOutput {
		o.Set("Output", text(rec.Output))
		o.Set("OutputDetails", value.ObjectOf("Included", true))
	}
	o.Set("StartDate", epochMillis(rec.StartedAt))
	machine := link.MachineArn
	if machine == "" {
		machine = e.cfg.Space.StateMachine(rec.StateMachine)
	}
	o.Set("StateMachineArn", machine)
	o.Set("Status", rec.Status)
	o.Set("StopDate", epochMillis(rec.StoppedAt))
	return o
}

// syncChildEnded applies a child's end to the parent's task that waits for it
// (a .sync attempt): the task succeeds with the child's description, or
// fails with States.TaskFailed and that description as JSON text. It
// reports false when that attempt no longer waits (answered already, timed
// out, withdrawn): delivering twice changes nothing.
func (r *run) syncChildEnded(link *parentLink, rec *store.Execution, answer, started *value.Object) bool {
	t := r.threads[link.Thread]
	if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil ||
		t.Task.ScheduledID != link.ScheduledID || !sameSecret(t.Task.Secret, link.Secret) {
		return false
	}
	if !t.Task.Submitted {
		// The child ended before its start was recorded here: the history
		// still shows the start first, as AWS's does.
		r.submitted(t.ID, link.ScheduledID, started)
	}
	if rec.Status == store.StatusSucceeded {
		return r.taskResult(t.ID, link.ScheduledID, answer, nil)
	}
	return r.taskResult(t.ID, link.ScheduledID, nil, failure.New(failure.TaskFailed, value.MarshalString(answer)))
}

// deliverLater tells the parent of child id's end, in the background, until
// it sticks or the engine stops.
func (e *Engine) deliverLater(id string) {
	e.untilDone("child execution's end not delivered to its parent yet", slog.String("execution_id", id),
		func() error { return e.deliver(e.ctx, id) })
}

// untilDone runs do on a kept worker, again after a back-off (doubling from
// 50 ms to 5 s) while it fails, until it succeeds or the engine stops:
// the background work that a committed step leaves (effects that are not
// task calls) and that only a crash may cut short, for recovery to redo.
func (e *Engine) untilDone(what string, about slog.Attr, do func() error) {
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			err := do()
			if err == nil || e.ctx.Err() != nil {
				return
			}
			e.log.Warn(what+"; retrying", about, slog.Any("error", err))
			select {
			case <-e.ctx.Done():
				return
			case <-e.cfg.Clock.After(backoff):
			}
		}
	})
}

// deliver tells the parent of child id's end (if it is still owed), then
// clears the child's outbox entry.
func (e *Engine) deliver(ctx context.Context, id string) error {
	rec, err := e.store.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var h header
	if err := decodeHeader(rec.Engine, &h); err != nil {
		return fmt.Errorf("execution %s: engine state: %w", id, err)
	}
	if rec.Status == store.StatusRunning || !h.Parent.waits() || h.Notified {
		return nil
	}
	if h.Parent.Run != "" {
		return e.tellMapRun(ctx, h.Parent, rec) // no outbox entry to clear
	}
	link := h.Parent
	if err := e.tellParent(ctx, link, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, _, err = e.modify(ctx, id, func(r *run) bool {
		if !r.owedToParent() {
			return false
		}
		r.hdr.Notified = true
		return true
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// tellParent commits a child's end on its parent.
func (e *Engine) tellParent(ctx context.Context, link *parentLink, rec *store.Execution) error {
	if link.Run != "" {
		return e.tellMapRun(ctx, link, rec)
	}
	answer := e.syncAnswer(rec, link, rec.Status == store.StatusSucceeded)
	started := value.ObjectOf("ExecutionArn", e.cfg.Space.ExecutionOfID(rec.ID), "StartDate", epochMillis(rec.StartedAt))
	_, _, err := e.modify(ctx, link.ID, func(r *run) bool { return r.syncChildEnded(link, rec, answer, started) })
	return err
}

// stopChildren stops the child executions of .sync attempts a committed
// step withdrew (the parent stopped, timed out, or a sibling failed).
func (e *Engine) stopChildren(parentID string, kids []stopKid) {
	for _, k := range kids {
		e.wg.Add(1)
		e.workers.run(func() {
			defer e.wg.Done()
			cause := "The parent execution " + e.cfg.Space.ExecutionOfID(parentID) + " no longer waits for this execution"
			_, _, err := e.modify(e.ctx, k.id, func(r *run) bool {
				if r.status != store.StatusRunning || r.hdr.Parent == nil || r.hdr.Parent.ID != parentID ||
					k.gen != 0 && r.hdr.Parent.ScheduledID != k.gen {
					// Ended; not this parent's child (an answer may name any
					// execution: a mocked or intercepted one never started
					// it); or redriven for a later run of its Map Run.
					return false
				}
				r.abort("", cause, false)
				return true
			})
			if err != nil && !errors.Is(err, store.ErrNotFound) && e.ctx.Err() == nil {
				e.log.Warn("child execution not stopped", slog.String("execution_id", k.id), slog.Any("error", err))
			}
		})
	}
}

// stopKid is a child execution to stop: a Map Run's (gen: its run's
// MapRunStarted or MapRunRedriven event) only while it still runs for
// that run; any other (gen 0) while it runs.
type stopKid struct {
	id  string
	gen int64
}

// childOf returns the child execution id a startExecution answer names.
func childOf(s *dsl.State, response value.Value) string {
	if s == nil || s.Task == nil || s.Task.Kind != dsl.ExecutionTask {
		return ""
	}
	o, _ := response.(*value.Object)
	if o == nil {
		return ""
	}
	v, _ := o.Get("ExecutionArn")
	str, _ := v.(string)
	a, err := arn.Parse(str)
	if err != nil || a.Kind != arn.Execution {
		return ""
	}
	return a.ExecutionID()
}
