package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Fire is one start a schedule asks for.
type Fire struct {
	Schedule string
	Target   Target
	Input    json.RawMessage
	Name     string // the execution's name: Pending.ExecutionName(Schedule)
	Slot     time.Time
}

// Starter starts the executions of fires and checks targets. The engine's
// (EngineStarter) knows state machines and their revisions; the API's
// (httpapi.ScheduleStarter) resolves published versions and aliases as a
// start through the API does. A start must be idempotent by name: the
// same fire made twice finds the execution the first one started.
type Starter interface {
	Start(ctx context.Context, f Fire) (ex *interpreter.Execution, existing bool, err error)
	// Check reports what is wrong with a target (ErrTarget, or
	// store.ErrNotFound for a state machine, version or alias that does
	// not exist).
	Check(ctx context.Context, t Target) error
}

// ErrTarget: a target that cannot be started (an Express state machine, a
// form the starter does not resolve). A fire refused with it, or with
// store.ErrNotFound, is counted as failed and not tried again.
var ErrTarget = errors.New("schedule target cannot be started")

// EngineStarter starts targets by state machine name and revision.
type EngineStarter struct{ Engine *interpreter.Engine }

// Start implements Starter.
func (s EngineStarter) Start(ctx context.Context, f Fire) (*interpreter.Execution, bool, error) {
	if f.Target.PublishedVersion != 0 || f.Target.Alias != "" {
		return nil, false, fmt.Errorf("%w: published versions and aliases need the API's starter", ErrTarget)
	}
	return s.Engine.StartExecution(ctx, interpreter.StartParams{StateMachine: f.Target.StateMachine, Name: f.Name,
		Input: f.Input, Version: f.Target.Version})
}

// Check implements Starter.
func (s EngineStarter) Check(ctx context.Context, t Target) error {
	if t.PublishedVersion != 0 || t.Alias != "" {
		return fmt.Errorf("%w: published versions and aliases need the API's starter", ErrTarget)
	}
	if _, err := s.Engine.Store().GetStateMachine(ctx, t.StateMachine, t.Version); err != nil {
		if errors.Is(err, store.ErrNotFound) && t.Version != 0 {
			return fmt.Errorf("state machine %s has no version %d: %w", t.StateMachine, t.Version, store.ErrNotFound)
		}
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no state machine %s: %w", t.StateMachine, store.ErrNotFound)
		}
		return err
	}
	return nil
}

// permanent reports whether a start error will not go away by trying
// again: the slot is then counted as failed.
func permanent(err error) bool {
	return errors.Is(err, ErrTarget) || errors.Is(err, store.ErrNotFound) || errors.Is(err, interpreter.ErrInvalidName) ||
		errors.Is(err, interpreter.ErrPayloadTooLarge) || errors.Is(err, interpreter.ErrNoTestCase) ||
		errors.Is(err, value.ErrTooDeep)
}
