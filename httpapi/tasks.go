package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sfn-project/sfn/interpreter"
)

func (s *server) pollActivity(w http.ResponseWriter, r *http.Request) {
	activity, err := pathName(r, "activity", "activity")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait, err := waitParam(r, "wait", s.cfg.MaxPollWait, s.cfg.MaxPollWait)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		WorkerName string `json:"workerName"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	extendDeadline(w, wait+s.cfg.WriteTimeout)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	// The engine's long poll: a task, its start recorded, or
	// interpreter.ErrTaskNotFound when nothing arrived before ctx ended.
	token, input, err := s.engine.PollActivity(ctx, activity, body.WorkerName)
	if errors.Is(err, interpreter.ErrTaskNotFound) || (err != nil && pollOver(ctx)) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	writeJSON(w, http.StatusOK, struct {
		TaskToken string          `json:"taskToken"`
		Input     json.RawMessage `json:"input"`
	}{token, input})
}

func requireToken(tok string) error {
	if tok == "" {
		return errf(codeInvalidInput, `field "taskToken" is required`)
	}
	return nil
}

func (s *server) taskSuccess(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TaskToken string          `json:"taskToken"`
		Output    json.RawMessage `json:"output"`
	}
	if err := decodeEnvelope(w, r, maxPayload+envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := requireToken(body.TaskToken); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.TaskSuccess(r.Context(), body.TaskToken, body.Output); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *server) taskFailure(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := decodeEnvelope(w, r, maxPayload+envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := requireToken(body.TaskToken); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.TaskFailure(r.Context(), body.TaskToken, body.Error, body.Cause); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *server) taskHeartbeat(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TaskToken string `json:"taskToken"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := requireToken(body.TaskToken); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.TaskHeartbeat(r.Context(), body.TaskToken); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// pollOver reports whether a long poll's wait has (all but) run out: a
// store call cut short by that deadline can fail a moment before the
// context says so, and it means "nothing arrived", not an error.
func pollOver(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < 50*time.Millisecond
}
