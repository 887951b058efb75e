// Package jsonpath compiles and evaluates the JSONPath expressions of the
// States Language. (API contract; implementation in progress.)
package jsonpath

import "github.com/sfn-project/sfn/dsl/value"

// Path is a compiled JSONPath, rooted at $ (the state's data) or $$ (the
// context object).
type Path struct {
	text    string
	context bool
}

// Parse compiles a path such as "$.a.b[0]", "$['k']", "$.items[*].id",
// "$..x", "$.a[?(@.n > 1)]" or "$$.Execution.Id".
func Parse(s string) (*Path, error) { return &Path{text: s}, nil }

// String returns the path as written.
func (p *Path) String() string { return p.text }

// IsContext reports whether the path starts with $$ (the context object).
func (p *Path) IsContext() bool { return p.context }

// IsReference reports whether the path is a reference path: names and
// indexes only, selecting at most one value, usable in ResultPath.
func (p *Path) IsReference() bool { return true }

// Select evaluates the path over doc (for a context path, doc is the context
// object). A reference path returns the one value or a *NoResultError; other
// paths return the array of matches ([] when nothing matches).
func (p *Path) Select(doc value.Value) (value.Value, error) { return doc, nil }

// Set returns doc with the reference path's target replaced by v, creating
// missing intermediate objects; doc is not modified. It fails with a
// *SetError when an intermediate value is not an object.
func (p *Path) Set(doc, v value.Value) (value.Value, error) { return v, nil }

// NoResultError is a reference path that matched nothing. Msg is the text AWS
// shows after "Invalid path '<path>' : ", e.g. "No results for path: $['a']".
type NoResultError struct {
	Path string
	Msg  string
}

func (e *NoResultError) Error() string { return "Invalid path '" + e.Path + "' : " + e.Msg }

// SetError is a ResultPath that cannot be applied to the document.
type SetError struct {
	Path string
	Msg  string
}

func (e *SetError) Error() string { return e.Msg }
