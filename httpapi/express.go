package httpapi

// EXPRESS state machines through the REST API. A state machine's type
// (STANDARD or EXPRESS) lives in its document (awsmeta), which the AWS API
// reads and writes too; it is given at creation (PUT ?type=) and never
// changes, as on AWS. An EXPRESS machine's executions run in this node's
// memory (package express), are not checkpointed per step and leave no
// record: a start answers before any step of it is committed (the one
// exception to "202 after the start is committed"), and GET of an Express
// execution is 404.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
)

// Express runs EXPRESS executions in this node's memory; *express.Runner
// is one.
type Express interface {
	// StartSync runs an execution to its end and returns it; when ctx ends
	// first, the error is an *express.StillRunningError.
	StartSync(ctx context.Context, p express.Start) (*express.Result, error)
	// StartAsync starts an execution (at least once) and returns at once.
	StartAsync(ctx context.Context, p express.Start) (*express.Result, error)
}

// errNoExpress refuses EXPRESS machines on a server without a runner.
var errNoExpress = errf(codeInvalidInput, "this server does not run EXPRESS state machines")

// typeParam reads PUT's ?type=: STANDARD, EXPRESS, or "" when absent.
func typeParam(r *http.Request) (string, error) {
	q := r.URL.Query()
	if !q.Has("type") {
		return "", nil
	}
	switch t := q.Get("type"); t {
	case awsmeta.Standard, awsmeta.Express:
		return t, nil
	default:
		return "", errf(codeInvalidInput, fmt.Sprintf("type=%q: a state machine's type is STANDARD or EXPRESS", t))
	}
}

// machineType is a state machine's type as its document says; a state
// machine without one (made through this API as STANDARD) is STANDARD.
func machineType(mc awsmeta.Machine) string { return awsmeta.TypeOf(mc) }

// checkExpress is awsmeta.Definition's CheckExpress for this API: EXPRESS
// machines need a runner, and their definitions pass
// checkExpressDefinition.
func (s *server) checkExpress(body []byte, format dsl.Format) error {
	if s.cfg.Express == nil {
		return errNoExpress
	}
	return checkExpressDefinition(body, format)
}

// checkExpressDefinition refuses a definition an EXPRESS machine cannot run
// (express.Problems: activities, .waitForTaskToken) as a ValidationError
// that lists every such Task, each at its Resource. A definition that does
// not load is left to PutStateMachine, which reports all its problems.
func checkExpressDefinition(body []byte, format dsl.Format) error {
	def, problems := dsl.Load(body, dsl.Options{Format: format})
	if def == nil || problems.HasErrors() {
		return nil
	}
	unsupported := express.Problems(&def.Machine)
	if len(unsupported) == 0 {
		return nil
	}
	doc, _ := source.Parse(body, format)
	out := make(dsl.Problems, 0, len(unsupported))
	for _, u := range unsupported {
		p := dsl.Problem{Path: u.Pointer + "/Resource", Code: dsl.CodeSchema, Severity: dsl.SeverityError, Message: u.Error()}
		if doc != nil {
			pos := doc.ValuePos(p.Path)
			p.Line, p.Column = pos.Line, pos.Column
		}
		out = append(out, p)
	}
	return &interpreter.InvalidDefinitionError{Problems: out}
}

// expressView is an Express execution as a start answers it. It has no
// redriveCount (Express executions are not redriven) and is never
// answered again: no GET, no history.
type expressView struct {
	ExecutionID      string          `json:"executionId"` // its express ARN
	StateMachine     string          `json:"stateMachine"`
	Version          int             `json:"version"`
	Name             string          `json:"name"`
	Type             string          `json:"type"` // EXPRESS
	Status           string          `json:"status"`
	Input            json.RawMessage `json:"input,omitempty"`
	Output           json.RawMessage `json:"output,omitempty"`
	Error            string          `json:"error,omitempty"`
	Cause            string          `json:"cause,omitempty"`
	StartedAt        string          `json:"startedAt"`
	StoppedAt        string          `json:"stoppedAt,omitempty"`
	PublishedVersion int             `json:"publishedVersion,omitempty"`
	Alias            string          `json:"alias,omitempty"`
}

// viewExpress shows res; ended adds what an ended execution has (input,
// output or error and cause, stoppedAt), as GET shows a STANDARD one.
func (s *server) viewExpress(res *express.Result, note awsmeta.ExecutionNote, ended bool) expressView {
	v := expressView{ExecutionID: s.engine.Space().Express(res.StateMachine, res.Name, res.ID), StateMachine: res.StateMachine,
		Version: res.Version, Name: res.Name, Type: awsmeta.Express, Status: res.Status,
		StartedAt: interpreter.FormatTime(res.StartedAt), PublishedVersion: note.Version, Alias: note.Alias}
	if !ended {
		v.Status = store.StatusRunning
		return v
	}
	v.Input = res.Input
	if res.Status == store.StatusSucceeded {
		v.Output = res.Output
	} else {
		v.Error, v.Cause = res.Error, res.Cause
	}
	if !res.StoppedAt.IsZero() {
		v.StoppedAt = interpreter.FormatTime(res.StoppedAt)
	}
	return v
}

// startExpress starts an execution of an EXPRESS machine: with a wait,
// synchronously (200 with its end, or 202 when the wait runs out first and
// the run goes on); without, asynchronously (202 once its start is
// recorded). There is no Location: an Express execution cannot be read
// back.
func (s *server) startExpress(w http.ResponseWriter, r *http.Request, p interpreter.StartParams, note awsmeta.ExecutionNote, wait time.Duration) {
	if s.cfg.Express == nil {
		s.writeError(w, r, errNoExpress)
		return
	}
	start := express.Start{StateMachine: p.StateMachine, Version: p.Version, Name: p.Name, Input: p.Input}
	if wait == 0 {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StoreTimeout)
		defer cancel()
		res, err := s.cfg.Express.StartAsync(ctx, start)
		if err != nil {
			s.writeExpressError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, s.viewExpress(res, note, false))
		return
	}
	extendDeadline(w, wait+s.cfg.WriteTimeout)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	res, err := s.cfg.Express.StartSync(ctx, start)
	var running *express.StillRunningError
	switch {
	case errors.As(err, &running):
		writeJSON(w, http.StatusAccepted, s.viewExpress(&running.Result, note, false))
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && r.Context().Err() == nil:
		// The wait ran out before the run began (reading its definition).
		w.Header().Set("Retry-After", "1")
		s.writeError(w, r, errf(codeUnavailable, fmt.Sprintf("the wait of %s ran out before the Express execution started: %v", wait, err)))
	case err != nil:
		s.writeExpressError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, s.viewExpress(res, note, true))
	}
}

// writeExpressError answers a Runner's refusal. This node's bounds and its
// shutdown are 503 with Retry-After: another try, here or on another
// node, may be taken.
func (s *server) writeExpressError(w http.ResponseWriter, r *http.Request, err error) {
	var unsupported *express.UnsupportedError
	switch {
	case errors.Is(err, express.ErrLimitExceeded):
		w.Header().Set("Retry-After", "1")
		err = errf(codeUnavailable, fmt.Sprintf("this node runs as many Express executions as it may (%v); try again", err))
	case errors.Is(err, express.ErrStopped):
		w.Header().Set("Retry-After", "1")
		err = errf(codeUnavailable, "this node is shutting down and starts no Express executions; try again (another node may take it)")
	case errors.As(err, &unsupported):
		// A version stored before the machine was EXPRESS-checked (PUT
		// refuses such definitions).
		err = errf(codeValidation, err.Error())
	case errors.Is(err, express.ErrResultLost):
		err = errf(codeInternal, err.Error())
	}
	s.writeError(w, r, err)
}

// expressNotKept answers a request for an Express execution by its ARN.
func expressNotKept(executionArn string) error {
	return errf(codeNotFound, fmt.Sprintf("%s is an Express execution: Express executions are not kept (no GET, history or stop, as on AWS); each one's end is written to the server's log",
		executionArn))
}
