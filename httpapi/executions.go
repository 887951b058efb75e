package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// executionView is an execution as GET answers it.
type executionView struct {
	ExecutionID  string          `json:"executionId"`
	StateMachine string          `json:"stateMachine"`
	Version      int             `json:"version"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	Input        json.RawMessage `json:"input,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StartedAt    string          `json:"startedAt"`
	StoppedAt    string          `json:"stoppedAt,omitempty"`
	RedriveCount int             `json:"redriveCount"`
	// PublishedVersion and Alias say how an execution started through a
	// published version or an alias was started.
	PublishedVersion int    `json:"publishedVersion,omitempty"`
	Alias            string `json:"alias,omitempty"`
	// A child execution names what started it: its parent (a
	// startExecution task or a distributed Map) and, for a distributed
	// Map's child, the Map Run.
	ParentExecutionID  string `json:"parentExecutionId,omitempty"`
	ParentExecutionARN string `json:"parentExecutionArn,omitempty"`
	MapRunARN          string `json:"mapRunArn,omitempty"`
	// TestCase: the execution was started with this test case of the
	// server's mock configuration; its mocked calls were not made.
	TestCase string `json:"testCase,omitempty"`
}

// describe is fullView with how the execution was started (a published
// version, an alias), which its note in the documents says.
func (s *server) describe(ctx context.Context, ex *interpreter.Execution) (executionView, error) {
	v := fullView(ex)
	if ex.ParentID != "" {
		space := s.engine.Space()
		v.ParentExecutionID, v.ParentExecutionARN = ex.ParentID, space.ExecutionOfID(ex.ParentID)
		v.MapRunARN = mapRunARNOf(space, ex)
	}
	n, err := s.meta().ExecutionNote(ctx, ex.ID, ex.StartedAt)
	if err != nil {
		return executionView{}, err
	}
	v.PublishedVersion, v.Alias = n.Version, n.Alias
	return v, nil
}

// writeExecution answers status with the execution described.
func (s *server) writeExecution(w http.ResponseWriter, r *http.Request, status int, ex *interpreter.Execution) {
	v, err := s.describe(r.Context(), ex)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func fullView(ex *interpreter.Execution) executionView {
	v := executionView{ExecutionID: ex.ID, StateMachine: ex.StateMachine, Version: ex.Version, Name: ex.Name,
		Status: ex.Status, Input: ex.Input, Error: ex.Error, Cause: ex.Cause,
		StartedAt: interpreter.FormatTime(ex.StartedAt), RedriveCount: ex.RedriveCount, TestCase: ex.TestCase}
	if ex.Status == store.StatusSucceeded {
		v.Output = ex.Output
	}
	if !ex.StoppedAt.IsZero() {
		v.StoppedAt = interpreter.FormatTime(ex.StoppedAt)
	}
	return v
}

// summaryView is an execution as lists (and the 202 of a start) show it.
type summaryView struct {
	ExecutionID  string `json:"executionId"`
	StateMachine string `json:"stateMachine"`
	Version      int    `json:"version"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	StartedAt    string `json:"startedAt"`
	StoppedAt    string `json:"stoppedAt,omitempty"`
	// Set on the answer of a start through a published version or an alias.
	PublishedVersion int    `json:"publishedVersion,omitempty"`
	Alias            string `json:"alias,omitempty"`
}

func summaryOf(sm store.Summary) summaryView {
	v := summaryView{ExecutionID: sm.ID, StateMachine: sm.StateMachine, Version: sm.Version, Name: sm.Name,
		Status: sm.Status, StartedAt: interpreter.FormatTime(sm.StartedAt)}
	if !sm.StoppedAt.IsZero() {
		v.StoppedAt = interpreter.FormatTime(sm.StoppedAt)
	}
	return v
}

func executionLocation(id string) string { return "/v1/executions/" + url.PathEscape(id) }

type startBody struct {
	Name    *string         `json:"name"`
	Input   json.RawMessage `json:"input"`
	Version *int            `json:"version"`
	// PublishedVersion or Alias start through a published version or an
	// alias instead (at most one of the three).
	PublishedVersion *int    `json:"publishedVersion"`
	Alias            *string `json:"alias"`
	// TestCase runs the execution with a test case of the server's mock
	// configuration (sfn serve --mock-config).
	TestCase *string `json:"testCase"`
}

func (s *server) startExecution(w http.ResponseWriter, r *http.Request) {
	ref, err := s.machineParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait, err := waitParam(r, "wait", 0, s.cfg.MaxWait)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body startBody
	if err := decodeEnvelope(w, r, maxPayload+envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := interpreter.StartParams{StateMachine: ref.Name, Input: body.Input}
	if body.TestCase != nil {
		// A test case skips the calls it mocks (a fraud check, a charge)
		// while the others run for real: only an admin may choose one.
		if err := s.authorize(r, permDefine); err != nil {
			s.writeError(w, r, err)
			return
		}
		if *body.TestCase == "" {
			s.writeError(w, r, errf(codeInvalidInput, "testCase is empty: give the name of a test case of the server's mock configuration, or leave it out"))
			return
		}
		p.TestCase = *body.TestCase
	}
	if body.Name != nil {
		if !interpreter.ValidName(*body.Name) {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("execution name %q is invalid: names are 1-80 characters of [A-Za-z0-9_-]", *body.Name)))
			return
		}
		p.Name = *body.Name
	}
	if len(p.Input) > maxPayload {
		s.writeError(w, r, errf(codeTooLarge, fmt.Sprintf("the input of %d bytes exceeds %d bytes", len(p.Input), maxPayload)))
		return
	}

	// The start itself is an ordinary call with the store deadline; only
	// the wait afterwards is long.
	sctx, cancel := context.WithTimeout(r.Context(), s.cfg.StoreTimeout)
	var note awsmeta.ExecutionNote
	// The state machine's document holds its type, which decides who runs
	// it: the engine, or the Express runner (express.go).
	var mc awsmeta.Machine
	if ref.qualified() || body.PublishedVersion != nil || body.Alias != nil {
		mc, err = s.meta().Machine(sctx, ref.Name) // its current versions and routes
	} else {
		mc, err = s.machines.Machine(sctx, ref.Name) // only its type: briefly cached
	}
	if err == nil {
		p.Version, note, err = startTarget(ref, body, mc)
	}
	if err != nil {
		cancel()
		s.writeError(w, r, err)
		return
	}
	if machineType(mc) == awsmeta.Express {
		cancel()
		if p.TestCase != "" {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("testCase %q: Express state machines run without a mock configuration; test the workflow as a STANDARD one", p.TestCase)))
			return
		}
		s.startExpress(w, r, p, note, wait)
		return
	}
	ex, existing, err := s.engine.StartExecution(sctx, p)
	if err == nil && (note != awsmeta.ExecutionNote{}) && (!existing || ex.Status == store.StatusRunning) {
		// Also for a start found existing: a retry of a start whose note
		// was not written (the writer died between the two) writes it.
		err = s.meta().NoteExecution(sctx, ex.ID, ex.StartedAt, note)
	}
	cancel()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", executionLocation(ex.ID))
	if wait > 0 && ex.Status == store.StatusRunning {
		extendDeadline(w, wait+s.cfg.WriteTimeout)
		wctx, cancel := context.WithTimeout(r.Context(), wait)
		done, werr := s.engine.Wait(wctx, ex.ID)
		// A wait that ran out (or whose client left) answers what is known:
		// the store read that raced the deadline failed because of it, and
		// is no error of the start.
		ranOut := wctx.Err() != nil
		cancel()
		switch {
		case werr == nil:
			ex = done
		case ranOut || errors.Is(werr, context.DeadlineExceeded) || errors.Is(werr, context.Canceled):
			if done != nil {
				ex = done
			}
		default:
			s.writeError(w, r, werr)
			return
		}
	}
	if existing || (wait > 0 && ex.Status != store.StatusRunning) {
		s.writeExecution(w, r, http.StatusOK, ex)
		return
	}
	// 202 tells what was accepted: the execution, started and running.
	writeJSON(w, http.StatusAccepted, summaryView{ExecutionID: ex.ID, StateMachine: ex.StateMachine, Version: ex.Version,
		Name: ex.Name, Status: store.StatusRunning, StartedAt: interpreter.FormatTime(ex.StartedAt),
		PublishedVersion: note.Version, Alias: note.Alias})
}

func (s *server) getExecution(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ex, err := s.engine.GetExecution(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExecution(w, r, http.StatusOK, ex)
}

// history answers a page of events; the events are the stored JSON objects,
// written verbatim.
func (s *server) history(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reverse := false
	if v := r.URL.Query().Get("reverse"); v != "" {
		if reverse, err = strconv.ParseBool(v); err != nil {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("reverse=%q must be true or false", v)))
			return
		}
	}
	var after int64
	if cursor != "" {
		after, err = strconv.ParseInt(cursor, 10, 64)
		if err != nil || after < 1 {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("malformed cursor %q", cursor)))
			return
		}
	}
	events, err := s.engine.History(r.Context(), store.HistoryQuery{ID: id, After: after, Limit: limit + 1, Reverse: reverse})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		next = strconv.FormatInt(events[len(events)-1].ID, 10)
	}
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, e := range events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.Data)
	}
	b.WriteByte(']')
	if next != "" {
		b.WriteString(`,"nextCursor":`)
		nb, _ := json.Marshal(next)
		b.Write(nb)
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

var statuses = map[string]bool{store.StatusRunning: true, store.StatusSucceeded: true, store.StatusFailed: true,
	store.StatusTimedOut: true, store.StatusAborted: true}

func (s *server) listExecutions(w http.ResponseWriter, r *http.Request) {
	sm := r.URL.Query().Get("stateMachine")
	if sm != "" {
		ref, err := s.resolveMachine(sm)
		if err == nil && ref.qualified() {
			err = errf(codeInvalidInput, fmt.Sprintf("stateMachine %q names a published version or an alias: give the state machine's name or unqualified ARN", sm))
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sm = ref.Name
	}
	s.listExecutionsOf(w, r, sm)
}

func (s *server) listStateMachineExecutions(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.engine.Store().GetStateMachine(r.Context(), name, 0); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.listExecutionsOf(w, r, name)
}

func (s *server) listExecutionsOf(w http.ResponseWriter, r *http.Request, sm string) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && !statuses[status] {
		s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("status %q is not one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED", status)))
		return
	}
	list, next, err := s.engine.Store().ListExecutions(r.Context(), store.ListQuery{StateMachine: sm, Status: status, Cursor: cursor, Limit: limit})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		Executions []summaryView `json:"executions"`
		NextCursor string        `json:"nextCursor,omitempty"`
	}
	a := answer{Executions: make([]summaryView, 0, len(list)), NextCursor: next}
	for _, e := range list {
		a.Executions = append(a.Executions, summaryOf(e))
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) stopExecution(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ex, err := s.engine.StopExecution(r.Context(), id, body.Error, body.Cause)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExecution(w, r, http.StatusOK, ex)
}

func (s *server) redriveExecution(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct{}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ex, err := s.engine.RedriveExecution(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExecution(w, r, http.StatusOK, ex)
}
