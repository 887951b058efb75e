package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Error codes of the contract.
const (
	codeValidation       = "ValidationError"
	codeInvalidInput     = "InvalidInput"
	codeNotFound         = "NotFound"
	codeUnauthorized     = "Unauthorized"
	codeForbidden        = "Forbidden"
	codeMethodNotAllowed = "MethodNotAllowed"
	codeConflict         = "Conflict"
	codeTooLarge         = "PayloadTooLarge"
	codeUnsupportedMedia = "UnsupportedMediaType"
	codeInternal         = "Internal"
	codeUnavailable      = "Unavailable"
)

var statusOf = map[string]int{
	codeValidation: http.StatusBadRequest, codeInvalidInput: http.StatusBadRequest,
	codeNotFound: http.StatusNotFound, codeUnauthorized: http.StatusUnauthorized,
	codeForbidden: http.StatusForbidden, codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeConflict: http.StatusConflict, codeTooLarge: http.StatusRequestEntityTooLarge,
	codeUnsupportedMedia: http.StatusUnsupportedMediaType, codeInternal: http.StatusInternalServerError,
	codeUnavailable: http.StatusServiceUnavailable,
}

// apiError is an error with its contract code; handlers return it (or any
// other error, which writeError classifies).
type apiError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(code, msg string) *apiError { return &apiError{Code: code, Message: msg} }

// problemDetail is one entry of a ValidationError's details.
type problemDetail struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
	Code     string `json:"code,omitempty"`
	Severity string `json:"severity,omitempty"`
}

// classify turns any error into the contract's code and message.
func (s *server) classify(ctx context.Context, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var invalid *interpreter.InvalidDefinitionError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &invalid):
		details := make([]problemDetail, 0, len(invalid.Problems))
		for _, p := range invalid.Problems {
			details = append(details, problemDetail{Path: p.Path, Line: p.Line, Column: p.Column, Message: p.Message,
				Code: p.Code, Severity: string(p.Severity)})
		}
		msg := "the definition is invalid"
		if len(details) > 0 {
			msg = details[0].Message
			if len(details) > 1 {
				msg += " (and more problems, see details)"
			}
		}
		return &apiError{Code: codeValidation, Message: msg, Details: details}
	case errors.As(err, &tooBig):
		return errf(codeTooLarge, err.Error())
	case errors.Is(err, interpreter.ErrPayloadTooLarge):
		return errf(codeTooLarge, err.Error())
	case errors.Is(err, value.ErrTooDeep):
		// Bad input like any malformed JSON, wherever it enters (start
		// input, task output): the message names the limit.
		return errf(codeInvalidInput, err.Error())
	case errors.Is(err, interpreter.ErrNoTestCase):
		return errf(codeInvalidInput, err.Error())
	case errors.Is(err, interpreter.ErrInvalidName):
		return errf(codeInvalidInput, err.Error()+": names are 1-80 characters of [A-Za-z0-9_-]")
	case errors.Is(err, interpreter.ErrTaskNotFound):
		return errf(codeNotFound, "unknown, finished or timed-out task token")
	case errors.Is(err, interpreter.ErrNotRedrivable):
		return errf(codeConflict, err.Error())
	case errors.Is(err, interpreter.ErrMapRunEnded):
		return errf(codeConflict, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return errf(codeNotFound, err.Error())
	case errors.Is(err, store.ErrAlreadyExists):
		return errf(codeConflict, err.Error())
	case errors.Is(err, store.ErrInvalidCursor):
		return errf(codeInvalidInput, "malformed or unknown cursor")
	case errors.Is(err, store.ErrConflict):
		return errf(codeConflict, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return errf(codeUnavailable, "the store did not answer in time")
	}
	// An unclassified error: when the store does not answer either, the
	// store is the likely cause and the client may retry later.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 500*time.Millisecond)
	defer cancel()
	if perr := s.engine.Store().Ping(pctx); perr != nil {
		return errf(codeUnavailable, "the store is unreachable")
	}
	return errf(codeInternal, "internal error")
}

// writeError answers with the JSON error body of the contract.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.classify(r.Context(), err)
	status := statusOf[ae.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	if unreadBody(r) {
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, status, ae)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"Internal","message":"response could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
