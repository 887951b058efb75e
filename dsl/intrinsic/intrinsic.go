// Package intrinsic parses and evaluates the States Language intrinsic
// functions (States.Format, States.Array, …). (API contract; implementation in progress.)
package intrinsic

import "github.com/sfn-project/sfn/dsl/value"

// Call is a parsed intrinsic function call, ready to evaluate many times.
type Call struct{ text string }

// Parse parses an expression such as "States.Format('Hi {}', $.name)".
func Parse(s string) (*Call, error) { return &Call{text: s}, nil }

// Looks reports whether s looks like an intrinsic function call (starts with
// "States." followed by a name and "("), the test the dsl uses to decide
// between a path and a call for a ".$" value.
func Looks(s string) bool { return len(s) > 7 && s[:7] == "States." }

// String returns the call as written.
func (c *Call) String() string { return c.text }

// Env is what a call may read: the state's data, the context object, and
// injected randomness (the core does no I/O and keeps no global state).
type Env struct {
	Input   value.Value
	Context value.Value
	// UUID returns a new random UUID (version 4) for States.UUID.
	UUID func() string
	// Random returns a uniformly distributed float64 in [0,1) for
	// States.MathRandom without a seed.
	Random func() float64
}

// Eval runs the call. Errors are *failure.Error (States.IntrinsicFailure
// for bad arguments, States.Runtime where AWS raises it).
func (c *Call) Eval(env Env) (value.Value, error) { return nil, nil }
