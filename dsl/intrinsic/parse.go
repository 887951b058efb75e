package intrinsic

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// The grammar, as AWS accepts it:
//
//	call   = "States." name "(" [ arg { "," arg } ] ")"
//	arg    = string | number | "true" | "false" | "null" | path | call
//	string = "'" { char | "\'" | "\{" | "\}" | "\\" } "'"
//	path   = "$" ... (a JSONPath, ended by "," or ")" outside brackets)
//
// Blanks are allowed around arguments. In a string literal the only escapes
// are the four above; an unescaped "{}" is a States.Format placeholder.

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(at int, fn, format string, args ...any) error {
	return &SyntaxError{Offset: at, Func: fn, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() (*callNode, error) {
	if !strings.HasPrefix(p.src, "States.") {
		return nil, p.errorf(0, "", "expected a call starting with \"States.\"")
	}
	root, err := p.call(1)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf(p.pos, root.fn.name, "unexpected %q after the closing parenthesis", p.rest())
	}
	return root, nil
}

// rest returns a short excerpt of the input at the current position, for
// error messages.
func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) call(depth int) (*callNode, error) {
	start := p.pos
	p.pos += len("States.")
	for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	fn := functions[name]
	if fn == nil {
		if name == "States." {
			return nil, p.errorf(start, "", "missing function name after \"States.\"")
		}
		return nil, p.errorf(start, "", "unknown intrinsic function %s", name)
	}
	if depth > MaxDepth {
		return nil, p.errorf(start, name, "calls nested more than %d deep", MaxDepth)
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errorf(p.pos, name, "expected '(' after the function name")
	}
	p.pos++
	n := &callNode{fn: fn, off: start}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			a, err := p.arg(depth, name)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, a)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errorf(p.pos, name, "missing ')' at the end of the argument list")
			}
			c := p.src[p.pos]
			p.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				return nil, p.errorf(p.pos-1, name, "expected ',' or ')' after an argument, found %q", c)
			}
		}
	}
	if err := n.checkStatic(); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) arg(depth int, fn string) (node, error) {
	if p.pos >= len(p.src) {
		return nil, p.errorf(p.pos, fn, "missing argument at the end of the expression")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '\'':
		return p.stringLit(fn)
	case c == '$':
		return p.path(fn)
	case c == '-' || c >= '0' && c <= '9':
		return p.number(fn)
	case strings.HasPrefix(p.src[p.pos:], "States."):
		return p.call(depth + 1)
	case isNameByte(c):
		for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
			p.pos++
		}
		switch word := p.src[start:p.pos]; word {
		case "true":
			return &litNode{off: start, v: true}, nil
		case "false":
			return &litNode{off: start, v: false}, nil
		case "null":
			return &litNode{off: start, v: nil}, nil
		default:
			return nil, p.errorf(start, fn, "unexpected %q: an argument is a 'string', a number, true, false, null, a path or a States call", word)
		}
	case c == ',' || c == ')':
		return nil, p.errorf(start, fn, "missing argument before %q", c)
	default:
		return nil, p.errorf(start, fn, "unexpected %q at the start of an argument", p.rest())
	}
}

// stringLit reads a quoted literal. It keeps the pieces between unescaped
// "{}" pairs, so that States.Format can tell placeholders from escaped braces.
func (p *parser) stringLit(fn string) (node, error) {
	start := p.pos
	p.pos++ // opening quote
	var parts []string
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf(start, fn, "unterminated string literal")
		}
		c := p.src[p.pos]
		switch {
		case c == '\'':
			p.pos++
			parts = append(parts, b.String())
			return &litNode{off: start, v: strings.Join(parts, "{}"), parts: parts}, nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return nil, p.errorf(p.pos, fn, "unterminated escape at the end of a string literal")
			}
			switch e := p.src[p.pos+1]; e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
				p.pos += 2
			default:
				return nil, p.errorf(p.pos, fn, "illegal escape %q in a string literal (only \\', \\{, \\} and \\\\ are allowed)", p.src[p.pos:p.pos+2])
			}
		case c == '{' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '}':
			parts = append(parts, b.String())
			b.Reset()
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// path reads a JSONPath up to the "," or ")" that ends the argument; commas,
// parentheses and blanks inside brackets, filters and quotes belong to it.
func (p *parser) path(fn string) (node, error) {
	start := p.pos
	var closers []byte // the brackets still open, innermost last
scan:
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		depth := len(closers)
		switch {
		case c == '[':
			closers = append(closers, ']')
		case c == '(':
			closers = append(closers, ')')
		case depth > 0 && c == closers[depth-1]:
			closers = closers[:depth-1]
		case depth == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			break scan
		case depth > 0 && (c == '\'' || c == '"'):
			end := skipQuoted(p.src, p.pos)
			if end < 0 {
				return nil, p.errorf(p.pos, fn, "unterminated quoted name in path %q", p.src[start:])
			}
			p.pos = end
			continue
		}
		p.pos++
	}
	text := p.src[start:p.pos]
	if len(closers) > 0 {
		return nil, p.errorf(start, fn, "unterminated bracket in path %q", text)
	}
	jp, err := jsonpath.Parse(text)
	if err != nil {
		return nil, p.errorf(start, fn, "invalid path %q: %v", text, err)
	}
	return &pathNode{off: start, text: text, path: jp}, nil
}

// skipQuoted returns the position after the quoted run that starts at i, or
// -1 when it is not closed.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return -1
}

// number reads a JSON number (a leading '-' allowed, no '+', no bare '.').
func (p *parser) number(fn string) (node, error) {
	start := p.pos
	s := p.src
	digits := func() int {
		n := 0
		for p.pos < len(s) && s[p.pos] >= '0' && s[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if s[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(s) && s[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf(start, fn, "invalid number %q", p.token(start))
	}
	if p.pos < len(s) && s[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf(start, fn, "invalid number %q: no digits after '.'", p.token(start))
		}
	}
	if p.pos < len(s) && (s[p.pos] == 'e' || s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(s) && (s[p.pos] == '+' || s[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf(start, fn, "invalid number %q: no digits in the exponent", p.token(start))
		}
	}
	if p.pos < len(s) && (isNameByte(s[p.pos]) || s[p.pos] == '.') {
		return nil, p.errorf(start, fn, "invalid number %q", p.token(start))
	}
	return &litNode{off: start, v: value.Number(s[start:p.pos])}, nil
}

// token returns the run of non-delimiter bytes from start, for messages.
func (p *parser) token(start int) string {
	end := start
	for end < len(p.src) && end-start < 20 && !strings.ContainsRune(",) \t\r\n", rune(p.src[end])) {
		end++
	}
	return p.src[start:end]
}
