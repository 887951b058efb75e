package awsjson

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		// long: the call waits for the run, up to Express's five minutes.
		"StartSyncExecution": {role: RoleOperator, long: true, fn: (*Server).startSyncExecution},
	})
}

// Values of StartSyncExecution's includedData.
const (
	includeAllData      = "ALL_DATA"
	includeMetadataOnly = "METADATA_ONLY"
)

// maxTraceHeader is AWS's bound on traceHeader.
const maxTraceHeader = 256

// Billing as AWS reports it for an Express execution: its duration rounded
// up to 100 ms, and memory in 64 MB steps. sfn bills nothing; the figures
// are AWS's formula, so that clients that read them get what they expect.
const (
	billedDurationStep = 100 // ms
	billedMemoryMB     = 64
)

type startSyncIn struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
	IncludedData    string  `json:"includedData"`
}

type dataDetails struct {
	Included bool `json:"included"`
}

type billingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

type startSyncOut struct {
	ExecutionArn    string          `json:"executionArn"`
	StateMachineArn string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	StartDate       *Epoch          `json:"startDate"`
	StopDate        *Epoch          `json:"stopDate"`
	Status          string          `json:"status"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	Input           *string         `json:"input,omitempty"`
	InputDetails    *dataDetails    `json:"inputDetails,omitempty"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *dataDetails    `json:"outputDetails,omitempty"`
	TraceHeader     string          `json:"traceHeader,omitempty"`
	BillingDetails  *billingDetails `json:"billingDetails"`
}

// startSyncExecution runs an EXPRESS execution and answers with its end: a
// run that fails is an answer of 200 with status FAILED, not an error.
func (s *Server) startSyncExecution(ctx context.Context, c *call) (any, error) {
	var in startSyncIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.TraceHeader) > maxTraceHeader {
		return nil, errorf(excValidation, "1 validation error detected: Value at 'traceHeader' failed to satisfy constraint: Member must have length less than or equal to %d", maxTraceHeader)
	}
	switch in.IncludedData {
	case "", includeAllData, includeMetadataOnly:
	default:
		return nil, errorf(excValidation, "1 validation error detected: Value '%s' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s]",
			in.IncludedData, includeAllData, includeMetadataOnly)
	}
	name, revision, typ, err := s.resolveSync(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if typ != awsmeta.Express {
		return nil, errorf(excSMTypeNotSupported, "This operation is not supported by this type of state machine")
	}
	if s.cfg.Express == nil {
		return nil, errorf(excSMTypeNotSupported, "this node does not run EXPRESS state machines")
	}
	if in.Name != "" {
		if err := validName("execution", in.Name); err != nil {
			return nil, err
		}
	}
	input, err := executionInput(in.Input)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Express.StartSync(ctx, ExpressStart{StateMachine: name, Version: revision, Name: in.Name, Input: input})
	if err != nil {
		return nil, err
	}
	out := startSyncOut{
		ExecutionArn: s.space.Express(name, res.Name, res.ID), StateMachineArn: s.space.StateMachine(name), Name: res.Name,
		StartDate: epoch(res.StartedAt), StopDate: epoch(res.StoppedAt), Status: syncStatus(res.Status),
		TraceHeader: in.TraceHeader, BillingDetails: billing(res),
	}
	if out.Status != store.StatusSucceeded {
		out.Error, out.Cause = res.Error, res.Cause
	}
	all := in.IncludedData != includeMetadataOnly
	out.InputDetails = &dataDetails{Included: all}
	if all {
		text := string(res.Input)
		out.Input = &text
	}
	if res.Status == store.StatusSucceeded {
		out.OutputDetails = &dataDetails{Included: all}
		if all {
			text := string(res.Output)
			out.Output = &text
		}
	}
	return out, nil
}

// startCacheTTL is how long StartSyncExecution trusts what it read of a
// state machine: its latest revision and its type. Without it each call
// reads both from the store, which on Redis costs more than the Express
// run itself. AWS documents the same lag: executions started just after
// UpdateStateMachine may run the previous definition.
const startCacheTTL = 250 * time.Millisecond

// startCacheMax bounds the cache: the ARNs come from callers.
const startCacheMax = 10_000

// resolvedStart is what an unqualified state machine ARN resolved to,
// remembered for startCacheTTL (Server.syncStarts). Version and alias ARNs
// are not kept: an alias picks a version by weight on every start.
type resolvedStart struct {
	name     string
	revision int
	typ      string
}

// resolveSync is resolveStart for StartSyncExecution, through syncStarts.
func (s *Server) resolveSync(ctx context.Context, stateMachineArn string) (name string, revision int, typ string, err error) {
	if hit, ok := s.syncStarts.Get(stateMachineArn); ok {
		return hit.name, hit.revision, hit.typ, nil
	}
	readAt := s.syncStarts.Now()
	name, revision, note, mc, err := s.resolveStart(ctx, stateMachineArn, "") // Express: not idempotent by name
	if err != nil {
		return "", 0, "", err
	}
	if note == (awsmeta.ExecutionNote{}) { // an unqualified ARN
		s.syncStarts.Put(stateMachineArn, resolvedStart{name: name, revision: revision, typ: mc.Type}, readAt)
	}
	return name, revision, mc.Type, nil
}

// syncStatus is an ended execution's status as StartSyncExecution has
// them: SUCCEEDED, FAILED or TIMED_OUT. An Express run is never stopped
// (StopExecution does not take Express executions), so ABORTED, which it
// lacks, does not come up; it would read as FAILED.
func syncStatus(status string) string {
	switch status {
	case store.StatusSucceeded, store.StatusTimedOut:
		return status
	}
	return store.StatusFailed
}

// billing is AWS's billing figures for res (billedDurationStep, billedMemoryMB).
func billing(res *ExpressResult) *billingDetails {
	ms := res.StoppedAt.Sub(res.StartedAt).Milliseconds()
	steps := max(1, (ms+billedDurationStep-1)/billedDurationStep)
	return &billingDetails{BilledMemoryUsedInMB: billedMemoryMB, BilledDurationInMilliseconds: steps * billedDurationStep}
}

// NewExpress returns what Config.Express needs from an express.Runner: its
// starts, with its errors as AWS's (space names the state machines in them).
func NewExpress(r *express.Runner, space arn.Space) Express {
	return runnerExpress{r: r, space: space}
}

type runnerExpress struct {
	r     *express.Runner
	space arn.Space
}

func (x runnerExpress) StartSync(ctx context.Context, p ExpressStart) (*ExpressResult, error) {
	res, err := x.r.StartSync(ctx, expressStart(p))
	if err != nil {
		return nil, x.error(err, p.StateMachine)
	}
	return expressResult(res), nil
}

func (x runnerExpress) StartAsync(ctx context.Context, p ExpressStart) (*ExpressResult, error) {
	res, err := x.r.StartAsync(ctx, expressStart(p))
	if err != nil {
		return nil, x.error(err, p.StateMachine)
	}
	return expressResult(res), nil
}

func expressStart(p ExpressStart) express.Start {
	return express.Start{StateMachine: p.StateMachine, Version: p.Version, Name: p.Name, Input: p.Input}
}

func expressResult(r *express.Result) *ExpressResult {
	return &ExpressResult{ID: r.ID, Name: r.Name, Status: r.Status, Input: r.Input, Output: r.Output,
		Error: r.Error, Cause: r.Cause, StartedAt: r.StartedAt, StoppedAt: r.StoppedAt}
}

// error answers a Runner's refusal as AWS's exception; store and context
// errors are left to writeError.
func (x runnerExpress) error(err error, stateMachine string) error {
	var unsupported *express.UnsupportedError
	switch {
	case errors.Is(err, express.ErrLimitExceeded):
		return errorf(excExecutionLimit, "Execution Limit Exceeded: %v", err)
	case errors.Is(err, express.ErrStopped):
		return &Error{Type: excServiceUnavailable, Message: "this node is shutting down, and the Express executions held in its memory end with it", Status: http.StatusServiceUnavailable}
	case errors.As(err, &unsupported):
		return errorf(excSMTypeNotSupported, "%v", err)
	case errors.Is(err, store.ErrNotFound):
		return noStateMachine(x.space.StateMachine(stateMachine))
	case errors.Is(err, interpreter.ErrPayloadTooLarge):
		return errorf(excInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	return err
}
