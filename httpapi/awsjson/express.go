package awsjson

import (
	"context"
	"encoding/json"
	"time"
)

// Express runs EXPRESS executions: in a node's memory, not checkpointed per
// step (package express).
type Express interface {
	// StartSync runs an execution to its end and returns it.
	StartSync(ctx context.Context, p ExpressStart) (*ExpressResult, error)
	// StartAsync starts an execution and returns at once.
	StartAsync(ctx context.Context, p ExpressStart) (*ExpressResult, error)
}

// ExpressStart starts an EXPRESS execution.
type ExpressStart struct {
	StateMachine string
	Version      int // the sfn revision to run
	Name         string
	Input        json.RawMessage
}

// ExpressResult is an EXPRESS execution as StartSyncExecution answers it.
type ExpressResult struct {
	ID        string // unique per execution: the last part of its ARN
	Name      string
	Status    string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Input     json.RawMessage
	Output    json.RawMessage
	Error     string
	Cause     string
	StartedAt time.Time
	StoppedAt time.Time
}
