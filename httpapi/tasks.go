package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
)

func (s *server) pollActivity(w http.ResponseWriter, r *http.Request) {
	activity, err := s.activityName(r)
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
	if errors.Is(err, interpreter.ErrTaskNotFound) || (err != nil && interpreter.PollEnded(ctx)) {
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

// answered is the body of a task success or failure: {} when it was
// applied now, {"alreadyApplied": true} when it is the retry of the answer
// the task already ended with (the first reply was lost or came late).
type answered struct {
	AlreadyApplied bool `json:"alreadyApplied,omitempty"`
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
	err := s.engine.TaskSuccess(r.Context(), body.TaskToken, body.Output)
	s.writeAnswer(w, r, err, interpreter.TaskSucceeded, "success")
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
	// AWS refuses what it would not keep; the engine would cut it.
	for _, f := range []struct {
		name, v string
		max     int
	}{{"error", body.Error, failure.MaxName}, {"cause", body.Cause, failure.MaxCause}} {
		if failure.TooLong(f.v, f.max) {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("field %q is %d characters long: at most %d are allowed",
				f.name, utf8.RuneCountInString(f.v), f.max)))
			return
		}
	}
	err := s.engine.TaskFailure(r.Context(), body.TaskToken, body.Error, body.Cause)
	s.writeAnswer(w, r, err, interpreter.TaskFailed, "failure")
}

// writeAnswer answers a task success or failure (kind, named what) after
// the engine took it. One that came after its task ended: the retry of the
// answer the task ended with is 200 and says so, so that a client that
// lost the first reply may retry safely; an answer of the other kind (a
// failure after the task succeeded, anything after it timed out) is 409;
// another answer of the same kind (another output, error or cause) is
// 404, as for any finished token.
func (s *server) writeAnswer(w http.ResponseWriter, r *http.Request, err error, kind interpreter.TaskOutcome, what string) {
	var ended *interpreter.TaskEndedError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, answered{})
	case !errors.As(err, &ended):
		s.writeError(w, r, err)
	case ended.Applied:
		writeJSON(w, http.StatusOK, answered{AlreadyApplied: true})
	case ended.Outcome != kind:
		s.writeError(w, r, errf(codeConflict, fmt.Sprintf("the task already %s: this %s was not applied", ended.Outcome, what)))
	default:
		s.writeError(w, r, interpreter.ErrTaskNotFound)
	}
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
