package intrinsic

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/jsonpath"

	"github.com/sfn-project/sfn/dsl/value"
)

// MaxDepth is how deeply calls may nest in one expression (the outermost
// call counts as one), the limit AWS documents.
const MaxDepth = 10

// Call is a parsed intrinsic function call, ready to evaluate many times.
// A Call is immutable and safe for concurrent use.
type Call struct {
	text string
	root *callNode
}

// Parse parses an expression such as "States.Format('Hi {}', $.name)".
// Errors are *SyntaxError.
func Parse(s string) (*Call, error) {
	p := parser{src: s}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Call{text: s, root: root}, nil
}

// Looks reports whether s looks like an intrinsic function call (starts with
// "States." followed by a name and "("), the test the dsl uses to decide
// between a path and a call for a ".$" value.
func Looks(s string) bool {
	const prefix = "States."
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	i := len(prefix)
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	return i > len(prefix) && i < len(s) && s[i] == '('
}

// String returns the call as written.
func (c *Call) String() string { return c.text }

// Name returns the name of the outermost function, e.g. "States.Format".
func (c *Call) Name() string { return c.root.fn.name }

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
	// Field names the field being evaluated (e.g. "msg.$"), for the cause of
	// a path argument that matches nothing; optional.
	Field string
	// MaxPayload bounds, in bytes of compact JSON, every value an
	// evaluation builds: a call whose result would be larger fails with
	// States.DataLimitExceeded as soon as that is known, before the result
	// is built. 0 means DefaultMaxPayload. The interpreter passes its
	// Limits.MaxPayload, the state-data limit.
	MaxPayload int
	// Vars resolves "$name" references to workflow variables: the values in
	// force when the state was entered, in its scope and the outer ones.
	// nil: no variable is defined.
	Vars Variables
	// Now is the time of the step evaluating (JSONata's $now() and
	// $millis()), so that the evaluation reads no clock of its own; zero:
	// the JSONata engine's clock.
	Now time.Time
	// Memo, when set, remembers across the states of one step the JSONata
	// engine's form of the last object a JSONata expression produced: the
	// next state's input is usually that object, and need not be converted
	// back. nil: every input is converted.
	Memo *Memo
}

// Memo is the JSONata form (Converted) of one workflow object (Value),
// matched by identity; values are never changed once built.
type Memo struct {
	Value     *value.Object
	Converted any
}

// Variables is a scope of workflow variables, as a state reads them.
type Variables interface {
	// Lookup returns the value of the variable name, and whether it is defined.
	Lookup(name string) (value.Value, bool)
}

// Root returns the document path p reads: the context object for "$$…",
// a workflow variable's value for "$name…" (a
// *jsonpath.UndefinedVariableError when it is not defined), else the
// state's data.
func (e *Env) Root(p *jsonpath.Path) (value.Value, error) {
	if p.IsContext() {
		return e.Context, nil
	}
	if name := p.Variable(); name != "" {
		if e.Vars != nil {
			if v, ok := e.Vars.Lookup(name); ok {
				return v, nil
			}
		}
		return nil, p.Undefined()
	}
	return e.Input, nil
}

// DefaultMaxPayload is AWS's limit on state data, 256 KiB: the bound on what
// an evaluation builds when Env.MaxPayload is 0.
const DefaultMaxPayload = 256 * 1024

// Limit is the payload limit in force: MaxPayload, or DefaultMaxPayload
// when that is not set.
func (e *Env) Limit() int {
	if e.MaxPayload > 0 {
		return e.MaxPayload
	}
	return DefaultMaxPayload
}

// Eval runs the call. Errors are *failure.Error (States.IntrinsicFailure
// for bad arguments, States.Runtime where AWS raises it,
// States.DataLimitExceeded for a result larger than env.Limit() bytes or
// nested more than value.MaxDepth levels deep).
func (c *Call) Eval(env Env) (value.Value, error) {
	v, err := c.root.eval(&env)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// SyntaxError is a malformed intrinsic expression. Offset is the byte offset
// in the expression where the problem was found; Func names the function
// being parsed there, when known.
type SyntaxError struct {
	Offset int
	Func   string
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Func != "" {
		return fmt.Sprintf("intrinsic function %s: %s (at offset %d)", e.Func, e.Msg, e.Offset)
	}
	return fmt.Sprintf("intrinsic function: %s (at offset %d)", e.Msg, e.Offset)
}
