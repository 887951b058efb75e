package source

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// Limits on a definition's text. They protect the server from hostile input;
// real definitions stay far below them.
const (
	// MaxSize is the largest text Parse reads, in bytes.
	MaxSize = 1 << 20
	// MaxDepth is the deepest nesting of arrays and objects; the root
	// object or array is at depth 1. It is deliberately below
	// value.MaxDepth, the limit on JSON data (inputs, results): a
	// definition's reader records a JSON Pointer for every value, each as
	// long as its depth, so a hostile text of size S costs about S×depth/2
	// bytes of pointers. A 1 MiB definition of chains nested to this limit
	// allocates about 180 MB; at 512 levels it would be about 400 MB. Real
	// definitions nest a few dozen levels, and data nested deeper than this
	// belongs in the input, not in the definition.
	MaxDepth = 100
	// MaxAliasNodes caps the values that YAML aliases may produce in
	// total, so that a "billion laughs" text cannot expand without end.
	MaxAliasNodes = 10000
)

// Pos is a 1-based line and column in the source text. The column counts
// characters (runes), not bytes.
type Pos struct{ Line, Column int }

// String formats the position as line:column.
func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) }

// Format is the syntax of a source text.
type Format int

const (
	Sniff Format = iota // JSON when the text parses as a JSON object, else YAML
	JSON
	YAML
)

// String names the format.
func (f Format) String() string {
	switch f {
	case Sniff:
		return "sniff"
	case JSON:
		return "json"
	case YAML:
		return "yaml"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat reads the name String gives a format.
func ParseFormat(name string) (Format, bool) {
	for _, f := range []Format{Sniff, JSON, YAML} {
		if name == f.String() {
			return f, true
		}
	}
	return Sniff, false
}

// Document is a parsed source: the value and the positions of its parts,
// keyed by JSON Pointer ("" is the root, "/States/Charge/Next").
type Document struct {
	Root   value.Value
	Format Format
	values map[string]Pos
	keys   map[string]Pos

	// record, when set, fills values and keys on first use. The YAML reader
	// leaves positions in its node tree until someone asks: most definitions
	// are valid and nobody asks, and recording a position per pointer costs
	// as much as a tenth of the whole load.
	record     func(*Document)
	recordOnce sync.Once
}

// positions makes sure values and keys are filled.
func (d *Document) positions() {
	if d.record != nil {
		d.recordOnce.Do(func() { d.record(d) })
	}
}

// newDocument makes a document with its maps sized for the text: growing a
// map of hundreds of pointers step by step costs more than the reading.
func newDocument(f Format, data []byte) *Document {
	keys := bytes.Count(data, []byte(":"))
	vals := keys + bytes.Count(data, []byte(",")) + bytes.Count(data, []byte("- ")) + 1
	return &Document{Format: f, values: make(map[string]Pos, vals), keys: make(map[string]Pos, keys)}
}

// ValuePos is where the value at ptr starts; for a missing pointer, the
// position of its nearest existing ancestor's key (1:1 when that ancestor is
// the root).
func (d *Document) ValuePos(ptr string) Pos {
	if d == nil {
		return Pos{1, 1}
	}
	d.positions()
	if p, ok := d.values[ptr]; ok {
		return p
	}
	return d.ancestorKey(ptr)
}

// KeyPos is where the key of the member at ptr starts (for unknown fields).
// Array elements and the root have no key: their value's position is
// returned. A missing pointer is treated as in ValuePos.
func (d *Document) KeyPos(ptr string) Pos {
	if d == nil {
		return Pos{1, 1}
	}
	d.positions()
	if p, ok := d.keys[ptr]; ok {
		return p
	}
	if p, ok := d.values[ptr]; ok {
		return p
	}
	return d.ancestorKey(ptr)
}

// ancestorKey finds the key (or, for array elements, the value) of the
// nearest existing proper ancestor of ptr.
func (d *Document) ancestorKey(ptr string) Pos {
	for {
		i := strings.LastIndexByte(ptr, '/')
		if i <= 0 {
			return Pos{1, 1}
		}
		ptr = ptr[:i]
		if p, ok := d.keys[ptr]; ok {
			return p
		}
		if p, ok := d.values[ptr]; ok {
			return p
		}
	}
}

// Pointers lists the JSON Pointers of every value in the document, sorted.
func (d *Document) Pointers() []string {
	if d == nil {
		return nil
	}
	d.positions()
	ps := make([]string, 0, len(d.values))
	for p := range d.values {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Lookup returns the value at ptr in the document's root.
func (d *Document) Lookup(ptr string) (value.Value, bool) {
	if d == nil {
		return nil, false
	}
	return Lookup(d.Root, ptr)
}

// Lookup returns the value at the JSON Pointer ptr (RFC 6901) within v.
func Lookup(v value.Value, ptr string) (value.Value, bool) {
	if ptr == "" {
		return v, true
	}
	if ptr[0] != '/' {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
		switch t := v.(type) {
		case *value.Object:
			m, ok := t.Get(tok)
			if !ok {
				return nil, false
			}
			v = m
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Child returns the pointer of member key within the object at ptr, with
// "~" and "/" escaped as RFC 6901 requires.
func Child(ptr, key string) string {
	if !strings.ContainsAny(key, "~/") {
		return ptr + "/" + key
	}
	var b strings.Builder
	b.Grow(len(ptr) + len(key) + 4)
	b.WriteString(ptr)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '~':
			b.WriteString("~0")
		case '/':
			b.WriteString("~1")
		default:
			b.WriteByte(key[i])
		}
	}
	return b.String()
}

// Index returns the pointer of element i within the array at ptr.
func Index(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

func unescapeToken(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
}

// Problem is a text that cannot be read at all (a syntax error, a duplicate
// key, a YAML feature sfn refuses); Pos is where the reader stopped.
type Problem struct {
	Pos     Pos
	Path    string // JSON Pointer where known, else ""
	Message string
}

func (p *Problem) Error() string { return p.Message }

// Parse reads data in the given format. It returns every problem it can
// find; with problems the Document is nil.
//
// With Sniff, a text that parses as a JSON object is read as JSON (and its
// positions come from the JSON scanner); anything else is read as YAML. When
// neither reading succeeds and the text looks like JSON (its first character
// is '{'), the JSON problems are reported, as they are the clearer ones.
func Parse(data []byte, f Format) (*Document, []*Problem) {
	if len(data) > MaxSize {
		return nil, []*Problem{{Pos: Pos{1, 1},
			Message: fmt.Sprintf("definition is %d bytes; the limit is 1 MiB", len(data))}}
	}
	if !utf8.Valid(data) {
		off := invalidUTF8(data)
		return nil, []*Problem{{Pos: offsetPos(data, off), Message: "the text is not valid UTF-8"}}
	}
	switch f {
	case JSON:
		return parseJSON(data)
	case YAML:
		return parseYAML(data)
	case Sniff:
		if !looksLikeJSONObject(data) {
			return parseYAML(data)
		}
		doc, jsonProblems := parseJSON(data)
		if len(jsonProblems) == 0 {
			return doc, nil
		}
		if doc, yamlProblems := parseYAML(data); len(yamlProblems) == 0 {
			return doc, nil
		}
		return nil, jsonProblems
	default:
		return nil, []*Problem{{Pos: Pos{1, 1}, Message: "unknown format " + f.String()}}
	}
}

// looksLikeJSONObject reports whether the first significant character, after
// a byte-order mark and white space, opens a JSON object.
func looksLikeJSONObject(data []byte) bool {
	i := bomLen(data)
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

func bomLen(data []byte) int {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return 3
	}
	return 0
}

func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// offsetPos converts a byte offset into a position, counting "\r\n", "\n"
// and a lone "\r" as line breaks and not counting a leading byte-order mark.
func offsetPos(data []byte, off int) Pos {
	line, start := 1, bomLen(data)
	for i := start; i < off && i < len(data); i++ {
		switch data[i] {
		case '\n':
			line, start = line+1, i+1
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				continue
			}
			line, start = line+1, i+1
		}
	}
	if off > len(data) {
		off = len(data)
	}
	if start > off {
		start = off
	}
	return Pos{line, utf8.RuneCount(data[start:off]) + 1}
}
