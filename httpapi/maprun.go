package httpapi

// Map Runs: a distributed Map runs each item (or batch of items) as a
// child execution, grouped in a Map Run (interpreter/maprun.go). These
// routes read a Map Run, list an execution's Map Runs and a Map Run's
// children, and change a running Map Run's concurrency and tolerances.

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// mapRunCounts counts a Map Run's children (or items) by status.
type mapRunCounts struct {
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	TimedOut  int `json:"timedOut"`
	Aborted   int `json:"aborted"`
	Total     int `json:"total"`
}

// mapRunView is a Map Run as GET answers it.
type mapRunView struct {
	ID    string `json:"id"`
	ARN   string `json:"arn"`
	Label string `json:"label"`
	// The parent execution, and the state machine its children run
	// ("<state machine>/<label>").
	ExecutionID    string  `json:"executionId"`
	ExecutionARN   string  `json:"executionArn"`
	StateMachine   string  `json:"stateMachine"`
	ChildMachine   string  `json:"childStateMachine"`
	Status         string  `json:"status"`
	StartedAt      string  `json:"startedAt"`
	StoppedAt      string  `json:"stoppedAt,omitempty"`
	MaxConcurrency int64   `json:"maxConcurrency"`
	TolPercentage  float64 `json:"toleratedFailurePercentage"`
	TolCount       int64   `json:"toleratedFailureCount"`
	// ExecutionCounts counts the child executions; ItemCounts the items
	// they run, the same numbers while the engine counts a batch
	// (ItemBatcher) as one child without counting its items.
	ItemCounts      mapRunCounts `json:"itemCounts"`
	ExecutionCounts mapRunCounts `json:"executionCounts"`
}

func (s *server) mapRunOf(m *interpreter.MapRun) mapRunView {
	c := mapRunCounts{Pending: m.Pending, Running: m.Running, Succeeded: m.Succeeded, Failed: m.Failed,
		TimedOut: m.TimedOut, Aborted: m.Aborted, Total: m.Total}
	v := mapRunView{ID: m.ID, ARN: m.ARN, Label: m.Label, ExecutionID: m.ExecutionID,
		ExecutionARN: s.engine.Space().ExecutionOfID(m.ExecutionID), StateMachine: m.StateMachine, ChildMachine: m.Machine,
		Status: m.Status, StartedAt: interpreter.FormatTime(m.StartDate), MaxConcurrency: m.MaxConcurrency,
		TolPercentage: m.ToleratedFailurePercentage, TolCount: m.ToleratedFailureCount, ItemCounts: c, ExecutionCounts: c}
	if !m.StopDate.IsZero() {
		v.StoppedAt = interpreter.FormatTime(m.StopDate)
	}
	return v
}

// mapRunID reads the {id} path parameter: a Map Run's id (a UUID) or its
// ARN (…:mapRun:<state machine>/<label>:<id>, URL-encoded).
func (s *server) mapRunID(r *http.Request) (string, error) {
	v, err := pathParam(r, "id")
	if err != nil {
		return "", err
	}
	if isARN(v) {
		a, err := s.ownARN(v)
		if err != nil {
			return "", err
		}
		if a.Kind != arn.MapRun {
			return "", errf(codeInvalidInput, fmt.Sprintf("%s is not the ARN of a Map Run (…:mapRun:<state machine>/<label>:<id>)", v))
		}
		v = a.ID
	}
	if !interpreter.ValidName(v) {
		return "", errf(codeInvalidInput, fmt.Sprintf("Map Run id %q is invalid: give the run's id (a UUID) or its ARN, URL-encoded", v))
	}
	return v, nil
}

// mapRunError words the engine's errors about Map Run id.
func mapRunError(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errf(codeNotFound, fmt.Sprintf("Map Run %s not found", id))
	case errors.Is(err, interpreter.ErrMapRunEnded):
		return errf(codeConflict, err.Error()+": only a RUNNING Map Run can be changed")
	}
	return err
}

func (s *server) getMapRun(w http.ResponseWriter, r *http.Request) {
	id, err := s.mapRunID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.engine.MapRun(r.Context(), id)
	if err != nil {
		s.writeError(w, r, mapRunError(id, err))
		return
	}
	writeJSON(w, http.StatusOK, s.mapRunOf(m))
}

// listMapRuns answers an execution's Map Runs, in the order they started.
func (s *server) listMapRuns(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	runs, err := s.engine.MapRuns(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		MapRuns []mapRunView `json:"mapRuns"`
	}
	a := answer{MapRuns: make([]mapRunView, 0, len(runs))}
	for i := range runs {
		a.MapRuns = append(a.MapRuns, s.mapRunOf(&runs[i]))
	}
	writeJSON(w, http.StatusOK, a)
}

// listMapRunExecutions pages a Map Run's children in item order; the
// cursor is the number of the next child.
func (s *server) listMapRunExecutions(w http.ResponseWriter, r *http.Request) {
	id, err := s.mapRunID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from := 0
	if cursor != "" {
		if from, err = strconv.Atoi(cursor); err != nil || from < 1 {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("malformed cursor %q", cursor)))
			return
		}
	}
	kids, next, err := s.engine.MapRunExecutions(r.Context(), id, from, limit)
	if err != nil {
		s.writeError(w, r, mapRunError(id, err))
		return
	}
	type answer struct {
		Executions []summaryView `json:"executions"`
		NextCursor string        `json:"nextCursor,omitempty"`
	}
	a := answer{Executions: make([]summaryView, 0, len(kids))}
	for _, ex := range kids {
		v := summaryView{ExecutionID: ex.ID, StateMachine: ex.StateMachine, Version: ex.Version, Name: ex.Name,
			Status: ex.Status, StartedAt: interpreter.FormatTime(ex.StartedAt)}
		if !ex.StoppedAt.IsZero() {
			v.StoppedAt = interpreter.FormatTime(ex.StoppedAt)
		}
		a.Executions = append(a.Executions, v)
	}
	if next >= 0 {
		a.NextCursor = strconv.Itoa(next)
	}
	writeJSON(w, http.StatusOK, a)
}

// mapRunPatch is PATCH /v1/map-runs/{id}'s body: absent fields stay.
type mapRunPatch struct {
	MaxConcurrency             *int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

// check refuses values AWS's UpdateMapRun refuses, naming the field.
func (p mapRunPatch) check() error {
	switch {
	case p.MaxConcurrency == nil && p.ToleratedFailurePercentage == nil && p.ToleratedFailureCount == nil:
		return errf(codeInvalidInput, "nothing to change: give maxConcurrency, toleratedFailurePercentage or toleratedFailureCount")
	case p.MaxConcurrency != nil && (*p.MaxConcurrency < 0 || *p.MaxConcurrency > math.MaxInt32):
		return errf(codeInvalidInput, fmt.Sprintf("field \"maxConcurrency\" is %d: want 0 (no limit) to %d", *p.MaxConcurrency, math.MaxInt32))
	case p.ToleratedFailurePercentage != nil && !(*p.ToleratedFailurePercentage >= 0 && *p.ToleratedFailurePercentage <= 100):
		return errf(codeInvalidInput, fmt.Sprintf("field \"toleratedFailurePercentage\" is %v: want a number from 0 to 100", *p.ToleratedFailurePercentage))
	case p.ToleratedFailureCount != nil && *p.ToleratedFailureCount < 0:
		return errf(codeInvalidInput, fmt.Sprintf("field \"toleratedFailureCount\" is %d: want 0 or more", *p.ToleratedFailureCount))
	}
	return nil
}

func (s *server) updateMapRun(w http.ResponseWriter, r *http.Request) {
	id, err := s.mapRunID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var p mapRunPatch
	if err := decodeEnvelope(w, r, envelopeAllowance, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := p.check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.engine.UpdateMapRun(r.Context(), id, interpreter.MapRunUpdate{MaxConcurrency: p.MaxConcurrency,
		ToleratedFailurePercentage: p.ToleratedFailurePercentage, ToleratedFailureCount: p.ToleratedFailureCount})
	if err != nil {
		s.writeError(w, r, mapRunError(id, err))
		return
	}
	// The engine's answer is the run as the change found it; read it
	// again to show what the change did (the children a higher
	// concurrency started, the end a lower tolerance caused).
	if now, err := s.engine.MapRun(r.Context(), id); err == nil {
		m = now
	}
	writeJSON(w, http.StatusOK, s.mapRunOf(m))
}

// mapRunARNOf is the ARN of a Map Run child's run: the child's state
// machine is "<state machine>/<label>".
func mapRunARNOf(space arn.Space, ex *interpreter.Execution) string {
	if ex.MapRunID == "" {
		return ""
	}
	sm, label, ok := strings.Cut(ex.StateMachine, "/")
	if !ok {
		return ""
	}
	return space.MapRun(sm, label, ex.MapRunID)
}
