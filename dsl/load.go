package dsl

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

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
	// Portability reports the sfn extensions the definition uses, which
	// AWS Step Functions would refuse, as NOT_PORTABLE warnings (sfn
	// validate asks for them; they are not problems for sfn itself).
	Portability bool
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
		if r.code == CodeNotPortable && !opts.Portability {
			continue
		}
		pos := doc.ValuePos(r.ptr)
		if r.onKey {
			pos = doc.KeyPos(r.ptr)
		} else if r.offset > 0 && pos.Line > 0 {
			pos.Column += r.offset + quoteWidth(data, pos)
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
		if r.code == CodeNotPortable {
			continue // Options.Portability is Load's
		}
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
	if ql, ok := f.str("QueryLanguage"); ok {
		c.topJSONata = ql == LangJSONata
		c.checkLanguageName(f, ql)
	}
	def.Machine = *c.compileMachine(obj, "")
	def.Comment, _ = f.str("Comment")
	def.Version, _ = f.str("Version")
	def.TimeoutSeconds, _ = f.seconds("TimeoutSeconds")
	c.validate(def)
	return def, c.problems
}

// jsonNumber gives the schema validator numbers as json.Number, the text
// unchanged.
func jsonNumber(n value.Number) any { return json.Number(n) }

// quoteWidth is 1 when the value at pos starts with a quote (a JSON string,
// a quoted YAML scalar), so that a column inside the string counts it; 0
// for a plain YAML scalar. An offset into a string with escapes or line
// breaks before the problem is approximate, as the decoded text is all the
// compiler has.
func quoteWidth(data []byte, pos source.Pos) int {
	line := 1
	for i := 0; i < len(data); i++ {
		if line == pos.Line {
			j := i
			for col := 1; col < pos.Column && j < len(data); col++ {
				_, size := utf8.DecodeRune(data[j:])
				j += size
			}
			if j < len(data) && (data[j] == '"' || data[j] == '\'') {
				return 1
			}
			return 0
		}
		if data[i] == '\n' {
			line++
		}
	}
	return 0
}

var notNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// NameFromFile makes a state machine name from a definition's file name:
// its base name without the extension, each run of characters a name
// cannot have made one '-', at most 80 characters ("workflow" when
// nothing is left). sfn run, sfntest and the mock configuration's lookup
// of a file's state machine all name it so.
func NameFromFile(path string) string {
	n := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	n = notNameChars.ReplaceAllString(n, "-")
	if n == "" || n == "-" {
		n = "workflow"
	}
	if len(n) > 80 {
		n = n[:80]
	}
	return n
}

// FormatOfFile is the format a definition file's name says: .json JSON,
// .yaml and .yml YAML, anything else Sniff (its text decides).
func FormatOfFile(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return JSON
	case ".yaml", ".yml":
		return YAML
	}
	return Sniff
}
