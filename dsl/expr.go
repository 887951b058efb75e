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
	doc, err := env.Root(p.Path)
	if err != nil {
		return nil, err
	}
	return p.Path.Select(doc)
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
	if strings.HasPrefix(s, "$states") && jsonpath.VariableNameLen(s[1:]) == len("states") {
		return nil, fmt.Errorf("%q reads $states, a reserved variable defined only in JSONata states", s)
	}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q is not a path: paths start with \"$\" (the state's data), \"$$\" (the context object) or \"$name\" (a workflow variable)", s)
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
	// size and depth are the literal's encoded length and nesting, counted
	// once at compile time against every evaluation's budget.
	size, depth int
	fields      []tfield // objects
	items       []tnode  // arrays
	isArray     bool
}

// staticNode is a literal part of a template.
func staticNode(v value.Value) tnode {
	size, depth, _ := value.Measure(v, value.Unlimited, value.Unlimited)
	return tnode{static: true, literal: v, size: size, depth: depth}
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
			return staticNode(v)
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
			return staticNode(v)
		}
		return n
	default:
		return staticNode(v)
	}
}

// Eval builds the payload. A path that selects nothing is States.Runtime with
// AWS's cause text. The payload is bounded while it is built: each part is
// counted as it is added (a path's value is measured at a cost bounded by
// the limit, so a value shared many times is never encoded), and the
// evaluation stops with States.DataLimitExceeded at the first part that
// takes it over env.Limit() bytes or deeper than value.MaxDepth levels.
func (t *Template) Eval(env Env) (value.Value, error) {
	b := budget{limit: env.Limit()}
	return t.root.eval(env, &b, 0)
}

// budget counts the encoded bytes of a payload being built.
type budget struct{ used, limit int }

// add counts n bytes and reports whether the payload is still within the limit.
func (b *budget) add(n int) bool {
	b.used += n
	return b.used <= b.limit
}

// eval builds the node, found inside level arrays and objects; field is the
// field being built, for messages.
func (n *tnode) eval(env Env, b *budget, level int) (value.Value, error) {
	if n.static {
		if level+n.depth > value.MaxDepth {
			return nil, templateTooDeep("")
		}
		if !b.add(n.size) {
			return nil, templateTooLarge(b.limit, "")
		}
		return n.literal, nil
	}
	if n.isArray {
		if !b.add(2 + max(len(n.items)-1, 0)) {
			return nil, templateTooLarge(b.limit, "")
		}
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(env, b, level+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	if !b.add(2 + max(len(n.fields)-1, 0)) {
		return nil, templateTooLarge(b.limit, "")
	}
	out := value.NewObject(len(n.fields))
	for i := range n.fields {
		f := &n.fields[i]
		if !b.add(value.StringSize(f.key) + 1) {
			return nil, templateTooLarge(b.limit, f.srcKey)
		}
		if f.expr == nil {
			v, err := f.node.eval(env, b, level+1)
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
		size, depth, ok := value.Measure(v, b.limit-b.used, value.MaxDepth-level-1)
		if !ok {
			if depth > value.MaxDepth-level-1 {
				return nil, templateTooDeep(f.srcKey)
			}
			return nil, templateTooLarge(b.limit, f.srcKey)
		}
		b.used += size
		out.Set(f.key, v)
	}
	return out, nil
}

func templateTooLarge(limit int, field string) error {
	return failure.Newf(failure.DataLimitExceeded, "The payload template's result would exceed the maximum payload size of %d bytes%s", limit, atField(field))
}

func templateTooDeep(field string) error {
	return failure.Newf(failure.DataLimitExceeded, "The payload template's result would be nested more than %d levels deep%s", value.MaxDepth, atField(field))
}

func atField(field string) string {
	if field == "" {
		return ""
	}
	return " (at the field '" + field + "')"
}

func templateError(f *tfield, env Env, err error) error {
	if _, ok := err.(*jsonpath.NoResultError); ok {
		doc, _ := env.Root(f.expr.Path.Path)
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
