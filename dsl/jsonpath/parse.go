package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError is a malformed path, with the byte offset where the parser
// stopped.
type ParseError struct {
	Path   string
	Offset int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid JSONPath %q: %s at offset %d", e.Path, e.Msg, e.Offset)
}

// kind is what one step of a path selects.
type kind uint8

const (
	kName     kind = iota // .name, ['name']
	kIndex                // [3], [-1]
	kNames                // ['a','b']
	kIndexes              // [0,2]
	kSlice                // [1:3], [:2], [-2:]
	kWildcard             // .*, [*]
	kFilter               // [?(...)]
	kLength               // .length()
)

// step is one segment of a compiled path. scan marks a step reached through
// recursive descent (..), which applies it at every level of the document.
type step struct {
	kind     kind
	scan     bool
	name     string
	index    int
	names    []string
	indexes  []int
	from, to int
	hasFrom  bool
	hasTo    bool
	filter   predicate
	fragment string // the step in Jayway's normalized form, e.g. ['a'] or [0]
}

// definite reports whether the step selects at most one value from one input
// (Jayway's isTokenDefinite); leaf says whether it is the last step.
func (s *step) definite(leaf bool) bool {
	if s.scan {
		return false
	}
	switch s.kind {
	case kName, kIndex, kLength:
		return true
	case kNames:
		return leaf // a multi-name leaf merges into one object
	}
	return false
}

type parser struct {
	src   string
	pos   int
	steps []step
}

func (p *parser) fail(off int, format string, args ...any) error {
	return &ParseError{Path: p.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// parse compiles src; root is the offset after the leading $ (or $$).
func (p *parser) parse(root int) error {
	p.pos = root
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '.':
			if err := p.dot(); err != nil {
				return err
			}
		case '[':
			s, err := p.bracket()
			if err != nil {
				return err
			}
			p.steps = append(p.steps, s)
		default:
			return p.fail(p.pos, "unexpected character %q, expected '.' or '['", c)
		}
		if n := len(p.steps); n > 0 && p.steps[n-1].kind == kLength && p.pos < len(p.src) {
			return p.fail(p.pos, "length() must be the last step")
		}
	}
	return nil
}

// dot reads .name, .*, .length(), ..name, ..*, ..[...] and .[...].
func (p *parser) dot() error {
	start := p.pos
	scan := false
	p.pos++
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		scan = true
		p.pos++
	}
	if p.pos >= len(p.src) {
		if scan {
			return p.fail(start, "path must not end with '..'")
		}
		return p.fail(start, "path must not end with '.'")
	}
	switch c := p.src[p.pos]; c {
	case '.':
		return p.fail(p.pos, "unexpected '.'")
	case '[':
		s, err := p.bracket()
		if err != nil {
			return err
		}
		s.scan = scan
		p.steps = append(p.steps, s)
		return nil
	case '*':
		p.pos++
		p.steps = append(p.steps, step{kind: kWildcard, scan: scan, fragment: "[*]"})
		return nil
	}
	// A name runs to the next '.', '[' or '('; like Jayway, anything else
	// (dashes, quotes, '$', ']') is part of it, but a blank is not.
	nameStart := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' || c == '[' || c == '(' {
			break
		}
		if c == ' ' {
			return p.fail(p.pos, "blank in property name, use bracket notation ['my prop']")
		}
		p.pos++
	}
	name := p.src[nameStart:p.pos]
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		if !strings.HasPrefix(p.src[p.pos:], "()") {
			return p.fail(p.pos, "functions take no arguments")
		}
		if name != "length" {
			return p.fail(nameStart, "unsupported function %s()", name)
		}
		if scan {
			return p.fail(nameStart, "function after '..'")
		}
		if len(p.steps) == 0 {
			return p.fail(nameStart, "function applied to the root")
		}
		p.pos += 2
		p.steps = append(p.steps, step{kind: kLength, fragment: ".length()"})
		return nil
	}
	p.steps = append(p.steps, step{kind: kName, scan: scan, name: name, fragment: "['" + name + "']"})
	return nil
}

func (p *parser) skipBlanks() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

// bracket reads [...] starting at '['.
func (p *parser) bracket() (step, error) {
	open := p.pos
	p.pos++
	p.skipBlanks()
	if p.pos >= len(p.src) {
		return step{}, p.fail(open, "unterminated bracket")
	}
	var s step
	var err error
	switch c := p.src[p.pos]; {
	case c == '?':
		s, err = p.filterStep(open)
	case c == '*':
		p.pos++
		s = step{kind: kWildcard, fragment: "[*]"}
	case c == '\'' || c == '"':
		s, err = p.namesStep(open)
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		s, err = p.arrayStep(open)
	case c == ']':
		return step{}, p.fail(p.pos, "empty brackets")
	default:
		return step{}, p.fail(p.pos, "unexpected character %q in brackets", c)
	}
	if err != nil {
		return step{}, err
	}
	p.skipBlanks()
	if p.pos >= len(p.src) {
		return step{}, p.fail(open, "unterminated bracket")
	}
	if p.src[p.pos] != ']' {
		return step{}, p.fail(p.pos, "unexpected character %q, expected ']'", p.src[p.pos])
	}
	p.pos++
	return s, nil
}

// namesStep reads 'a' or 'a','b'. As in AWS, a backslash only keeps the next
// character from ending the name; it stays in the name as written.
func (p *parser) namesStep(open int) (step, error) {
	var names []string
	for {
		q := p.src[p.pos]
		if q != '\'' && q != '"' {
			return step{}, p.fail(p.pos, "expected a quoted property name")
		}
		start := p.pos + 1
		i := start
		for ; i < len(p.src); i++ {
			if p.src[i] == '\\' {
				i++
				continue
			}
			if p.src[i] == q {
				break
			}
		}
		if i >= len(p.src) {
			return step{}, p.fail(p.pos, "unterminated quoted property name")
		}
		names = append(names, p.src[start:i])
		p.pos = i + 1
		p.skipBlanks()
		if p.pos >= len(p.src) {
			return step{}, p.fail(open, "unterminated bracket")
		}
		if p.src[p.pos] != ',' {
			break
		}
		p.pos++
		p.skipBlanks()
		if p.pos >= len(p.src) {
			return step{}, p.fail(open, "unterminated bracket")
		}
	}
	if len(names) == 1 {
		return step{kind: kName, name: names[0], fragment: "['" + names[0] + "']"}, nil
	}
	return step{kind: kNames, names: names, fragment: "['" + strings.Join(names, "','") + "']"}, nil
}

// arrayStep reads an index, an index list or a slice.
func (p *parser) arrayStep(open int) (step, error) {
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != ']' {
		p.pos++
	}
	if p.pos >= len(p.src) {
		return step{}, p.fail(open, "unterminated bracket")
	}
	body := p.src[start:p.pos]
	num := func(s string, off int) (int, error) {
		t := strings.Trim(s, " ")
		n, err := strconv.Atoi(t)
		if err != nil || t == "" || strings.HasPrefix(t, "+") {
			return 0, p.fail(off, "invalid array index %q", t)
		}
		return n, nil
	}
	if i := strings.IndexByte(body, ':'); i >= 0 {
		if strings.Count(body, ":") > 1 {
			return step{}, p.fail(start+strings.LastIndexByte(body, ':'), "slice steps are not supported")
		}
		s := step{kind: kSlice}
		if a := strings.Trim(body[:i], " "); a != "" {
			n, err := num(a, start)
			if err != nil {
				return step{}, err
			}
			s.from, s.hasFrom = n, true
		}
		if b := strings.Trim(body[i+1:], " "); b != "" {
			n, err := num(b, start+i+1)
			if err != nil {
				return step{}, err
			}
			s.to, s.hasTo = n, true
		}
		s.fragment = "[" + sliceText(s) + "]"
		return s, nil
	}
	parts := strings.Split(body, ",")
	idx := make([]int, 0, len(parts))
	off := start
	for _, part := range parts {
		n, err := num(part, off)
		if err != nil {
			return step{}, err
		}
		idx = append(idx, n)
		off += len(part) + 1
	}
	if len(idx) == 1 {
		return step{kind: kIndex, index: idx[0], fragment: "[" + strconv.Itoa(idx[0]) + "]"}, nil
	}
	texts := make([]string, len(idx))
	for i, n := range idx {
		texts[i] = strconv.Itoa(n)
	}
	return step{kind: kIndexes, indexes: idx, fragment: "[" + strings.Join(texts, ",") + "]"}, nil
}

func sliceText(s step) string {
	var b strings.Builder
	if s.hasFrom {
		b.WriteString(strconv.Itoa(s.from))
	}
	b.WriteByte(':')
	if s.hasTo {
		b.WriteString(strconv.Itoa(s.to))
	}
	return b.String()
}

// filterStep reads ?(expression), skipping over quoted strings so that a
// parenthesis inside one does not end the filter.
func (p *parser) filterStep(open int) (step, error) {
	p.pos++ // ?
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return step{}, p.fail(p.pos, "expected '(' after '?'")
	}
	exprStart := p.pos + 1
	depth := 0
	i := p.pos
	for ; i < len(p.src); i++ {
		c := p.src[i]
		if c == '\'' || c == '"' {
			j := i + 1
			for ; j < len(p.src) && p.src[j] != c; j++ {
				if p.src[j] == '\\' {
					j++
				}
			}
			if j >= len(p.src) {
				return step{}, p.fail(i, "unterminated string in filter")
			}
			i = j
			continue
		}
		if c == '(' {
			depth++
		} else if c == ')' {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	if i >= len(p.src) {
		return step{}, p.fail(open, "unterminated filter")
	}
	expr := p.src[exprStart:i]
	p.pos = i + 1
	if strings.TrimSpace(expr) == "" {
		return step{}, p.fail(exprStart, "empty filter")
	}
	pred, err := compileFilter(expr)
	if err != nil {
		return step{}, p.fail(exprStart, "invalid filter: %v", err)
	}
	return step{kind: kFilter, filter: pred, fragment: "[?]"}, nil
}
