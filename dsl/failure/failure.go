// Package failure is the ASL runtime error: a name that Retry and Catch match
// (States.Timeout, States.TaskFailed, a custom name) and a cause. Errors are
// data in sfn: they travel through history and catchers as values.
package failure

import "fmt"

// Predefined error names of the States Language.
const (
	All                    = "States.ALL"
	HeartbeatTimeout       = "States.HeartbeatTimeout"
	Timeout                = "States.Timeout"
	TaskFailed             = "States.TaskFailed"
	Permissions            = "States.Permissions"
	ResultPathMatchFailure = "States.ResultPathMatchFailure"
	ParameterPathFailure   = "States.ParameterPathFailure"
	BranchFailed           = "States.BranchFailed"
	NoChoiceMatched        = "States.NoChoiceMatched"
	IntrinsicFailure       = "States.IntrinsicFailure"
	ExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ItemReaderFailed       = "States.ItemReaderFailed"
	ResultWriterFailed     = "States.ResultWriterFailed"
	Runtime                = "States.Runtime"
	DataLimitExceeded      = "States.DataLimitExceeded"
	QueryEvaluationError   = "States.QueryEvaluationError"
)

// Error is an ASL error: Name is matched by ErrorEquals, Cause is free text.
type Error struct {
	Name  string
	Cause string
	// Heartbeat marks a missed heartbeat: it is reported as States.Timeout
	// (as AWS does) and also matched by States.HeartbeatTimeout.
	Heartbeat bool `json:",omitempty"`
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// New returns an error with the given name and cause.
func New(name, cause string) *Error { return &Error{Name: name, Cause: cause} }

// Newf returns an error with the given name and a formatted cause.
func Newf(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// Terminal reports whether an error ends the execution whatever the
// catchers say: States.Runtime and States.DataLimitExceeded, as in AWS.
func (e *Error) Terminal() bool {
	return e.Name == Runtime || e.Name == DataLimitExceeded
}

// Matches reports whether a Retry or Catch ErrorEquals list matches the error
// name. States.ALL matches every name; States.TaskFailed every name except
// States.Timeout (AWS's behaviour). Terminal errors never match.
func Matches(errorEquals []string, name string) bool {
	if name == Runtime || name == DataLimitExceeded {
		return false
	}
	for _, want := range errorEquals {
		switch want {
		case name, All:
			return true
		case TaskFailed:
			if name != Timeout && name != HeartbeatTimeout {
				return true
			}
		}
	}
	return false
}

// MatchesError is Matches for an error: a missed heartbeat also matches
// States.HeartbeatTimeout.
func MatchesError(errorEquals []string, e *Error) bool {
	if Matches(errorEquals, e.Name) {
		return true
	}
	if e.Heartbeat {
		for _, want := range errorEquals {
			if want == HeartbeatTimeout {
				return true
			}
		}
	}
	return false
}
