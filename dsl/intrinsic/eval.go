package intrinsic

import (
	"errors"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// node is one argument of a call: a literal, a path or a nested call.
type node interface {
	eval(env *Env) (value.Value, error)
}

// litNode is a literal. For a string, parts holds the text between unescaped
// "{}" pairs (one part when there are none).
type litNode struct {
	off   int
	v     value.Value
	parts []string
}

func (n *litNode) eval(*Env) (value.Value, error) { return n.v, nil }

// pathNode is a JSONPath over the state's data ($) or the context object ($$).
type pathNode struct {
	off  int
	text string
	path *jsonpath.Path
}

func (n *pathNode) eval(env *Env) (value.Value, error) {
	doc, err := env.Root(n.path)
	if err != nil {
		return nil, failure.New(failure.Runtime, err.Error())
	}
	v, err := n.path.Select(doc)
	if err == nil {
		return v, nil
	}
	var nr *jsonpath.NoResultError
	if errors.As(err, &nr) {
		// AWS's wording for a payload-template path that matches nothing; the
		// state layer prefixes the state name and event id.
		cause := "The JSONPath '" + n.text + "'"
		if env.Field != "" {
			cause += " specified for the field '" + env.Field + "'"
		}
		cause += " could not be found in the input '" + value.MarshalString(doc) + "'"
		return nil, failure.New(failure.Runtime, cause)
	}
	return nil, failure.Newf(failure.Runtime, "Invalid path '%s': %v", n.text, err)
}

// callNode is a call of a known function with arguments checked for count
// and, when literal, for type.
type callNode struct {
	off  int
	fn   *function
	args []node
}

// eval evaluates the arguments, then the function. The result is bounded by
// env.Limit() while it is built: a function whose result holds its
// arguments (fn.argSize) counts them as they are evaluated and stops at the
// first one too many, before the next is even computed; each implementation
// that builds a large result checks as it goes; and every result is
// measured, at a cost bounded by the limit, before it is handed on.
func (n *callNode) eval(env *Env) (value.Value, error) {
	limit := env.Limit()
	args := make([]value.Value, len(n.args))
	built := 0
	for i, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return nil, err
		}
		if msg := n.fn.param(i).check(v); msg != "" {
			return nil, failure.Newf(failure.IntrinsicFailure, "%s: argument %d %s", n.fn.name, i+1, msg)
		}
		if n.fn.argSize != nil {
			size, ok := n.fn.argSize(n, i, v, limit-built)
			if built += size; !ok || built > limit {
				return nil, tooLarge(n.fn.name, limit)
			}
		}
		args[i] = v
	}
	v, err := n.fn.impl(env, n, args)
	if err != nil {
		return nil, err
	}
	if _, depth, ok := value.Measure(v, limit, value.MaxDepth); !ok {
		if depth > value.MaxDepth {
			return nil, failure.Newf(failure.DataLimitExceeded, "%s: the result would be nested more than %d levels deep", n.fn.name, value.MaxDepth)
		}
		return nil, tooLarge(n.fn.name, limit)
	}
	return v, nil
}

// tooLarge is the error of a call whose result would pass the payload limit.
func tooLarge(fn string, limit int) error {
	return failure.Newf(failure.DataLimitExceeded, "%s: the result would exceed the maximum payload size of %d bytes", fn, limit)
}

// jsonArgSize counts an argument by its JSON encoding (and the comma or
// bracket beside it), for functions whose result holds the argument as it
// is (States.Array) or encodes it (States.JsonToString).
func jsonArgSize(_ *callNode, _ int, v value.Value, room int) (int, bool) {
	size, _, ok := value.Measure(v, room, value.Unlimited)
	return size + 1, ok
}

// checkStatic validates what is known at load time: the argument count, the
// types and values of literal arguments, and a literal Format template.
func (n *callNode) checkStatic() error {
	fn := n.fn
	if len(n.args) < fn.min || (fn.rest == nil && len(n.args) > len(fn.params)) {
		return &SyntaxError{Offset: n.off, Func: fn.name, Msg: "takes " + fn.arity() + ", got " + plural(len(n.args), "argument")}
	}
	for i, a := range n.args {
		lit, ok := a.(*litNode)
		if !ok {
			continue
		}
		if msg := fn.param(i).check(lit.v); msg != "" {
			return &SyntaxError{Offset: lit.off, Func: fn.name, Msg: "argument " + itoa(i+1) + " " + msg}
		}
	}
	if fn.static != nil {
		if msg := fn.static(n); msg != "" {
			return &SyntaxError{Offset: n.off, Func: fn.name, Msg: msg}
		}
	}
	return nil
}

func intrinsicFailure(fn, format string, args ...any) error {
	return failure.Newf(failure.IntrinsicFailure, fn+": "+format, args...)
}
