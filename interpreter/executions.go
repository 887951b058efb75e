package interpreter

// Executions as callers see them: start, describe, wait, stop, redrive
// and history.

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
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// Execution is an execution as clients see it.
type Execution struct {
	ID           string
	StateMachine string
	Version      int
	Name         string
	Status       string
	Input        json.RawMessage
	Output       json.RawMessage
	Error        string
	Cause        string
	StartedAt    time.Time
	StoppedAt    time.Time
	RedriveCount int
	// ParentID is the execution that started this one (a startExecution
	// task or a distributed Map), "" for none; MapRunID the Map Run of a
	// distributed Map's child.
	ParentID string
	MapRunID string
	// TestCase is the test case of the mock configuration the execution
	// was started with: its mocked calls were not made for real.
	TestCase string
}

// viewWith is viewOf for a record this node just created with link: its
// header need not be read back.
func viewWith(rec *store.Execution, link *parentLink) *Execution {
	x := bareView(rec)
	if link != nil {
		x.ParentID, x.MapRunID = link.ID, link.Run
	}
	return x
}

func bareView(rec *store.Execution) *Execution {
	return &Execution{ID: rec.ID, StateMachine: rec.StateMachine, Version: rec.Version, Name: rec.Name, Status: rec.Status,
		Input: rec.Input, Output: rec.Output, Error: rec.Error, Cause: rec.Cause, StartedAt: rec.StartedAt,
		StoppedAt: rec.StoppedAt, RedriveCount: rec.RedriveCount}
}

func viewOf(rec *store.Execution) *Execution {
	x := bareView(rec)
	var h header
	if decodeHeader(rec.Engine, &h) == nil {
		if h.Parent != nil {
			x.ParentID, x.MapRunID = h.Parent.ID, h.Parent.Run
		}
		if h.Mock != nil {
			x.TestCase = h.Mock.Case
		}
	}
	return x
}

// StartParams starts an execution.
type StartParams struct {
	StateMachine string
	// Name makes the start idempotent; empty gets a new UUID.
	Name string
	// Input is the execution's input (JSON); empty means {}.
	Input json.RawMessage
	// Version pins a version; 0 takes the latest.
	Version int
	// TestCase, when set, names a test case of the engine's mock
	// configuration (Config.Mocks) for this state machine: the execution's
	// calls of the states it mocks get its mocked responses (AWS Step
	// Functions Local's "stateMachineArn#TestCase").
	TestCase string
}

// mockedMachine is the state machine whose test cases mock the calls of
// executions of sm: sm itself, or for a Map Run's child ("parent/Label"),
// the parent's, whose test case it runs with.
func mockedMachine(sm string) string {
	name, _, _ := strings.Cut(sm, "/")
	return name
}

// ErrNoTestCase: a start names a test case that the engine's mock
// configuration does not have (or the engine has none).
var ErrNoTestCase = errors.New("no such test case")

// StartExecution starts an execution and returns once its start (and its
// first step) is committed. existing is true when the name was already used
// with the same input and version: the existing execution is returned.
func (e *Engine) StartExecution(ctx context.Context, p StartParams) (ex *Execution, existing bool, err error) {
	return e.startExecution(ctx, p, nil)
}

// startExecution is StartExecution for a child execution too: link, when
// set, ties the execution to the parent's attempt that starts it. A name
// already taken by a child of that same attempt (the attempt's call made
// again) is that child.
func (e *Engine) startExecution(ctx context.Context, p StartParams, link *parentLink) (ex *Execution, existing bool, err error) {
	if p.Name == "" {
		p.Name = e.cfg.UUID()
	}
	if !ValidName(p.Name) {
		return nil, false, fmt.Errorf("execution name %q: %w", p.Name, ErrInvalidName)
	}
	if len(p.Input) == 0 {
		p.Input = json.RawMessage("{}")
	}
	if len(p.Input) > e.cfg.Limits.MaxPayload {
		return nil, false, fmt.Errorf("input of %d bytes exceeds %d bytes: %w", len(p.Input), e.cfg.Limits.MaxPayload, ErrPayloadTooLarge)
	}
	input, err := value.Decode(p.Input)
	if err != nil {
		return nil, false, fmt.Errorf("input is not valid JSON: %w", err)
	}
	version := p.Version
	var def *dsl.Definition
	if link != nil && link.Run != "" {
		// A Map Run's child runs the Map's processor, of the parent's
		// version (pinned, whatever became of the state machine since).
		parentSM, _, _ := strings.Cut(p.StateMachine, "/")
		if def, err = e.processorDefinition(ctx, parentSM, version, link.Path); err != nil {
			return nil, false, err
		}
	} else {
		if version == 0 {
			if version, err = e.latestVersion(ctx, p.StateMachine); err != nil {
				return nil, false, err
			}
		} else if _, err := e.store.GetStateMachine(ctx, p.StateMachine, version); err != nil {
			return nil, false, err
		}
		if def, err = e.definition(ctx, p.StateMachine, version); err != nil {
			return nil, false, err
		}
	}
	sm := store.StateMachine{Name: p.StateMachine, Version: version}
	hash := inputHash(input, sm.Version)
	if p.TestCase != "" {
		if e.cfg.Mocks == nil {
			return nil, false, fmt.Errorf("test case %q: this server has no mock configuration (sfn serve --mock-config): %w", p.TestCase, ErrNoTestCase)
		}
		tc, err := e.cfg.Mocks.TestCase(mockedMachine(p.StateMachine), p.TestCase)
		if err != nil {
			return nil, false, fmt.Errorf("%v: %w", err, ErrNoTestCase)
		}
		if link == nil {
			// A state the test case names that is no Task state of this
			// definition (a typo, a renamed state) would run for real in an
			// execution that says it is mocked: refused, as sfn run does.
			// A Map Run's child runs a part of the definition its parent
			// checked.
			tasks := def.Machine.TaskStates()
			for _, name := range tc.States() {
				if tasks[name] == nil {
					return nil, false, fmt.Errorf("test case %q mocks %q, which is not a Task state of state machine %q (version %d): %w",
						p.TestCase, name, p.StateMachine, version, ErrNoTestCase)
				}
			}
		}
		// The same name started again with another test case (or none)
		// is another start, not this one's retry.
		hash += "#" + p.TestCase
	}
	now := e.cfg.Clock.Now().UTC()
	r := &run{
		id: sm.Name + ":" + p.Name, smName: sm.Name, execName: p.Name, version: sm.Version, status: store.StatusRunning,
		input: input, startedAt: now, inputHash: hash, def: def,
		threads: map[int]*thread{}, dirty: map[int]bool{}, deleted: map[int]bool{},
		now: now, deps: e.deps(), limits: e.cfg.Limits, space: e.cfg.Space, events: make([]store.Event, 0, 8),
	}
	r.hdr.LastTime = now
	if readsContext(&def.Machine) {
		// The ids the context object shows are fixed now, for the whole
		// execution (redrives included). Only an execution that can see
		// them needs the flag, and the encoding that a node of an earlier
		// release refuses: the others stay runnable by such a node during
		// a rolling upgrade.
		r.hdr.ARNIDs, r.hdr.Enc = true, encodingARNIDs
	}
	if link != nil {
		r.hdr.Parent, r.hdr.Enc = link, encodingChildren
	}
	if p.TestCase != "" || e.cfg.TaskInterceptor != nil {
		// A mocked execution counts its calls; so does one whose calls an
		// interceptor answers (sfn run, sfntest), which is told each
		// call's number: counted as the calls are scheduled, they follow
		// the execution's order, not the order in which concurrent
		// attempts (a Map's iterations) reach the interceptor.
		r.hdr.Mock, r.hdr.Enc = &mockRun{Case: p.TestCase}, encodingMocks
	}
	r.rep.on = e.cfg.Observer != nil
	r.start()
	rec, threads, _, err := r.record()
	if err != nil {
		return nil, false, err
	}
	rec.Threads = threads
	existingID, err := e.store.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: r.events, Activities: r.activities,
		InFlight: r.inFlight(), Change: e.statusChange(rec, 1, true)})
	var old *store.Execution // the execution under this name, when the create met one
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		// The create's outcome is unknown (a timeout, a dropped connection):
		// what is under the name says what happened. Nothing (or no answer
		// at all): the create's error stands, and a retry is safe.
		if found, rerr := e.readBack(ctx, rec.ID); rerr == nil {
			// This create, maybe stepped on since by the partition's holder
			// (its first step may have left it due at once): its start time,
			// to the nanosecond, and its input are this start's.
			if sameWrite(found, 1, rec, threads) || found.StartedAt.Equal(rec.StartedAt) && found.InputHash == rec.InputHash {
				err = nil // the create was applied
			} else {
				// Another start under this name got there first: answered as
				// when the store says so.
				old, existingID, err = found, found.ID, store.ErrAlreadyExists
			}
		}
	}
	if ambiguous(err) {
		// Still unknown: the create may land yet, with its first calls to
		// make; the client's retry (by name) finds it if so (recheck.go).
		e.recheckLater(rec.ID)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		if old == nil {
			var gerr error
			if old, gerr = e.store.GetExecution(ctx, existingID); gerr != nil {
				return nil, false, gerr
			}
		}
		if sameAttempt(old, link) {
			return viewOf(old), true, nil
		}
		if old.InputHash != hash || link.waits() {
			// A parent that waits for its child's end is told of it only by
			// a child it started.
			return nil, false, fmt.Errorf("execution name %q is already used with a different input or version: %w", p.Name, store.ErrAlreadyExists)
		}
		return viewOf(old), true, nil
	}
	if err != nil {
		return nil, false, err
	}
	rec.RecordVersion = 1
	e.records.putDecoded(rec, r.decodedThreads(rec))
	e.log.LogAttrs(ctx, slog.LevelDebug, "execution started", slog.String("execution_id", r.id), slog.String("state_machine", r.smName))
	e.afterCommit(r.effects(rec))
	x := viewWith(rec, link)
	x.TestCase = p.TestCase
	return x, false, nil
}

// readsContext reports whether a state of m, or of a branch or Map
// processor within it, reads the context object.
func readsContext(m *dsl.Machine) bool {
	for _, s := range m.States {
		if s.UsesContext {
			return true
		}
		for _, b := range s.Branches {
			if readsContext(b) {
				return true
			}
		}
		if s.Processor != nil && readsContext(s.Processor) {
			return true
		}
	}
	return false
}

// inputHash identifies a start request: the input's canonical form and the version.
func inputHash(input value.Value, version int) string {
	h := sha256.New()
	h.Write(value.Canonical(input))
	fmt.Fprintf(h, "@%d", version)
	return hex.EncodeToString(h.Sum(nil))
}

// GetExecution describes an execution.
func (e *Engine) GetExecution(ctx context.Context, id string) (*Execution, error) {
	rec, err := e.store.GetExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	return viewOf(rec), nil
}

// Wait reads the execution without a notice after waitRecheck, then after
// twice as long each time up to waitRecheckMax: a notice lost while the
// store's subscription reconnects must not keep a waiter until its
// deadline, and many long waits must not become a steady load of reads.
const (
	waitRecheck    = 2 * time.Second
	waitRecheckMax = 30 * time.Second
)

// Wait blocks until the execution ends or ctx is done, and returns it. It
// reads the execution when its status changes, not after every step.
func (e *Engine) Wait(ctx context.Context, id string) (*Execution, error) {
	notices, cancel := e.store.WatchStatus(ctx, id)
	defer cancel()
	every := waitRecheck
	recheck := time.NewTimer(every) // real time, whatever the engine's clock: it is about the network
	defer recheck.Stop()
	for {
		ex, err := e.GetExecution(ctx, id)
		if err != nil {
			return nil, err
		}
		if ex.Status != store.StatusRunning {
			return ex, nil
		}
		select {
		case <-notices:
		case <-recheck.C:
			every = min(2*every, waitRecheckMax)
			recheck.Reset(every)
		case <-ctx.Done():
			return ex, ctx.Err()
		}
	}
}

// StopExecution aborts a running execution; an ended one is returned unchanged.
func (e *Engine) StopExecution(ctx context.Context, id, errName, cause string) (*Execution, error) {
	rec, _, err := e.modify(ctx, id, func(r *run) bool {
		if r.status != store.StatusRunning {
			return false
		}
		r.abort(errName, cause, false)
		return true
	})
	if err != nil {
		return nil, err
	}
	return viewOf(rec), nil
}

// MaxRedrives bounds how often one execution may be redriven (as AWS).
const MaxRedrives = 1000

// RedriveExecution resumes a FAILED, TIMED_OUT or ABORTED execution from the
// state that did not succeed.
func (e *Engine) RedriveExecution(ctx context.Context, id string) (*Execution, error) {
	return e.RedriveExecutionToken(ctx, id, "")
}

// RedriveExecutionToken is RedriveExecution with the caller's idempotency
// token (the AWS API's clientToken), kept in the ExecutionRedriven event
// so that a retried redrive can be recognised (RedrivenWith).
func (e *Engine) RedriveExecutionToken(ctx context.Context, id, clientToken string) (*Execution, error) {
	var refused error
	rec, _, err := e.modify(ctx, id, func(r *run) bool {
		refused = r.redrive(clientToken)
		return refused == nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return viewOf(rec), nil
}

// History returns a page of an execution's events.
func (e *Engine) History(ctx context.Context, q store.HistoryQuery) ([]store.Event, error) {
	return e.store.History(ctx, q)
}

// logEnd writes one line when an execution ends.
func (e *Engine) logEnd(id string, x *endedExecution) {
	attrs := []slog.Attr{slog.String("execution_id", id), slog.String("state_machine", x.smName), slog.String("status", x.status)}
	level := slog.LevelInfo
	if x.status != store.StatusSucceeded {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", x.errName))
		if e.cfg.LogData {
			attrs = append(attrs, slog.String("cause", x.cause))
		}
	} else if e.cfg.LogData {
		attrs = append(attrs, slog.String("output", value.MarshalString(x.output)))
	}
	e.log.LogAttrs(e.ctx, level, "execution ended", attrs...)
}
