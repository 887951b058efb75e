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
// *Error are classified: the store's sentinels, deadlines, anything else
// InternalServerError (logged).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e = &Error{Type: excServiceUnavailable, Message: "the store did not answer in time", Status: http.StatusServiceUnavailable}
		case s.eng.Store().Ping(r.Context()) != nil:
			e = &Error{Type: excServiceUnavailable, Message: "the store is unreachable", Status: http.StatusServiceUnavailable}
		default:
			s.log.Error("AWS API call failed", "target", r.Header.Get("X-Amz-Target"), "error", err)
			e = &Error{Type: excInternal, Message: "internal error: " + err.Error(), Status: http.StatusInternalServerError}
		}
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
