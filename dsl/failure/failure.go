// Package failure is the ASL runtime error: a name that Retry and Catch match
// (States.Timeout, States.TaskFailed, a custom name) and a cause. Errors are
// data in sfn: they travel through history and catchers as values.
package failure

import (
	"fmt"
	"unicode/utf8"
)

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

// The lengths AWS allows an error's name and cause, in characters: a task
// failure reported through the API beyond them is refused, one that comes
// from inside (a handler, an HTTP task's body) is cut to them, so that one
// failure cannot grow every record and event that carries it.
const (
	MaxName  = 256
	MaxCause = 32768
)

// New returns an error with the given name and cause, each cut to its
// limit (MaxName, MaxCause).
func New(name, cause string) *Error {
	return &Error{Name: Truncate(name, MaxName), Cause: Truncate(cause, MaxCause)}
}

// Newf returns an error with the given name and a formatted cause, each
// cut to its limit.
func Newf(name, format string, args ...any) *Error {
	return New(name, fmt.Sprintf(format, args...))
}

// Capped returns e with its name and cause cut to MaxName and MaxCause
// characters: e itself when they fit (also nil), else a copy. Failures that
// were built elsewhere (a handler's own *Error) pass through it where they
// are recorded.
func (e *Error) Capped() *Error {
	if e == nil || len(e.Name) <= MaxName && len(e.Cause) <= MaxCause {
		return e // bytes bound characters: the common case counts nothing
	}
	c := *e
	c.Name, c.Cause = Truncate(e.Name, MaxName), Truncate(e.Cause, MaxCause)
	return &c
}

// Truncate returns the first max characters (runes) of s, s itself when it
// has no more; the cut never splits a character.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i]
		}
		n++
	}
	return s
}

// TooLong reports whether s has more than max characters.
func TooLong(s string, max int) bool {
	return len(s) > max && utf8.RuneCountInString(s) > max
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
