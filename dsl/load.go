package dsl

import (
	"encoding/json"

	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/schema"
)

// Format is the syntax of a definition's text.
type Format = source.Format

// Formats of definition texts.
const (
	Sniff = source.Sniff
	JSON  = source.JSON
	YAML  = source.YAML
)

// ParseFormat reads a Format's name ("json", "yaml", "sniff"), as
// Format.String writes it, for formats kept as text (a stored version's).
func ParseFormat(name string) (Format, bool) { return source.ParseFormat(name) }

// Options tune Load.
type Options struct {
	// Filename is put in each problem, for FILE:LINE:COLUMN messages.
	Filename string
	// Format of the text; Sniff decides between JSON and YAML.
	Format Format
}

// Load parses, validates and compiles a definition. It returns every problem
// found (errors and warnings); the Definition is nil when there is an error.
func Load(data []byte, opts Options) (*Definition, Problems) {
	doc, srcProblems := source.Parse(data, opts.Format)
	if len(srcProblems) > 0 {
		ps := make(Problems, 0, len(srcProblems))
		for _, p := range srcProblems {
			ps = append(ps, Problem{File: opts.Filename, Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Path,
				Code: CodeSyntax, Severity: SeverityError, Message: p.Message})
		}
		return nil, ps
	}
	def, raw := compileDocument(doc.Root)
	if def != nil {
		def.Format = doc.Format
	}
	ps := make(Problems, 0, len(raw))
	for _, r := range raw {
		pos := doc.ValuePos(r.ptr)
		if r.onKey {
			pos = doc.KeyPos(r.ptr)
		}
		ps = append(ps, Problem{File: opts.Filename, Line: pos.Line, Column: pos.Column, Path: r.ptr,
			Code: r.code, Severity: r.severity, Message: r.msg})
	}
	ps.sort()
	if ps.HasErrors() {
		return nil, ps
	}
	return def, ps
}

// LoadValue compiles a definition that is already a value (for definitions
// stored as JSON). Problems carry pointers but no positions.
func LoadValue(root value.Value) (*Definition, Problems) {
	def, raw := compileDocument(root)
	ps := make(Problems, 0, len(raw))
	for _, r := range raw {
		ps = append(ps, Problem{Path: r.ptr, Code: r.code, Severity: r.severity, Message: r.msg})
	}
	if ps.HasErrors() {
		return nil, ps
	}
	return def, ps
}

func compileDocument(root value.Value) (*Definition, []rawProblem) {
	c := &compiler{schemaBad: map[string]bool{}, activity: map[string]bool{}}
	for _, v := range schema.Validate(value.ToGo(root, jsonNumber)) {
		c.schemaBad[v.Pointer] = true
		c.problems = append(c.problems, rawProblem{ptr: v.Pointer, onKey: v.OnKey, code: CodeSchema, severity: SeverityError, msg: v.Message})
	}
	obj, ok := root.(*value.Object)
	if !ok {
		if len(c.problems) == 0 {
			c.errorf("", CodeSchema, "a definition is an object with StartAt and States, got %s", value.TypeName(root))
		}
		return nil, c.problems
	}
	def := &Definition{Source: root}
	c.def = def
	f := fields{c: c, obj: obj, ptr: ""}
	def.Machine = *c.compileMachine(obj, "")
	def.Comment, _ = f.str("Comment")
	def.Version, _ = f.str("Version")
	def.TimeoutSeconds, _ = f.seconds("TimeoutSeconds")
	if ql, ok := f.str("QueryLanguage"); ok && ql == "JSONata" {
		c.errorf(f.ptrOf("QueryLanguage"), CodeUnsupported, "QueryLanguage JSONata is not supported yet; use JSONPath (the default)")
	}
	c.validate(def)
	return def, c.problems
}

// jsonNumber gives the schema validator numbers as json.Number, the text
// unchanged.
func jsonNumber(n value.Number) any { return json.Number(n) }
