package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/httpapi/roles"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"StartExecution":    {role: RoleOperator, fn: (*Server).startExecution},
		"StopExecution":     {role: RoleOperator, fn: (*Server).stopExecution},
		"RedriveExecution":  {role: RoleOperator, fn: (*Server).redriveExecution},
		"DescribeExecution": {role: RoleReader, fn: (*Server).describeExecution},
		"ListExecutions":    {role: RoleReader, fn: (*Server).listExecutions},
	})
}

// maxPayload is AWS's limit of an execution's input and of a task's
// output: 256 KiB.
const maxPayload = 256 * 1024

// executionInput checks a start's input member: absent is {}, and anything
// else must be JSON (an empty string is not "no input": AWS refuses it).
func executionInput(in *string) (json.RawMessage, error) {
	if in == nil {
		return json.RawMessage("{}"), nil
	}
	if len(*in) > maxPayload {
		return nil, errorf(excInvalidExecutionInput, "Invalid State Machine Execution Input: the input of %d bytes is over the limit of %d bytes", len(*in), maxPayload)
	}
	if _, err := value.Decode([]byte(*in)); err != nil {
		return nil, errorf(excInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	return json.RawMessage(*in), nil
}

type startExecutionIn struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

type startExecutionOut struct {
	ExecutionArn string `json:"executionArn"`
	StartDate    *Epoch `json:"startDate"`
}

func (s *Server) startExecution(ctx context.Context, c *call) (any, error) {
	var in startExecutionIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	// Step Functions Local's form of a mocked start: the test case of the
	// mock configuration after a '#' (sfn serve --mock-config).
	machineArn, testCase, mocked := strings.Cut(in.StateMachineArn, "#")
	if mocked && testCase == "" {
		return nil, errorf(excInvalidArn, "Invalid Arn: '%s': no test case after '#'", in.StateMachineArn)
	}
	if mocked && !roles.Allows(roles.Role(c.role), roles.Admin) {
		// A test case skips the calls it mocks while the others run for
		// real: only an admin may choose one.
		return nil, errorf(excAccessDenied, "User is not authorized to start a mocked execution (%s): the access key's role is %s; a test case needs admin", in.StateMachineArn, c.role)
	}
	in.StateMachineArn = machineArn
	name, revision, note, mc, err := s.resolveStart(ctx, in.StateMachineArn, in.Name)
	if err != nil {
		return nil, err
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
	if mc.Type == awsmeta.Express {
		if s.cfg.Express == nil {
			return nil, errorf(excSMTypeNotSupported, "this node does not run EXPRESS state machines")
		}
		if testCase != "" {
			return nil, errorf(excValidation, "test case '%s': EXPRESS state machines run without a mock configuration; test the workflow as a STANDARD one", testCase)
		}
		res, err := s.cfg.Express.StartAsync(ctx, ExpressStart{StateMachine: name, Version: revision, Name: in.Name, Input: input})
		if err != nil {
			return nil, err
		}
		return startExecutionOut{ExecutionArn: s.space.Express(name, res.Name, res.ID), StartDate: epoch(res.StartedAt)}, nil
	}
	ex, existing, err := s.eng.StartExecution(ctx, interpreter.StartParams{StateMachine: name, Name: in.Name, Input: input, Version: revision, TestCase: testCase})
	switch {
	case errors.Is(err, interpreter.ErrNoTestCase):
		return nil, errorf(excValidation, "%v", err)
	case errors.Is(err, interpreter.ErrInvalidName):
		return nil, errorf(excInvalidName, "Invalid Name: '%s'", in.Name)
	case errors.Is(err, interpreter.ErrPayloadTooLarge), errors.Is(err, value.ErrTooDeep):
		return nil, errorf(excInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, errorf(excExecutionAlready, "Execution Already Exists: '%s'", s.space.Execution(name, in.Name))
	case errors.Is(err, store.ErrNotFound):
		return nil, noStateMachine(in.StateMachineArn)
	case err != nil:
		return nil, err
	}
	execArn := s.space.ExecutionOfID(ex.ID)
	if existing && ex.Status != store.StatusRunning {
		// sfn's REST API answers a start that names an ended execution with
		// that execution; AWS's is idempotent only while it runs.
		return nil, errorf(excExecutionAlready, "Execution Already Exists: '%s'", execArn)
	}
	if note != (awsmeta.ExecutionNote{}) {
		// Also for a retried start (existing, running): the note may not
		// have been written the first time; writing it again is a no-op.
		if err := s.meta.NoteExecution(ctx, ex.ID, ex.StartedAt, note); err != nil {
			return nil, err
		}
	}
	return startExecutionOut{ExecutionArn: execArn, StartDate: epoch(ex.StartedAt)}, nil
}

func (s *Server) stopExecution(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if failure.TooLong(in.Error, failure.MaxName) || failure.TooLong(in.Cause, failure.MaxCause) {
		return nil, errorf(excValidation, "1 validation error detected: error is at most %d characters and cause at most %d", failure.MaxName, failure.MaxCause)
	}
	id, err := s.executionID("executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	ex, err := s.eng.StopExecution(ctx, id, in.Error, in.Cause)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noExecution(in.ExecutionArn)
	}
	if err != nil {
		return nil, err
	}
	stopped := ex.StoppedAt
	if stopped.IsZero() {
		stopped = s.cfg.Now()
	}
	return struct {
		StopDate *Epoch `json:"stopDate"`
	}{epoch(stopped)}, nil
}

func (s *Server) redriveExecution(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		ClientToken  string `json:"clientToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := s.executionID("executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ClientToken != "" {
		// A retry of a redrive that was applied (its answer lost) answers
		// as the first did and redrives nothing, for redrives of the last
		// 15 minutes, as AWS's clientToken promises; the token is kept in
		// the ExecutionRedriven event. The SDKs send a token with every
		// redrive, and a redrive is rare: the look costs one history read.
		if t, ferr := s.redriveDate(ctx, id, in.ClientToken); ferr == nil && s.cfg.Now().Sub(t) <= clientTokenLife {
			return struct {
				RedriveDate *Epoch `json:"redriveDate"`
			}{epoch(t)}, nil
		}
	}
	now := s.cfg.Now()
	_, err = s.eng.RedriveExecutionToken(ctx, id, in.ClientToken)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, noExecution(in.ExecutionArn)
	case errors.Is(err, interpreter.ErrNotRedrivable):
		return nil, errorf(excExecutionNotRedrivable, "Execution '%s' cannot be redriven: %v", in.ExecutionArn, err)
	case err != nil:
		return nil, err
	}
	// The redrive's own time, its ExecutionRedriven event's, as
	// DescribeExecution and a retry with the same clientToken answer it;
	// the time before the call if that read fails.
	if t, err := s.redriveDate(ctx, id, in.ClientToken); err == nil {
		now = t
	}
	return struct {
		RedriveDate *Epoch `json:"redriveDate"`
	}{epoch(now)}, nil
}

type describeExecutionOut struct {
	ExecutionArn           string          `json:"executionArn"`
	StateMachineArn        string          `json:"stateMachineArn"`
	Name                   string          `json:"name"`
	Status                 string          `json:"status"`
	StartDate              *Epoch          `json:"startDate"`
	StopDate               *Epoch          `json:"stopDate,omitempty"`
	Input                  *string         `json:"input,omitempty"`
	InputDetails           json.RawMessage `json:"inputDetails,omitempty"`
	Output                 *string         `json:"output,omitempty"`
	OutputDetails          json.RawMessage `json:"outputDetails,omitempty"`
	Error                  string          `json:"error,omitempty"`
	Cause                  string          `json:"cause,omitempty"`
	RedriveCount           int             `json:"redriveCount"`
	RedriveDate            *Epoch          `json:"redriveDate,omitempty"`
	RedriveStatus          string          `json:"redriveStatus"`
	RedriveStatusReason    string          `json:"redriveStatusReason,omitempty"`
	StateMachineVersionArn string          `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string          `json:"stateMachineAliasArn,omitempty"`
	MapRunArn              string          `json:"mapRunArn,omitempty"`
}

var included = json.RawMessage(`{"included":true}`)

// redriveStatus is DescribeExecution's redriveStatus and its reason.
func redriveStatus(status string) (string, string) {
	switch status {
	case store.StatusFailed, store.StatusTimedOut, store.StatusAborted:
		return "REDRIVABLE", ""
	}
	return "NOT_REDRIVABLE", "Execution is " + status + " and cannot be redriven"
}

func (s *Server) describeExecution(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		IncludedData string `json:"includedData"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ex, err := s.execution(ctx, "executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := describeExecutionOut{
		ExecutionArn: s.space.ExecutionOfID(ex.ID), StateMachineArn: s.space.StateMachine(ex.StateMachine), Name: ex.Name,
		Status: ex.Status, StartDate: epoch(ex.StartedAt), StopDate: epoch(ex.StoppedAt), Error: ex.Error, Cause: ex.Cause,
		RedriveCount: ex.RedriveCount, MapRunArn: s.childMapRunARN(ex),
	}
	out.RedriveStatus, out.RedriveStatusReason = redriveStatus(ex.Status)
	if in.IncludedData != "METADATA_ONLY" {
		input := string(ex.Input)
		out.Input, out.InputDetails = &input, included
		if ex.Status == store.StatusSucceeded {
			output := string(ex.Output)
			out.Output, out.OutputDetails = &output, included
		}
	}
	if ex.RedriveCount > 0 {
		if t, err := s.redriveDate(ctx, ex.ID, ""); err == nil {
			out.RedriveDate = epoch(t)
		}
	}
	note, err := s.meta.ExecutionNote(ctx, ex.ID, ex.StartedAt)
	if err != nil {
		return nil, err
	}
	if note.Version > 0 {
		out.StateMachineVersionArn = s.space.Version(ex.StateMachine, note.Version)
	}
	if note.Alias != "" {
		out.StateMachineAliasArn = s.space.Alias(ex.StateMachine, note.Alias)
	}
	return out, nil
}

// clientTokenLife is how long a redrive's clientToken is honoured (AWS: up
// to 15 minutes after it was first used).
const clientTokenLife = 15 * time.Minute

// redriveDate is the time of an execution's last ExecutionRedriven event
// (with clientToken, when one is given), found by reading its history
// backwards: a redrive is near the end, and the search stops after the last
// 1,000 events (DescribeExecution then shows no redriveDate) rather than
// read a long history on every describe.
func (s *Server) redriveDate(ctx context.Context, id, clientToken string) (time.Time, error) {
	var after int64
	for page := 0; page < 5; page++ {
		evs, err := s.eng.History(ctx, store.HistoryQuery{ID: id, After: after, Limit: 200, Reverse: true})
		if err != nil {
			return time.Time{}, err
		}
		for _, ev := range evs {
			var head struct {
				Type        string    `json:"type"`
				Timestamp   time.Time `json:"timestamp"`
				ClientToken string    `json:"clientToken"`
			}
			if json.Unmarshal(ev.Data, &head) == nil && head.Type == "ExecutionRedriven" &&
				(clientToken == "" || head.ClientToken == clientToken) {
				return head.Timestamp, nil
			}
			after = ev.ID
		}
		if len(evs) < 200 || after <= 1 {
			break
		}
	}
	return time.Time{}, fmt.Errorf("no ExecutionRedriven event")
}

var executionStatuses = map[string]bool{
	store.StatusRunning: true, store.StatusSucceeded: true, store.StatusFailed: true,
	store.StatusTimedOut: true, store.StatusAborted: true, "PENDING_REDRIVE": true,
}

type executionItem struct {
	ExecutionArn           string `json:"executionArn"`
	StateMachineArn        string `json:"stateMachineArn"`
	Name                   string `json:"name"`
	Status                 string `json:"status"`
	StartDate              *Epoch `json:"startDate"`
	StopDate               *Epoch `json:"stopDate,omitempty"`
	RedriveCount           *int   `json:"redriveCount,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
}

func (s *Server) listExecutions(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		MapRunArn       string `json:"mapRunArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
		RedriveFilter   string `json:"redriveFilter"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	if in.StatusFilter != "" && !executionStatuses[in.StatusFilter] {
		return nil, errorf(excValidation, "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter)
	}
	switch in.RedriveFilter {
	case "", "REDRIVEN", "NOT_REDRIVEN":
	default:
		return nil, errorf(excValidation, "1 validation error detected: Value '%s' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]", in.RedriveFilter)
	}
	if in.MapRunArn != "" {
		if in.StateMachineArn != "" {
			return nil, errorf(excValidation, "Both stateMachineArn and mapRunArn were given: list the executions of a state machine or of a Map Run, not both")
		}
		return s.listMapRunExecutions(ctx, in.MapRunArn, in.StatusFilter, in.RedriveFilter, in.MaxResults, in.NextToken)
	}
	a, found, err := s.stateMachineARN("stateMachineArn", in.StateMachineArn, true)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noStateMachine(in.StateMachineArn)
	}
	if _, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0); errors.Is(err, store.ErrNotFound) {
		return nil, noStateMachine(in.StateMachineArn)
	} else if err != nil {
		return nil, err
	}
	if in.StatusFilter == "PENDING_REDRIVE" {
		return struct {
			Executions []executionItem `json:"executions"`
		}{[]executionItem{}}, nil
	}
	kind := "executions:" + in.StateMachineArn + ":" + in.StatusFilter + ":" + in.RedriveFilter
	cursor, err := s.openToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	sums, next, err := s.eng.Store().ListExecutions(ctx, store.ListQuery{StateMachine: a.Name, Status: in.StatusFilter,
		Cursor: cursor, Limit: pageSize(in.MaxResults)})
	if errors.Is(err, store.ErrInvalidCursor) {
		return nil, invalidToken(in.NextToken)
	}
	if err != nil {
		return nil, err
	}
	items := make([]executionItem, 0, len(sums))
	for _, sum := range sums {
		it := executionItem{ExecutionArn: s.space.ExecutionOfID(sum.ID), StateMachineArn: s.space.StateMachine(sum.StateMachine),
			Name: sum.Name, Status: sum.Status, StartDate: epoch(sum.StartedAt), StopDate: epoch(sum.StoppedAt)}
		keep, err := s.listFilter(ctx, a, in.RedriveFilter, sum, &it)
		if err != nil {
			return nil, err
		}
		if keep {
			items = append(items, it)
		}
	}
	return struct {
		Executions []executionItem `json:"executions"`
		NextToken  string          `json:"nextToken,omitempty"`
	}{items, s.sealToken(kind, next)}, nil
}

// listFilter applies ListExecutions' filters that the store does not know
// (the version or alias an execution was started through, whether it was
// redriven), reading what they need only when they are asked for.
func (s *Server) listFilter(ctx context.Context, a arn.ARN, redrive string, sum store.Summary, it *executionItem) (bool, error) {
	if a.Kind != arn.StateMachine {
		note, err := s.meta.ExecutionNote(ctx, sum.ID, sum.StartedAt)
		if err != nil {
			return false, err
		}
		if a.Kind == arn.Version && note.Version != a.Version || a.Kind == arn.Alias && note.Alias != a.Alias {
			return false, nil
		}
		if note.Version > 0 {
			it.StateMachineVersionArn = s.space.Version(sum.StateMachine, note.Version)
		}
		if note.Alias != "" {
			it.StateMachineAliasArn = s.space.Alias(sum.StateMachine, note.Alias)
		}
	}
	if redrive != "" {
		ex, err := s.eng.GetExecution(ctx, sum.ID)
		if err != nil {
			return false, err
		}
		if (ex.RedriveCount > 0) != (redrive == "REDRIVEN") {
			return false, nil
		}
		n := ex.RedriveCount
		it.RedriveCount = &n
	}
	return true, nil
}
