package jsonpath

import (
	"strings"

	"github.com/sfn-project/sfn/dsl/value"
)

// Path is a compiled JSONPath, rooted at $ (the state's data) or $$ (the
// context object).
type Path struct {
	text    string
	context bool
	// variable is the workflow variable a "$name…" path starts from ("" for
	// "$" and "$$").
	variable  string
	steps     []step
	definite  bool
	reference bool
	// countMatches: the path is an indefinite path followed by length().
	countMatches bool
	// prefix[i] is the normalized form of the first i steps ("$['a'][0]"),
	// the path Jayway names in its messages; kept for definite paths only.
	prefix []string
}

// Parse compiles a path such as "$.a.b[0]", "$['k']", "$.items[*].id",
// "$..x", "$.a[?(@.n > 1)]" or "$$.Execution.Id". It never panics; a
// malformed path is a *ParseError.
func Parse(s string) (*Path, error) {
	p := &parser{src: s}
	if !strings.HasPrefix(s, "$") {
		return nil, p.fail(0, "a path must start with '$'")
	}
	root := 1
	context := false
	variable := ""
	if strings.HasPrefix(s, "$$") {
		root, context = 2, true
	} else if n := VariableNameLen(s[1:]); n > 0 {
		// "$name…": a workflow variable, then the steps into its value.
		root, variable = 1+n, s[1:1+n]
	}
	if err := p.parse(root); err != nil {
		return nil, err
	}
	path := &Path{text: s, context: context, variable: variable, steps: p.steps, definite: true, reference: true}
	for i := range path.steps {
		st := &path.steps[i]
		if !st.definite(i == len(path.steps)-1) {
			path.definite = false
		}
		if st.scan || (st.kind != kName && st.kind != kIndex) || (st.kind == kIndex && st.index < 0) {
			path.reference = false
		}
	}
	if n := len(path.steps); n > 0 && path.steps[n-1].kind == kLength && !path.definite {
		// A function returns one value whatever comes before it.
		path.definite, path.countMatches = true, true
	}
	if path.definite && !path.countMatches {
		path.prefix = make([]string, len(path.steps)+1)
		var b strings.Builder
		b.WriteByte('$')
		b.WriteString(variable)
		path.prefix[0] = b.String()
		for i := range path.steps {
			b.WriteString(path.steps[i].fragment)
			path.prefix[i+1] = b.String()
		}
	}
	return path, nil
}

// MustParse is Parse for paths known to be valid; it panics otherwise. For
// tests and constants only.
func MustParse(s string) *Path {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the path as written.
func (p *Path) String() string { return p.text }

// IsContext reports whether the path starts with $$ (the context object).
func (p *Path) IsContext() bool { return p.context }

// Variable is the name of the workflow variable the path reads ("$name",
// "$name.field"), or "" when it reads the state's data or the context.
func (p *Path) Variable() string { return p.variable }

// IsReference reports whether the path is a reference path: names and
// indexes only, selecting at most one value, usable in ResultPath. A negative
// index ([-1]) selects but is not a reference path. The answer is about the
// path's shape: "$$.a" is a reference path too, so a ResultPath check must
// also reject IsContext.
func (p *Path) IsReference() bool { return p.reference }

// IsDefinite reports whether Select returns the one selected value (or an
// error) rather than an array of matches. Reference paths are definite, and
// so are [-1], a multi-name leaf ['a','b'] (one merged object) and paths
// ending in length().
func (p *Path) IsDefinite() bool { return p.definite }

// Select evaluates the path over doc (for a context path, doc is the context
// object). A definite path returns the one value or a *NoResultError; other
// paths return the array of matches ([] when nothing matches), or a
// *NoResultError when evaluation would take more than a million steps
// (recursive descent repeated over a large document). doc is never
// modified, and the result shares its subtrees.
func (p *Path) Select(doc value.Value) (value.Value, error) {
	if p.definite {
		return p.selectDefinite(doc)
	}
	ev := evaluator{root: doc}
	out := make([]any, 0, 4)
	ev.walk(p.steps, doc, &out)
	if ev.exhausted() {
		return nil, p.tooComplex()
	}
	return out, nil
}

// Len is the number of steps after "$" (or "$$"): for a reference path, how
// many levels of objects and arrays Set may add above the value it places.
func (p *Path) Len() int { return len(p.steps) }
