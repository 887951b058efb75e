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
	doc := env.Input
	if n.path.IsContext() {
		doc = env.Context
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

func (n *callNode) eval(env *Env) (value.Value, error) {
	args := make([]value.Value, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return nil, err
		}
		if msg := n.fn.param(i).check(v); msg != "" {
			return nil, failure.Newf(failure.IntrinsicFailure, "%s: argument %d %s", n.fn.name, i+1, msg)
		}
		args[i] = v
	}
	return n.fn.impl(env, n, args)
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
