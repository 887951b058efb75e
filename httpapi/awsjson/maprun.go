package awsjson

// Map Runs: DescribeMapRun, ListMapRuns, UpdateMapRun, and ListExecutions
// by mapRunArn (executions.go). A distributed Map runs each item (or batch)
// as a child execution of a Map Run (interpreter/maprun.go); the children's
// state machine is "<state machine>/<label>", so their ARNs are AWS's,
// …:execution:<state machine>/<label>:<name>.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"DescribeMapRun": {role: RoleReader, fn: (*Server).describeMapRun},
		"ListMapRuns":    {role: RoleReader, fn: (*Server).listMapRuns},
		// Changing a run's concurrency or tolerance acts on an execution,
		// as StopExecution does: an operator's, as the REST API's PATCH.
		"UpdateMapRun": {role: RoleOperator, fn: (*Server).updateMapRun},
	})
}

// mapRunCounts is AWS's MapRunItemCounts and MapRunExecutionCounts.
type mapRunCounts struct {
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	TimedOut  int `json:"timedOut"`
	Aborted   int `json:"aborted"`
	Total     int `json:"total"`
	// ResultsWritten is the results kept: AWS's recording of a run
	// without a ResultWriter counts the succeeded children.
	ResultsWritten int `json:"resultsWritten"`
	// A Map Run is redriven with its parent (MapRunRedriven), which
	// redrives its children that did not succeed: none waits apart.
	FailuresNotRedrivable int `json:"failuresNotRedrivable"`
	PendingRedrive        int `json:"pendingRedrive"`
}

type describeMapRunOut struct {
	MapRunArn                  string       `json:"mapRunArn"`
	ExecutionArn               string       `json:"executionArn"`
	Status                     string       `json:"status"`
	StartDate                  *Epoch       `json:"startDate"`
	StopDate                   *Epoch       `json:"stopDate,omitempty"`
	MaxConcurrency             int64        `json:"maxConcurrency"`
	ToleratedFailurePercentage float64      `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64        `json:"toleratedFailureCount"`
	ItemCounts                 mapRunCounts `json:"itemCounts"`
	ExecutionCounts            mapRunCounts `json:"executionCounts"`
	RedriveCount               int          `json:"redriveCount"`
	RedriveDate                *Epoch       `json:"redriveDate,omitempty"`
}

// mapRun reads the Map Run a mapRunArn member names: ResourceNotFound
// when there is none (or the ARN's state machine or label are not the
// run's), InvalidArn when it is no Map Run ARN.
func (s *Server) mapRun(ctx context.Context, member, str string) (*interpreter.MapRun, error) {
	a, found, err := s.parseARN(member, str, arn.MapRun)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noMapRun(str)
	}
	m, err := s.eng.MapRun(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMapRun(str)
	}
	if err != nil {
		return nil, err
	}
	if m.StateMachine != a.Name || m.Label != a.Label {
		return nil, noMapRun(str) // the id of another run's ARN
	}
	return m, nil
}

func noMapRun(arnStr string) *Error {
	return errorf(excResourceNotFound, "Resource not found: '%s'", arnStr)
}

// mapRunARN is the ARN of run m in this node's space.
func (s *Server) mapRunARN(m *interpreter.MapRun) string {
	return s.space.MapRun(m.StateMachine, m.Label, m.ID)
}

// childMapRunARN is the ARN of the Map Run of a distributed Map's child
// ("" for any other execution): the child's state machine is
// "<state machine>/<label>".
func (s *Server) childMapRunARN(ex *interpreter.Execution) string {
	sm, label, ok := strings.Cut(ex.StateMachine, "/")
	if ex.MapRunID == "" || !ok {
		return ""
	}
	return s.space.MapRun(sm, label, ex.MapRunID)
}

func (s *Server) describeMapRun(ctx context.Context, c *call) (any, error) {
	var in struct {
		MapRunArn string `json:"mapRunArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m, err := s.mapRun(ctx, "mapRunArn", in.MapRunArn)
	if err != nil {
		return nil, err
	}
	// sfn counts a batch (ItemBatcher) as one child without counting its
	// items: the item counts are the children's.
	n := mapRunCounts{Pending: m.Pending, Running: m.Running, Succeeded: m.Succeeded, Failed: m.Failed,
		TimedOut: m.TimedOut, Aborted: m.Aborted, Total: m.Total, ResultsWritten: m.Succeeded}
	return describeMapRunOut{MapRunArn: s.mapRunARN(m), ExecutionArn: s.space.ExecutionOfID(m.ExecutionID), Status: m.Status,
		StartDate: epoch(m.StartDate), StopDate: epoch(m.StopDate), MaxConcurrency: m.MaxConcurrency,
		ToleratedFailurePercentage: m.ToleratedFailurePercentage, ToleratedFailureCount: m.ToleratedFailureCount,
		ItemCounts: n, ExecutionCounts: n, RedriveCount: m.RedriveCount, RedriveDate: epoch(m.RedriveDate)}, nil
}

type mapRunItem struct {
	ExecutionArn string `json:"executionArn"`
	MapRunArn    string `json:"mapRunArn"`
	// StateMachineArn is the children's, …:stateMachine:<sm>/<label>, as
	// AWS lists it.
	StateMachineArn string `json:"stateMachineArn"`
	StartDate       *Epoch `json:"startDate"`
	StopDate        *Epoch `json:"stopDate,omitempty"`
}

func (s *Server) listMapRuns(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		MaxResults   int    `json:"maxResults"`
		NextToken    string `json:"nextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	id, err := s.executionID("executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	// The token is the index of the next run: an execution's Map Runs
	// come from its history, where they only ever get more.
	kind := "mapRuns:" + id
	cursor, err := s.openToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	from := 0
	if cursor != "" {
		if from, err = strconv.Atoi(cursor); err != nil || from < 0 {
			return nil, invalidToken(in.NextToken)
		}
	}
	// Each run once: a redrive of the parent writes MapRunRedriven, not
	// another MapRunStarted, which is what MapRuns lists.
	runs, err := s.eng.MapRuns(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noExecution(in.ExecutionArn)
	}
	if err != nil {
		return nil, err
	}
	out := struct {
		MapRuns   []mapRunItem `json:"mapRuns"`
		NextToken string       `json:"nextToken,omitempty"`
	}{MapRuns: []mapRunItem{}}
	end := min(len(runs), from+pageSize(in.MaxResults))
	for i := min(from, end); i < end; i++ {
		m := &runs[i]
		out.MapRuns = append(out.MapRuns, mapRunItem{ExecutionArn: s.space.ExecutionOfID(m.ExecutionID), MapRunArn: s.mapRunARN(m),
			StateMachineArn: s.space.StateMachine(m.Machine), StartDate: epoch(m.StartDate), StopDate: epoch(m.StopDate)})
	}
	if end < len(runs) {
		out.NextToken = s.sealToken(kind, strconv.Itoa(end))
	}
	return out, nil
}

func (s *Server) updateMapRun(ctx context.Context, c *call) (any, error) {
	var in struct {
		MapRunArn                  string   `json:"mapRunArn"`
		MaxConcurrency             *int64   `json:"maxConcurrency"`
		ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
		ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	// The members' constraints, as AWS's model gives them, all reported
	// at once as AWS does.
	var problems []string
	if in.MaxConcurrency != nil && *in.MaxConcurrency < 0 {
		problems = append(problems, fmt.Sprintf("Value '%d' at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.MaxConcurrency))
	}
	if in.MaxConcurrency != nil && *in.MaxConcurrency > math.MaxInt32 {
		problems = append(problems, fmt.Sprintf("Value '%d' at 'maxConcurrency' failed to satisfy constraint: Member must have value less than or equal to %d", *in.MaxConcurrency, math.MaxInt32))
	}
	if p := in.ToleratedFailurePercentage; p != nil && !(*p >= 0) {
		problems = append(problems, fmt.Sprintf("Value '%v' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value greater than or equal to 0", *p))
	}
	if p := in.ToleratedFailurePercentage; p != nil && *p > 100 {
		problems = append(problems, fmt.Sprintf("Value '%v' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100", *p))
	}
	if in.ToleratedFailureCount != nil && *in.ToleratedFailureCount < 0 {
		problems = append(problems, fmt.Sprintf("Value '%d' at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.ToleratedFailureCount))
	}
	switch len(problems) {
	case 0:
	case 1:
		return nil, errorf(excValidation, "1 validation error detected: %s", problems[0])
	default:
		return nil, errorf(excValidation, "%d validation errors detected: %s", len(problems), strings.Join(problems, "; "))
	}
	m, err := s.mapRun(ctx, "mapRunArn", in.MapRunArn)
	if err != nil {
		return nil, err
	}
	_, err = s.eng.UpdateMapRun(ctx, m.ID, interpreter.MapRunUpdate{MaxConcurrency: in.MaxConcurrency,
		ToleratedFailurePercentage: in.ToleratedFailurePercentage, ToleratedFailureCount: in.ToleratedFailureCount})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, noMapRun(in.MapRunArn)
	case errors.Is(err, interpreter.ErrMapRunEnded):
		return nil, errorf(excValidation, "Map Run '%s' is not RUNNING: only a running Map Run can be updated", in.MapRunArn)
	case err != nil:
		return nil, err
	}
	return struct{}{}, nil
}

// listMapRunExecutions is ListExecutions by mapRunArn: the run's children
// in item order (AWS lists newest first; a Map Run starts them in item
// order, so that is nearly the reverse), a page of maxResults children
// before the filters, which may leave it shorter.
func (s *Server) listMapRunExecutions(ctx context.Context, mapRunArn, status, redrive string, maxResults int, nextToken string) (any, error) {
	m, err := s.mapRun(ctx, "mapRunArn", mapRunArn)
	if err != nil {
		return nil, err
	}
	kind := "executions:" + mapRunArn + ":" + status + ":" + redrive
	cursor, err := s.openToken(kind, nextToken)
	if err != nil {
		return nil, err
	}
	from := 0
	if cursor != "" {
		if from, err = strconv.Atoi(cursor); err != nil || from < 0 {
			return nil, invalidToken(nextToken)
		}
	}
	type item struct {
		executionItem
		MapRunArn string `json:"mapRunArn"`
	}
	out := struct {
		Executions []item `json:"executions"`
		NextToken  string `json:"nextToken,omitempty"`
	}{Executions: []item{}}
	if status == "PENDING_REDRIVE" {
		return out, nil
	}
	kids, next, err := s.eng.MapRunExecutions(ctx, m.ID, from, pageSize(maxResults))
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMapRun(mapRunArn)
	}
	if err != nil {
		return nil, err
	}
	runArn := s.mapRunARN(m)
	for _, ex := range kids {
		if status != "" && ex.Status != status || redrive != "" && (ex.RedriveCount > 0) != (redrive == "REDRIVEN") {
			continue
		}
		it := item{executionItem: executionItem{ExecutionArn: s.space.ExecutionOfID(ex.ID), StateMachineArn: s.space.StateMachine(ex.StateMachine),
			Name: ex.Name, Status: ex.Status, StartDate: epoch(ex.StartedAt), StopDate: epoch(ex.StoppedAt)}, MapRunArn: runArn}
		if redrive != "" {
			n := ex.RedriveCount
			it.RedriveCount = &n
		}
		out.Executions = append(out.Executions, it)
	}
	if next >= 0 {
		out.NextToken = s.sealToken(kind, strconv.Itoa(next))
	}
	return out, nil
}

// describeMapRunChildMachine is DescribeStateMachineForExecution of a Map
// Run's child: its state machine is the Map's item processor, in the
// revision of the parent's state machine the child runs, named
// <state machine>/<label>, with the run's label and ARN.
func (s *Server) describeMapRunChildMachine(ctx context.Context, ex *interpreter.Execution) (any, error) {
	parent, label, _ := strings.Cut(ex.StateMachine, "/")
	sm, err := s.eng.Store().GetStateMachineVersion(ctx, parent, ex.Version)
	if err != nil {
		return nil, err
	}
	mc, err := s.meta.Machine(ctx, parent)
	if err != nil {
		return nil, err
	}
	def, ok := processorText(definitionText(sm), label)
	if !ok {
		return nil, fmt.Errorf("execution %s: no distributed Map labelled %q in %s revision %d", ex.ID, label, parent, ex.Version)
	}
	return struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		UpdateDate           *Epoch          `json:"updateDate"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		MapRunArn            string          `json:"mapRunArn"`
		Label                string          `json:"label"`
	}{s.space.StateMachine(ex.StateMachine), ex.StateMachine, def, s.roleArn(mc), epoch(sm.UpdatedAt),
		logging(mc), tracing(mc), s.childMapRunARN(ex), label}, nil
}

// processorText finds, in a definition's JSON text, the item processor
// (ItemProcessor, or the legacy Iterator) of the distributed Map whose
// Label is label, or of the only distributed Map without a Label (its
// runs are labelled with their ids), and returns it as JSON text, keys in
// their order.
func processorText(def, label string) (string, bool) {
	root, err := value.DecodeString(def)
	if err != nil {
		return "", false
	}
	var labelled, unlabelled []value.Value
	var walk func(m value.Value)
	walk = func(m value.Value) {
		obj, _ := m.(*value.Object)
		if obj == nil {
			return
		}
		states, _ := obj.Get("States")
		so, _ := states.(*value.Object)
		if so == nil {
			return
		}
		for _, member := range so.Members() {
			st, _ := member.Value.(*value.Object)
			if st == nil {
				continue
			}
			if branches, ok := st.Get("Branches"); ok {
				if bs, ok := branches.([]value.Value); ok {
					for _, b := range bs {
						walk(b)
					}
				}
			}
			proc, ok := st.Get("ItemProcessor")
			if !ok {
				proc, ok = st.Get("Iterator")
			}
			if !ok {
				continue
			}
			walk(proc)
			po, _ := proc.(*value.Object)
			if po == nil || !distributed(po) {
				continue
			}
			switch l, has := st.Get("Label"); {
			case !has:
				unlabelled = append(unlabelled, proc)
			case l == label:
				labelled = append(labelled, proc)
			}
		}
	}
	walk(root)
	switch {
	case len(labelled) == 1:
		return value.MarshalString(labelled[0]), true
	case len(labelled) == 0 && len(unlabelled) == 1:
		return value.MarshalString(unlabelled[0]), true
	}
	return "", false
}

// distributed reports whether an item processor's ProcessorConfig.Mode
// is DISTRIBUTED.
func distributed(proc *value.Object) bool {
	cfg, _ := proc.Get("ProcessorConfig")
	co, _ := cfg.(*value.Object)
	if co == nil {
		return false
	}
	mode, _ := co.Get("Mode")
	return mode == "DISTRIBUTED"
}
