package dsl

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/intrinsic"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Env is what evaluating a path, template or intrinsic may read: the state's
// data, the context object and injected randomness.
type Env = intrinsic.Env

// Path is a compiled path over the state's data ("$…") or over the context
// object ("$$…").
type Path struct {
	*jsonpath.Path
}

// Select evaluates the path against the data or the context of env.
func (p *Path) Select(env Env) (value.Value, error) {
	if p.IsContext() {
		return p.Path.Select(env.Context)
	}
	return p.Path.Select(env.Input)
}

// Expr is a dynamic value: a path or an intrinsic function call (the value of
// a ".$" field, ErrorPath, CausePath).
type Expr struct {
	Text string
	Path *Path
	Call *intrinsic.Call
}

// Eval computes the expression.
func (e *Expr) Eval(env Env) (value.Value, error) {
	if e.Call != nil {
		return e.Call.Eval(env)
	}
	return e.Path.Select(env)
}

// compileExpr parses a path or, when it looks like one, an intrinsic call.
func compileExpr(s string) (*Expr, error) {
	if intrinsic.Looks(s) {
		c, err := intrinsic.Parse(s)
		if err != nil {
			return nil, err
		}
		return &Expr{Text: s, Call: c}, nil
	}
	p, err := compilePath(s)
	if err != nil {
		return nil, err
	}
	return &Expr{Text: s, Path: p}, nil
}

func compilePath(s string) (*Path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q is not a path: paths start with \"$\" (the state's data) or \"$$\" (the context object)", s)
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		return nil, err
	}
	return &Path{p}, nil
}

// Template is a compiled payload template (Parameters, ItemSelector,
// ResultSelector): a JSON value whose fields named "….$" are computed from
// the data, the context object or an intrinsic function.
type Template struct {
	root tnode
}

type tnode struct {
	literal value.Value // when static
	static  bool
	fields  []tfield // objects
	items   []tnode  // arrays
	isArray bool
}

type tfield struct {
	key    string // without the ".$" suffix
	srcKey string // as written
	expr   *Expr
	node   tnode
}

// compileTemplate compiles v, reporting each bad ".$" field with its pointer.
func compileTemplate(v value.Value, ptr string, report func(ptr string, err error)) *Template {
	return &Template{root: compileNode(v, ptr, report)}
}

// DuplicateFieldError is a template object with a field given both plainly
// and with ".$" ("a" and "a.$"): the ASL specification forbids duplicate
// field names once the ".$" suffix is removed.
type DuplicateFieldError struct {
	Key   string // the later of the two, as written
	Other string // the earlier one
}

func (e *DuplicateFieldError) Error() string {
	return fmt.Sprintf("field %q duplicates %q: field names must be unique once the \".$\" suffix is removed; keep one of them", e.Key, e.Other)
}

// duplicateFields reports, for each member of o whose name without ".$"
// an earlier member already has, the earlier member's key; nil when there
// is none (always, for an object without ".$" keys).
func duplicateFields(o *value.Object) map[int]string {
	var dup map[int]string
	var seen map[string]string
	for i, m := range o.Members() {
		name, dynamic := strings.CutSuffix(m.Key, ".$")
		if seen == nil {
			if !dynamic {
				continue
			}
			// The first ".$" key: index the members before it.
			seen = make(map[string]string, o.Len())
			for _, e := range o.Members()[:i] {
				seen[e.Key] = e.Key
			}
		}
		if other, ok := seen[name]; ok {
			if dup == nil {
				dup = map[int]string{}
			}
			dup[i] = other
			continue
		}
		seen[name] = m.Key
	}
	return dup
}

func compileNode(v value.Value, ptr string, report func(string, error)) tnode {
	switch t := v.(type) {
	case *value.Object:
		n := tnode{fields: make([]tfield, 0, t.Len())}
		static := true
		dups := duplicateFields(t)
		for i, m := range t.Members() {
			mptr := ptr + "/" + escapePointer(m.Key)
			if other, dup := dups[i]; dup {
				static = false
				report(mptr, &DuplicateFieldError{Key: m.Key, Other: other})
				continue
			}
			if strings.HasSuffix(m.Key, ".$") {
				static = false
				s, ok := m.Value.(string)
				if !ok {
					report(mptr, fmt.Errorf("the value of %q must be a string: a path or an intrinsic function", m.Key))
					continue
				}
				e, err := compileExpr(s)
				if err != nil {
					report(mptr, err)
					continue
				}
				n.fields = append(n.fields, tfield{key: strings.TrimSuffix(m.Key, ".$"), srcKey: m.Key, expr: e})
				continue
			}
			sub := compileNode(m.Value, mptr, report)
			if !sub.static {
				static = false
			}
			n.fields = append(n.fields, tfield{key: m.Key, srcKey: m.Key, node: sub})
		}
		if static {
			return tnode{static: true, literal: v}
		}
		return n
	case []any:
		n := tnode{isArray: true, items: make([]tnode, len(t))}
		static := true
		for i, e := range t {
			n.items[i] = compileNode(e, fmt.Sprintf("%s/%d", ptr, i), report)
			if !n.items[i].static {
				static = false
			}
		}
		if static {
			return tnode{static: true, literal: v}
		}
		return n
	default:
		return tnode{static: true, literal: v}
	}
}

// Eval builds the payload. A path that selects nothing is States.Runtime with
// AWS's cause text.
func (t *Template) Eval(env Env) (value.Value, error) {
	return t.root.eval(env)
}

func (n *tnode) eval(env Env) (value.Value, error) {
	if n.static {
		return n.literal, nil
	}
	if n.isArray {
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := value.NewObject(len(n.fields))
	for i := range n.fields {
		f := &n.fields[i]
		if f.expr == nil {
			v, err := f.node.eval(env)
			if err != nil {
				return nil, err
			}
			out.Set(f.key, v)
			continue
		}
		v, err := f.expr.Eval(env)
		if err != nil {
			return nil, templateError(f, env, err)
		}
		out.Set(f.key, v)
	}
	return out, nil
}

func templateError(f *tfield, env Env, err error) error {
	if _, ok := err.(*jsonpath.NoResultError); ok {
		doc := env.Input
		if f.expr.Path.IsContext() {
			doc = env.Context
		}
		return failure.Newf(failure.Runtime,
			"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
			f.expr.Text, f.srcKey, value.MarshalString(doc))
	}
	if fe, ok := err.(*failure.Error); ok {
		return fe
	}
	return failure.New(failure.Runtime, err.Error())
}

// escapePointer escapes a key for a JSON Pointer (RFC 6901).
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
