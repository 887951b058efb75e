package worker

import "fmt"

// Error names the ASL error a task fails with. A handler that returns an
// *Error (also wrapped, see errors.As) fails the task with Name and Cause,
// which the state's Retry and Catch match.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// Errorf returns an *Error with a formatted cause.
func Errorf(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// Error names the worker uses when the handler does not name one.
const (
	// ErrorName is the error of a handler that returned an error that is
	// not an *Error; the cause is the error's text.
	ErrorName = "Worker.Error"
	// PanicName is the error of a handler that panicked; the cause is the
	// panic value. The worker keeps running.
	PanicName = "Worker.Panic"
	// InvalidOutputName is the error of a handler whose result is not JSON.
	InvalidOutputName = "Worker.InvalidOutput"
	// OutputTooLargeName is the error of a handler whose result the server
	// refused as too large (over 256 KiB).
	OutputTooLargeName = "Worker.OutputTooLarge"
)

// Limits of the failure fields, as Step Functions has them; longer values
// are cut so that the report is not refused.
const (
	maxErrorLen = 256
	maxCauseLen = 32768
)

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
