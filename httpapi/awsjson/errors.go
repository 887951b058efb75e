package awsjson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Exception names, as AWS's API Reference gives them.
const (
	excAccessDenied             = "AccessDeniedException"
	excActivityDoesNotExist     = "ActivityDoesNotExist"
	excConflict                 = "ConflictException"
	excExecutionAlready         = "ExecutionAlreadyExists"
	excExecutionDoesNotExist    = "ExecutionDoesNotExist"
	excExecutionLimit           = "ExecutionLimitExceeded"
	excExecutionNotRedrivable   = "ExecutionNotRedrivable"
	excInternal                 = "InternalServerError"
	excInvalidArn               = "InvalidArn"
	excInvalidDefinition        = "InvalidDefinition"
	excInvalidExecutionInput    = "InvalidExecutionInput"
	excInvalidLoggingConfig     = "InvalidLoggingConfiguration"
	excInvalidName              = "InvalidName"
	excInvalidOutput            = "InvalidOutput"
	excInvalidToken             = "InvalidToken"
	excInvalidSignature         = "InvalidSignatureException"
	excMissingAuth              = "MissingAuthenticationTokenException"
	excMissingRequiredParameter = "MissingRequiredParameter"
	excIncompleteSignature      = "IncompleteSignatureException"
	excResourceNotFound         = "ResourceNotFound"
	excSerialization            = "SerializationException"
	excServiceUnavailable       = "ServiceUnavailableException"
	excSMAlreadyExists          = "StateMachineAlreadyExists"
	excSMDoesNotExist           = "StateMachineDoesNotExist"
	excSMTypeNotSupported       = "StateMachineTypeNotSupported"
	excTaskTimedOut             = "TaskTimedOut"
	excTooManyTags              = "TooManyTags"
	excUnknownOperation         = "UnknownOperationException"
	excUnrecognizedClient       = "UnrecognizedClientException"
	excUnsupportedOperation     = "UnsupportedOperation"
	excValidation               = "ValidationException"
	excSignatureExpired         = "InvalidSignatureException"
)

// Error is an AWS error answer: HTTP 400 (unless Status says otherwise) with
// {"__type": Type, "message": Message}.
type Error struct {
	Type    string
	Message string
	Status  int
	// Reason is ValidationException's reason member, when it has one.
	Reason string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func errorf(typ, format string, a ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, a...)}
}

// writeError answers err in AWS's error envelope. Errors that are not
// *Error are classified (a deadline or a store that does not answer is
// ServiceUnavailableException, anything else InternalServerError) and
// logged with the answer's request id; the answer never carries their
// text, which may tell what only the operator should know (addresses,
// keys, internals), and names the request id instead.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		id := requestID(w)
		w.Header().Set("X-Amzn-RequestId", id) // the same id in the answer as in the log
		attrs := []any{"target", r.Header.Get("X-Amz-Target"), "request_id", id, "error", err}
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e = &Error{Type: excServiceUnavailable, Message: "the store did not answer in time", Status: http.StatusServiceUnavailable}
		default:
			if pingErr := s.eng.Store().Ping(r.Context()); pingErr != nil {
				attrs = append(attrs, "ping_error", pingErr)
				e = &Error{Type: excServiceUnavailable, Message: "the store is unreachable", Status: http.StatusServiceUnavailable}
			} else {
				e = &Error{Type: excInternal, Message: "internal error; the server's log has the details, request id " + id, Status: http.StatusInternalServerError}
			}
		}
		s.log.Error("AWS API call failed", append(attrs, "answer", e.Type)...)
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body := map[string]string{"__type": e.Type, "message": e.Message}
	if e.Reason != "" {
		body["reason"] = e.Reason
	}
	if status == http.StatusBadRequest || status == http.StatusForbidden {
		w.Header().Set("X-Amzn-ErrorType", e.Type)
	}
	writeJSON(w, status, body)
}
