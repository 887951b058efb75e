package express

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// UnsupportedError is a Task that an Express execution cannot run.
type UnsupportedError struct {
	State    string // the state's name
	Pointer  string // its JSON Pointer in the definition
	Resource string
	Reason   string // ReasonActivity or ReasonWaitForToken
}

// Reasons of an UnsupportedError.
const (
	ReasonActivity     = "activities"
	ReasonWaitForToken = "the '.waitForTaskToken' integration pattern"
)

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("Express state machines do not support %s: state %q (%s) has Resource %q; use a STANDARD state machine",
		e.Reason, e.State, e.Pointer, e.Resource)
}

// Problems lists every Task of m, its branches and its Map processors
// included, that an Express execution cannot run, in definition order: an
// activity, or the .waitForTaskToken pattern. Both wait for an answer
// through the shared store (GetActivityTask, SendTaskSuccess), which an
// Express execution, held in one node's memory, never sees. AWS refuses
// them in Express state machines too.
func Problems(m *dsl.Machine) []*UnsupportedError {
	var out []*UnsupportedError
	for _, name := range m.Names {
		s := m.States[name]
		if t := s.Task; t != nil {
			switch {
			case t.Kind == dsl.ActivityTask:
				out = append(out, &UnsupportedError{State: s.Name, Pointer: s.Pointer, Resource: t.Resource, Reason: ReasonActivity})
			case t.WaitForToken:
				out = append(out, &UnsupportedError{State: s.Name, Pointer: s.Pointer, Resource: t.Resource, Reason: ReasonWaitForToken})
			}
		}
		for _, b := range s.Branches {
			out = append(out, Problems(b)...)
		}
		if s.Processor != nil {
			out = append(out, Problems(s.Processor)...)
		}
	}
	return out
}

// Check returns the first of def's Problems as an error, nil when there
// is none.
func Check(def *dsl.Definition) error {
	if ps := Problems(&def.Machine); len(ps) > 0 {
		return ps[0]
	}
	return nil
}

// definitions copies definition versions from the shared store into the
// private engine. The private store numbers versions itself, so the copy of
// shared version v gets whatever number the private store gives it; the
// mapping is kept here. Versions are immutable (and never reused, also
// after a delete), so an entry never goes stale.
type definitions struct {
	shared     store.Store
	private    *interpreter.Engine
	maxSeconds int64 // the Express time limit, as the definition's TimeoutSeconds

	mu     sync.RWMutex
	copied map[string]copied // name + "@" + shared version
	load   sync.Mutex        // one copy at a time: the private store numbers them in order
}

type copied struct {
	version int   // in the private store
	timeout int64 // its TimeoutSeconds: the definition's, at most the cap
	err     error // *unrunnableError: the version cannot run as Express
}

// unrunnableError is a definition version that Express can never run
// (UnsupportedError, no longer compiles): remembered, it is the answer to
// every start of that version.
type unrunnableError struct{ err error }

func (e *unrunnableError) Error() string { return e.err.Error() }
func (e *unrunnableError) Unwrap() error { return e.err }

func newDefinitions(shared store.Store, private *interpreter.Engine, maxSeconds int64) *definitions {
	return &definitions{shared: shared, private: private, maxSeconds: maxSeconds, copied: map[string]copied{}}
}

// resolved is a definition version ready to run.
type resolved struct {
	shared  int   // the shared store's version
	private int   // its copy's, in the private store
	timeout int64 // the copy's TimeoutSeconds
}

// resolve returns the shared version to run (version, or the latest when
// 0) and its private copy, copying it on first use. The copy's
// TimeoutSeconds is at most capSeconds, itself at most the Express limit:
// a run taken again after a crash gets a copy capped at what is left of
// its time (one copy per version and number of seconds, so at most the
// limit's 300 per version).
func (d *definitions) resolve(ctx context.Context, name string, version int, capSeconds int64) (resolved, error) {
	if version == 0 {
		sm, err := d.shared.GetStateMachine(ctx, name, 0)
		if err != nil {
			return resolved{}, err
		}
		version = sm.Version
	}
	if capSeconds <= 0 || capSeconds > d.maxSeconds {
		capSeconds = d.maxSeconds
	}
	key := fmt.Sprintf("%s@%d", name, version)
	if capSeconds < d.maxSeconds {
		key += fmt.Sprintf("/%ds", capSeconds)
	}
	d.mu.RLock()
	c, ok := d.copied[key]
	d.mu.RUnlock()
	if ok {
		return resolved{version, c.version, c.timeout}, c.err
	}
	d.load.Lock()
	defer d.load.Unlock()
	d.mu.RLock()
	c, ok = d.copied[key]
	d.mu.RUnlock()
	if ok {
		return resolved{version, c.version, c.timeout}, c.err
	}
	sm, err := d.shared.GetStateMachineVersion(ctx, name, version)
	if err != nil {
		return resolved{}, err // not remembered: a store error may pass
	}
	c, err = d.copy(ctx, sm, capSeconds)
	if err != nil {
		return resolved{}, err
	}
	d.mu.Lock()
	d.copied[key] = c
	d.mu.Unlock()
	return resolved{version, c.version, c.timeout}, c.err
}

// copy stores sm in the private store with its TimeoutSeconds capped at
// capSeconds: the engine's own execution timeout then ends a run that
// goes on too long, TIMED_OUT with States.Timeout, as AWS does. The
// returned error is the store's; a definition Express cannot run is
// remembered in copied.err.
func (d *definitions) copy(ctx context.Context, sm store.StateMachine, capSeconds int64) (copied, error) {
	def, err := interpreter.CompileVersion(sm)
	if err != nil {
		return copied{err: &unrunnableError{err}}, nil
	}
	if err := Check(def); err != nil {
		return copied{err: &unrunnableError{err}}, nil
	}
	timeout := def.TimeoutSeconds
	if timeout <= 0 || timeout > capSeconds {
		timeout = capSeconds
	}
	text, err := capTimeout(interpreter.DefinitionJSON(sm), def.TimeoutSeconds, capSeconds)
	if err != nil {
		return copied{err: &unrunnableError{err}}, nil
	}
	res, err := d.private.PutStateMachine(ctx, sm.Name, text, dsl.JSON)
	if err != nil {
		var invalid *interpreter.InvalidDefinitionError
		if errors.As(err, &invalid) || errors.Is(err, interpreter.ErrInvalidName) {
			return copied{err: &unrunnableError{err}}, nil // compiled above: only a release that validates more refuses it
		}
		return copied{}, err
	}
	return copied{version: res.StateMachine.Version, timeout: timeout}, nil
}

// capTimeout returns the definition (JSON, keys in their order and numbers
// as written) with TimeoutSeconds at most max: set when it is absent (0)
// or larger.
func capTimeout(text []byte, current, max int64) ([]byte, error) {
	if current > 0 && current <= max {
		return text, nil
	}
	root, err := value.Decode(text)
	if err != nil {
		return nil, fmt.Errorf("stored definition: %w", err)
	}
	obj, ok := root.(*value.Object)
	if !ok {
		return nil, fmt.Errorf("stored definition is not a JSON object")
	}
	obj.Set("TimeoutSeconds", value.Int(max))
	return value.Marshal(obj), nil
}
