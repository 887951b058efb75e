package awsjson

// GetExecutionHistory: an execution's events in AWS's shape. The store
// keeps sfn's own event objects (docs/api.md's event table), which the REST
// API returns verbatim; here the same events become AWS's HistoryEvent:
//
//	{"timestamp", "type", "id", "previousEventId", "<details member>": {…}}
//
// with the details member and its fields named as in AWS's API Reference
// (HistoryEvent and each *EventDetails shape). One store, two views.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"GetExecutionHistory": {role: RoleReader, fn: (*Server).getExecutionHistory},
	})
}

// historyContext is what converting an execution's events needs besides
// the events themselves: where its ARNs live, what ExecutionStarted shows,
// and facts that sfn writes on an earlier event only (found by
// resolveHistory). It keeps convertEvent a pure function.
type historyContext struct {
	Space arn.Space
	// RoleArn, VersionArn and AliasArn are executionStartedEventDetails'
	// roleArn, stateMachineVersionArn and stateMachineAliasArn.
	RoleArn    string
	VersionArn string
	AliasArn   string
	// MapNames is the Map state of each MapIteration… event without a
	// name, by event id: the engine writes the Map's name on these events
	// (as AWS), but releases before it wrote only the iteration's index.
	MapNames map[int64]string
	// Resources is the Task resource of each TaskSucceeded, TaskFailed and
	// TaskTimedOut event, by event id: sfn writes it on the attempt's
	// TaskScheduled, TaskStarted and TaskSubmitted only, AWS on every Task
	// event.
	Resources map[int64]string
}

// storedEvent is an event as the engine writes it (interpreter/events.go
// and its callers): the common fields and every detail field of any type.
type storedEvent struct {
	ID                int64           `json:"id"`
	PreviousEventID   int64           `json:"previousEventId"`
	Timestamp         string          `json:"timestamp"`
	Type              string          `json:"type"`
	Name              string          `json:"name"`
	Input             json.RawMessage `json:"input"`
	Output            json.RawMessage `json:"output"`
	Parameters        json.RawMessage `json:"parameters"`
	AssignedVariables json.RawMessage `json:"assignedVariables"`
	Resource          string          `json:"resource"`
	TimeoutSeconds    *int64          `json:"timeoutSeconds"`
	HeartbeatSeconds  *int64          `json:"heartbeatSeconds"`
	WorkerName        string          `json:"workerName"`
	Error             string          `json:"error"`
	Cause             string          `json:"cause"`
	State             string          `json:"state"` // EvaluationFailed
	Index             int64           `json:"index"`
	Length            int64           `json:"length"`
	RedriveCount      int64           `json:"redriveCount"`
	MapRunArn         string          `json:"mapRunArn"`
}

func decodeEvent(raw []byte) (*storedEvent, error) {
	var ev storedEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("stored history event %.80q: %w", raw, err)
	}
	return &ev, nil
}

// historyEvent is AWS's HistoryEvent. It writes its members in AWS's
// order, with the details under DetailsKey (none when it is "").
type historyEvent struct {
	Timestamp       Epoch
	Type            string
	ID              int64
	PreviousEventID int64
	DetailsKey      string
	Details         any
}

// MarshalJSON implements json.Marshaler.
func (e historyEvent) MarshalJSON() ([]byte, error) {
	ts, _ := e.Timestamp.MarshalJSON()
	typ, err := json.Marshal(e.Type)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"timestamp":%s,"type":%s,"id":%d,"previousEventId":%d`, ts, typ, e.ID, e.PreviousEventID)
	if e.DetailsKey != "" {
		d, err := json.Marshal(e.Details)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `,%q:`, e.DetailsKey)
		b.Write(d)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// The details shapes, as AWS's API Reference names their members. Input,
// output and parameters are JSON text; every one sfn returns is whole
// (truncated false).

type historyDataDetails struct {
	Truncated bool `json:"truncated"`
}

type executionStartedDetails struct {
	Input                  *string             `json:"input,omitempty"`
	InputDetails           *historyDataDetails `json:"inputDetails,omitempty"`
	RoleArn                string              `json:"roleArn,omitempty"`
	StateMachineAliasArn   string              `json:"stateMachineAliasArn,omitempty"`
	StateMachineVersionArn string              `json:"stateMachineVersionArn,omitempty"`
}

// outputEventDetails is ExecutionSucceeded's and ActivitySucceeded's.
type outputEventDetails struct {
	Output        *string             `json:"output,omitempty"`
	OutputDetails *historyDataDetails `json:"outputDetails,omitempty"`
}

// errorEventDetails is the details of the Execution… and Activity… events
// that end with an error; a member sfn did not record is left out (a
// StopExecution without error or cause gives {}, as AWS).
type errorEventDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

type stateEnteredDetails struct {
	Name         string              `json:"name"`
	Input        *string             `json:"input,omitempty"`
	InputDetails *historyDataDetails `json:"inputDetails,omitempty"`
}

type stateExitedDetails struct {
	Name                     string              `json:"name"`
	Output                   *string             `json:"output,omitempty"`
	OutputDetails            *historyDataDetails `json:"outputDetails,omitempty"`
	AssignedVariables        json.RawMessage     `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *historyDataDetails `json:"assignedVariablesDetails,omitempty"`
}

// taskEventDetails is the details of every Task… event; each type fills
// the members its AWS shape has.
type taskEventDetails struct {
	ResourceType       string              `json:"resourceType"`
	Resource           string              `json:"resource"`
	Region             string              `json:"region,omitempty"`
	Parameters         *string             `json:"parameters,omitempty"`
	TimeoutInSeconds   *int64              `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64              `json:"heartbeatInSeconds,omitempty"`
	Output             *string             `json:"output,omitempty"`
	OutputDetails      *historyDataDetails `json:"outputDetails,omitempty"`
	Error              string              `json:"error,omitempty"`
	Cause              string              `json:"cause,omitempty"`
}

type activityScheduledDetails struct {
	Resource           string              `json:"resource"`
	Input              *string             `json:"input,omitempty"`
	InputDetails       *historyDataDetails `json:"inputDetails,omitempty"`
	TimeoutInSeconds   *int64              `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64              `json:"heartbeatInSeconds,omitempty"`
}

type activityStartedDetails struct {
	WorkerName string `json:"workerName,omitempty"`
}

type mapStateStartedDetails struct {
	Length int64 `json:"length"`
}

type mapIterationDetails struct {
	Name  string `json:"name,omitempty"`
	Index int64  `json:"index"`
}

type mapRunStartedDetails struct {
	MapRunArn string `json:"mapRunArn"`
}

// mapRunRedrivenDetails is AWS's MapRunRedrivenEventDetails.
type mapRunRedrivenDetails struct {
	MapRunArn    string `json:"mapRunArn"`
	RedriveCount int64  `json:"redriveCount"`
}

type executionRedrivenDetails struct {
	RedriveCount int64 `json:"redriveCount"`
}

type evaluationFailedDetails struct {
	Error string `json:"error"`
	Cause string `json:"cause,omitempty"`
	State string `json:"state"`
}

// convertEvent converts one stored event into AWS's HistoryEvent. With
// includeData false, the execution data is left out: every input, output,
// Task parameters (a task's input) and assigned variables, with their
// …Details; names, resources, errors and the rest stay. An event type it
// does not know keeps the common members only: a history is always
// answered.
func convertEvent(ev *storedEvent, includeData bool, hc *historyContext) (historyEvent, error) {
	ts, err := time.Parse(time.RFC3339Nano, ev.Timestamp)
	if err != nil {
		return historyEvent{}, fmt.Errorf("history event %d: timestamp %q: %w", ev.ID, ev.Timestamp, err)
	}
	out := historyEvent{Timestamp: Epoch(ts), Type: ev.Type, ID: ev.ID, PreviousEventID: awsPreviousID(ev)}
	data := func(raw json.RawMessage) (*string, *historyDataDetails) {
		if !includeData || len(raw) == 0 {
			return nil, nil
		}
		s := string(raw)
		return &s, &historyDataDetails{}
	}
	typ := ev.Type
	switch {
	case typ == "ExecutionStarted":
		d := executionStartedDetails{RoleArn: hc.RoleArn, StateMachineVersionArn: hc.VersionArn, StateMachineAliasArn: hc.AliasArn}
		d.Input, d.InputDetails = data(ev.Input)
		out.Details = d
	case typ == "ExecutionSucceeded", typ == "ActivitySucceeded":
		var d outputEventDetails
		d.Output, d.OutputDetails = data(ev.Output)
		out.Details = d
	case typ == "ExecutionFailed", typ == "ExecutionAborted", typ == "ExecutionTimedOut",
		typ == "ActivityFailed", typ == "ActivityTimedOut":
		out.Details = errorEventDetails{Error: ev.Error, Cause: ev.Cause}
	case typ == "ExecutionRedriven":
		out.Details = executionRedrivenDetails{RedriveCount: ev.RedriveCount}
	case typ == "EvaluationFailed":
		out.Details = evaluationFailedDetails{Error: ev.Error, Cause: ev.Cause, State: ev.State}
	case strings.HasSuffix(typ, "StateEntered"):
		d := stateEnteredDetails{Name: ev.Name}
		d.Input, d.InputDetails = data(ev.Input)
		out.DetailsKey, out.Details = "stateEnteredEventDetails", d
		return out, nil
	case strings.HasSuffix(typ, "StateExited"):
		d := stateExitedDetails{Name: ev.Name}
		d.Output, d.OutputDetails = data(ev.Output)
		if includeData && len(ev.AssignedVariables) > 0 {
			// Stored as AWS writes them: each variable's value as JSON text.
			d.AssignedVariables, d.AssignedVariablesDetails = ev.AssignedVariables, &historyDataDetails{}
		}
		out.DetailsKey, out.Details = "stateExitedEventDetails", d
		return out, nil
	case typ == "MapStateStarted":
		out.Details = mapStateStartedDetails{Length: ev.Length}
	case typ == "MapRunStarted":
		out.Details = mapRunStartedDetails{MapRunArn: ev.MapRunArn}
	case typ == "MapRunRedriven":
		out.Details = mapRunRedrivenDetails{MapRunArn: ev.MapRunArn, RedriveCount: ev.RedriveCount}
	case typ == "MapRunFailed":
		// AWS's MapRunFailedEventDetails: error and cause, as the
		// Execution… failures (a member sfn did not record is left out).
		out.Details = errorEventDetails{Error: ev.Error, Cause: ev.Cause}
	case typ == "MapIterationStarted", typ == "MapIterationSucceeded", typ == "MapIterationFailed", typ == "MapIterationAborted":
		name := ev.Name
		if name == "" {
			name = hc.MapNames[ev.ID] // an event of an earlier release
		}
		out.Details = mapIterationDetails{Name: name, Index: ev.Index}
	case typ == "ActivityScheduled":
		d := activityScheduledDetails{Resource: activityArn(hc.Space, ev.Resource), TimeoutInSeconds: ev.TimeoutSeconds, HeartbeatInSeconds: ev.HeartbeatSeconds}
		d.Input, d.InputDetails = data(ev.Parameters)
		out.Details = d
	case typ == "ActivityStarted":
		out.Details = activityStartedDetails{WorkerName: ev.WorkerName}
	case typ == "TaskScheduled", typ == "TaskStarted", typ == "TaskSubmitted",
		typ == "TaskSucceeded", typ == "TaskFailed", typ == "TaskTimedOut":
		resource := ev.Resource
		if resource == "" {
			resource = hc.Resources[ev.ID]
		}
		d := taskEventDetails{Error: ev.Error, Cause: ev.Cause}
		d.ResourceType, d.Resource = splitResource(resource)
		switch typ {
		case "TaskScheduled":
			d.Region = hc.Space.Region
			d.Parameters, _ = data(ev.Parameters)
			d.TimeoutInSeconds, d.HeartbeatInSeconds = ev.TimeoutSeconds, ev.HeartbeatSeconds
		case "TaskSubmitted", "TaskSucceeded":
			d.Output, d.OutputDetails = data(ev.Output)
		}
		out.Details = d
	default:
		// …StateAborted, ParallelStateStarted/Succeeded/Failed,
		// MapStateSucceeded/Failed, MapRunSucceeded/Aborted have no
		// details in AWS either; an event type sfn adds later shows its
		// common members.
		return out, nil
	}
	out.DetailsKey = strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
	return out, nil
}

// awsPreviousID is an event's previousEventId as AWS gives it. sfn links
// each event to the one before it in its thread, as AWS does, with two
// exceptions where AWS gives 0 (LocalStack's recordings of AWS,
// base/test_base and test_sfn_api test_stop_execution): the first state's
// …StateEntered, which sfn links to ExecutionStarted (id 1), and
// ExecutionAborted, which a StopExecution call causes rather than an event.
func awsPreviousID(ev *storedEvent) int64 {
	switch {
	case ev.Type == "ExecutionAborted":
		return 0
	case ev.PreviousEventID == 1 && strings.HasSuffix(ev.Type, "StateEntered"):
		return 0
	}
	return ev.PreviousEventID
}

// splitResource splits a Task's Resource into AWS's resourceType and
// resource: arn:aws:states:::lambda:invoke is "lambda" and "invoke",
// arn:aws:states:::sqs:sendMessage.waitForTaskToken "sqs" and
// "sendMessage.waitForTaskToken". sfn's own resources split the same way:
// http:invoke (and arn:aws:states:::http:invoke) is "http" and "invoke",
// handler:<name> is "handler" and <name>.
func splitResource(res string) (resourceType, resource string) {
	r := res
	if strings.HasPrefix(r, "arn:") {
		// arn:<partition>:states:::<service>:<api>
		parts := strings.SplitN(r, ":", 6)
		if len(parts) == 6 && parts[2] == "states" && parts[3] == "" && parts[4] == "" {
			r = parts[5]
		}
	}
	typ, name, ok := strings.Cut(r, ":")
	if !ok {
		return "", res
	}
	return typ, name
}

// activityArn is the ARN of the activity a Task's Resource names
// (activity:<name> or its ARN), in the node's space, as GetActivityTask
// takes it.
func activityArn(space arn.Space, resource string) string {
	spec, err := dsl.ParseResource(resource)
	if err != nil || spec.Kind != dsl.ActivityTask {
		return resource
	}
	return space.Activity(spec.Name)
}

// ---- the operation ----

type historyOut struct {
	Events    []historyEvent `json:"events"`
	NextToken string         `json:"nextToken,omitempty"`
}

// historyTokenKind ties a nextToken to the history and the direction it
// pages: a token of another execution, or one of a reverse listing given
// to a forward one, is InvalidToken.
func historyTokenKind(id string, reverse bool) string {
	return "history." + strconv.FormatBool(reverse) + "." + id
}

func (s *Server) getExecutionHistory(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	// An Express execution's ARN is InvalidArn here: Express executions
	// have no history API (AWS sends it to logs, sfn to its log).
	id, err := s.executionID("executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	kind := historyTokenKind(id, in.ReverseOrder)
	cursor, err := s.openToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	var after int64
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 1 {
			return nil, invalidToken(in.NextToken)
		}
	}
	limit := pageSize(in.MaxResults)
	page, err := s.eng.History(ctx, store.HistoryQuery{ID: id, After: after, Limit: limit + 1, Reverse: in.ReverseOrder})
	if errors.Is(err, store.ErrNotFound) {
		return nil, noExecution(in.ExecutionArn)
	}
	if err != nil {
		return nil, err
	}
	out := historyOut{Events: make([]historyEvent, 0, min(len(page), limit))}
	if len(page) > limit {
		page = page[:limit]
		out.NextToken = s.sealToken(kind, strconv.FormatInt(page[len(page)-1].ID, 10))
	}
	events := make([]*storedEvent, len(page))
	for i, e := range page {
		if events[i], err = decodeEvent(e.Data); err != nil {
			return nil, err
		}
		events[i].ID = e.ID // the store's id is the one pages are cut by
	}
	hc, err := s.resolveHistory(ctx, id, events)
	if err != nil {
		return nil, err
	}
	includeData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	for _, ev := range events {
		h, err := convertEvent(ev, includeData, hc)
		if err != nil {
			return nil, err
		}
		out.Events = append(out.Events, h)
	}
	return out, nil
}

// resolveHistory gathers what a page of execution id's events needs beyond
// itself: its state machine's role and the version or alias it was started
// with (for ExecutionStarted), the resources of Task events that sfn
// leaves to the attempt's earlier events, and the Map states of
// MapIteration… events written without one (by an earlier release).
func (s *Server) resolveHistory(ctx context.Context, id string, page []*storedEvent) (*historyContext, error) {
	hc := &historyContext{Space: s.space}
	smName, _, _ := strings.Cut(id, ":")
	byID := make(map[int64]*storedEvent, len(page))
	var unnamedUpTo int64 // the last MapIteration… event without its Map's name
	for _, ev := range page {
		byID[ev.ID] = ev
		if strings.HasPrefix(ev.Type, "MapIteration") && ev.Name == "" {
			unnamedUpTo = max(unnamedUpTo, ev.ID)
		}
	}
	for _, ev := range page {
		switch ev.Type {
		case "ExecutionStarted":
			// A Map Run child's state machine (<sm>/<label>) is its
			// parent's processor, with its parent's role.
			top, _, _ := strings.Cut(smName, "/")
			mc, err := s.meta.Machine(ctx, top)
			if err != nil {
				return nil, err
			}
			// The role DescribeStateMachine shows now: sfn keeps no role
			// per execution, so an UpdateStateMachine that changes the
			// role changes it in the histories of earlier executions too,
			// where AWS shows the role the execution started with: a
			// difference from AWS, kept until executions record their
			// role.
			hc.RoleArn = s.roleArn(mc)
			started, err := time.Parse(time.RFC3339Nano, ev.Timestamp) // ExecutionStarted's time is the execution's start
			if err != nil {
				return nil, fmt.Errorf("history event %d: timestamp %q: %w", ev.ID, ev.Timestamp, err)
			}
			note, err := s.meta.ExecutionNote(ctx, id, started)
			if err != nil {
				return nil, err
			}
			if note.Version > 0 {
				hc.VersionArn = s.space.Version(smName, note.Version)
			}
			if note.Alias != "" {
				hc.AliasArn = s.space.Alias(smName, note.Alias)
			}
		case "TaskSucceeded", "TaskFailed", "TaskTimedOut":
			if ev.Resource != "" {
				continue
			}
			res, err := s.taskResource(ctx, id, ev, byID)
			if err != nil {
				return nil, err
			}
			if hc.Resources == nil {
				hc.Resources = map[int64]string{}
			}
			hc.Resources[ev.ID] = res
		}
	}
	if unnamedUpTo > 0 {
		names, err := s.mapIterationNames(ctx, id, unnamedUpTo)
		if err != nil {
			return nil, err
		}
		hc.MapNames = names
	}
	return hc, nil
}

// maxResourceHops bounds how far back taskResource looks: the event before
// a Task's result is its attempt's TaskStarted or TaskSubmitted, which name
// the resource; the bound only guards against a damaged history.
const maxResourceHops = 4

// taskResource finds the resource of a Task event that does not carry one
// by following previousEventId to the attempt's earlier events, from the
// page when they are in it, else from the store.
func (s *Server) taskResource(ctx context.Context, id string, ev *storedEvent, known map[int64]*storedEvent) (string, error) {
	prev := ev.PreviousEventID
	for hop := 0; hop < maxResourceHops && prev > 0; hop++ {
		p := known[prev]
		if p == nil {
			got, err := s.eng.History(ctx, store.HistoryQuery{ID: id, After: prev - 1, Limit: 1})
			if err != nil {
				return "", err
			}
			if len(got) == 0 {
				return "", nil
			}
			if p, err = decodeEvent(got[0].Data); err != nil {
				return "", err
			}
			p.ID = got[0].ID
			known[p.ID] = p
		}
		if p.Resource != "" {
			return p.Resource, nil
		}
		prev = p.PreviousEventID
	}
	return "", nil
}

// historyScanChunk is how many events mapIterationNames reads at a time.
const historyScanChunk = 1000

// mapIterationNames finds the Map state of every MapIteration… event with
// an id up to upTo, reading the history from its start (mapScan). Only
// events written by releases before the engine named the Map on them need
// it: a page with such an event costs a read of the history up to it,
// bounded by the history's limit (25,000 events by default: at most 25
// reads of 1,000 events, four members of each decoded), so paging through
// such a history in small pages costs pages × its length. A page whose MapIteration… events carry their
// name, as every event of this release does, costs nothing more.
func (s *Server) mapIterationNames(ctx context.Context, id string, upTo int64) (map[int64]string, error) {
	sc := newMapScan()
	var after int64
	for after < upTo {
		chunk, err := s.eng.History(ctx, store.HistoryQuery{ID: id, After: after, Limit: int(min(historyScanChunk, upTo-after))})
		if err != nil {
			return nil, err
		}
		if len(chunk) == 0 {
			break
		}
		for _, e := range chunk {
			// Only the members mapScan reads: the inputs and outputs,
			// most of a history's bytes, are skipped, not copied.
			var ev struct {
				PreviousEventID int64  `json:"previousEventId"`
				Type            string `json:"type"`
				Name            string `json:"name"`
				State           string `json:"state"`
			}
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				return nil, fmt.Errorf("stored history event %d: %w", e.ID, err)
			}
			sc.add(&storedEvent{ID: e.ID, PreviousEventID: ev.PreviousEventID, Type: ev.Type, Name: ev.Name, State: ev.State})
		}
		after = chunk[len(chunk)-1].ID
	}
	return sc.names, nil
}

// mapScan follows the threads of a history, event by event in id order, to
// name the Map state of each MapIteration… event. sfn links every event to
// the one before it in its thread (previousEventId), so each event inherits
// where its predecessor left the thread: in which state (the name of the
// last …StateEntered/Exited/Aborted) and in which Map iteration (the
// MapIterationStarted that opened it). A MapIterationStarted follows its
// Map's MapStateStarted, so its Map is the state its predecessor is in; it
// opens an iteration, which the iteration's MapIterationSucceeded, Failed
// or Aborted (following the iteration's last event) closes, returning to
// where the Map's thread was. Parallel branches need nothing of their own:
// they never change which Map iteration an event is in.
type mapScan struct {
	at         map[int64]threadAt   // where each event leaves its thread
	iterations map[int64]mapOpening // by MapIterationStarted id
	names      map[int64]string     // MapIteration… event id → Map state
}

type threadAt struct {
	state     string // the state the thread is in
	iteration int64  // the MapIterationStarted of the iteration it is in; 0 for none
}

type mapOpening struct {
	name   string   // the Map state
	parent threadAt // where the Map's own thread is
}

func newMapScan() *mapScan {
	return &mapScan{at: map[int64]threadAt{}, iterations: map[int64]mapOpening{}, names: map[int64]string{}}
}

func (sc *mapScan) add(ev *storedEvent) {
	prev := sc.at[ev.PreviousEventID]
	switch typ := ev.Type; {
	case typ == "MapIterationStarted":
		sc.iterations[ev.ID] = mapOpening{name: prev.state, parent: prev}
		sc.names[ev.ID] = prev.state
		sc.at[ev.ID] = threadAt{iteration: ev.ID}
	case strings.HasPrefix(typ, "MapIteration"):
		// Succeeded, Failed, Aborted: the iteration ends.
		if open, ok := sc.iterations[prev.iteration]; ok {
			sc.names[ev.ID] = open.name
			sc.at[ev.ID] = open.parent
		}
	case strings.HasPrefix(typ, "Execution"):
		// Execution events are of the whole execution: ExecutionRedriven
		// links to whichever event was last, in any thread.
		sc.at[ev.ID] = threadAt{}
	case ev.Name != "":
		sc.at[ev.ID] = threadAt{state: ev.Name, iteration: prev.iteration}
	case typ == "EvaluationFailed" && ev.State != "":
		sc.at[ev.ID] = threadAt{state: ev.State, iteration: prev.iteration}
	default:
		sc.at[ev.ID] = prev
	}
}
