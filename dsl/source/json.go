package source

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// jsonParser reads JSON (RFC 8259) and records positions as it goes. It is
// separate from value.Decode because that decoder knows byte offsets only;
// turning every offset into a line and column afterwards would cost a second
// pass per position.
type jsonParser struct {
	data []byte
	pos  int // byte offset of the next byte to read

	// Line tracking. colOff/col cache the rune count of the current line up
	// to colOff, so that column lookups cost O(n) over the whole text even
	// when it is one long line.
	line      int
	lineStart int
	colOff    int
	col       int

	doc      *Document
	problems []*Problem
	stopped  bool // a syntax error ended the reading
}

func parseJSON(data []byte) (*Document, []*Problem) {
	start := bomLen(data)
	p := &jsonParser{data: data, pos: start, line: 1, lineStart: start, colOff: start, doc: newDocument(JSON, data)}
	p.skipSpace()
	root := p.value("", 0)
	if !p.stopped {
		p.skipSpace()
		if p.pos < len(p.data) {
			p.syntax("unexpected %s after the end of the document", p.describe())
		}
	}
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	p.doc.Root = root
	return p.doc, nil
}

// here is the position of the next byte.
func (p *jsonParser) here() Pos {
	if p.colOff < p.lineStart {
		p.colOff, p.col = p.lineStart, 0
	}
	i := p.colOff
	for i < p.pos {
		if p.data[i] < utf8.RuneSelf {
			i++
		} else {
			_, n := utf8.DecodeRune(p.data[i:])
			i += n
		}
		p.col++
	}
	p.colOff = i
	return Pos{p.line, p.col + 1}
}

// syntax records a syntax error where the reader stopped and stops it.
func (p *jsonParser) syntax(format string, args ...any) {
	if p.stopped {
		return
	}
	p.stopped = true
	p.problems = append(p.problems, &Problem{Pos: p.here(), Message: "JSON syntax error: " + fmt.Sprintf(format, args...)})
}

// describe names the next character for a message.
func (p *jsonParser) describe() string {
	if p.pos >= len(p.data) {
		return "end of text"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t':
			p.pos++
		case '\n':
			p.pos++
			p.line, p.lineStart = p.line+1, p.pos
		case '\r':
			p.pos++
			if p.pos < len(p.data) && p.data[p.pos] == '\n' {
				p.pos++
			}
			p.line, p.lineStart = p.line+1, p.pos
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// value reads the value at ptr; the caller has skipped white space.
func (p *jsonParser) value(ptr string, depth int) value.Value {
	p.doc.values[ptr] = p.here()
	switch c := p.peek(); {
	case p.pos >= len(p.data):
		p.syntax("expected a value, found end of text")
		return nil
	case c == '{' || c == '[':
		if depth+1 > MaxDepth {
			p.problems = append(p.problems, &Problem{Pos: p.here(), Path: ptr,
				Message: fmt.Sprintf("the document is nested more than %d levels deep", MaxDepth)})
			p.stopped = true
			return nil
		}
		if c == '{' {
			return p.object(ptr, depth+1)
		}
		return p.array(ptr, depth+1)
	case c == '"':
		s, _ := p.str()
		return s
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == ']' || c == '}':
		p.syntax("expected a value, found %s (a trailing comma?)", p.describe())
	case c == '\'':
		p.syntax("expected a value, found %s (JSON strings use double quotes)", p.describe())
	default:
		p.syntax("expected a value, found %s", p.describe())
	}
	return nil
}

func (p *jsonParser) literal(word string, v value.Value) value.Value {
	end := p.pos + len(word)
	if end > len(p.data) || string(p.data[p.pos:end]) != word {
		p.syntax("invalid literal, expected %s", word)
		return nil
	}
	p.pos = end
	return v
}

func (p *jsonParser) object(ptr string, depth int) value.Value {
	p.pos++ // {
	o := value.NewObject(4)
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return o
	}
	for {
		p.skipSpace()
		if p.peek() != '"' {
			if p.peek() == '}' {
				p.syntax("expected a key in double quotes, found '}' (a trailing comma?)")
			} else {
				p.syntax("expected a key in double quotes, found %s", p.describe())
			}
			return nil
		}
		keyPos := p.here()
		k, ok := p.str()
		if !ok {
			return nil
		}
		child := Child(ptr, k)
		dup := o.Has(k)
		if dup {
			p.problems = append(p.problems, &Problem{Pos: keyPos, Path: child,
				Message: fmt.Sprintf("duplicate key %q (first at %s)", k, p.doc.keys[child])})
		} else {
			p.doc.keys[child] = keyPos
		}
		p.skipSpace()
		if p.peek() != ':' {
			p.syntax("expected ':' after the key %q, found %s", k, p.describe())
			return nil
		}
		p.pos++
		p.skipSpace()
		firstPos, hadFirst := p.doc.values[child]
		v := p.value(child, depth)
		if p.stopped {
			return nil
		}
		if dup {
			if hadFirst {
				p.doc.values[child] = firstPos
			}
		} else {
			o.Set(k, v)
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return o
		default:
			p.syntax("expected ',' or '}' after an object member, found %s", p.describe())
			return nil
		}
	}
}

func (p *jsonParser) array(ptr string, depth int) value.Value {
	p.pos++ // [
	a := make([]any, 0, 4)
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return a
	}
	for {
		p.skipSpace()
		v := p.value(Index(ptr, len(a)), depth)
		if p.stopped {
			return nil
		}
		a = append(a, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return a
		default:
			p.syntax("expected ',' or ']' after an array element, found %s", p.describe())
			return nil
		}
	}
}

func (p *jsonParser) number() value.Value {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.peek() == '0' {
		p.pos++
		if c := p.peek(); c >= '0' && c <= '9' {
			p.syntax("invalid number: a leading zero must stand alone")
			return nil
		}
	} else if digits() == 0 {
		p.syntax("invalid number: expected a digit, found %s", p.describe())
		return nil
	}
	if p.peek() == '.' {
		p.pos++
		if digits() == 0 {
			p.syntax("invalid number: expected a digit after '.', found %s", p.describe())
			return nil
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if digits() == 0 {
			p.syntax("invalid number: expected a digit in the exponent, found %s", p.describe())
			return nil
		}
	}
	return value.Number(p.data[start:p.pos])
}

// str reads a string literal; the text has already been checked to be UTF-8.
func (p *jsonParser) str() (string, bool) {
	p.pos++ // opening quote
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := string(p.data[start:p.pos])
			p.pos++
			return s, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.pos++
	}
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), true
		case c == '\n' || c == '\r':
			p.syntax("unterminated string (a line break inside a string must be written \\n)")
			return "", false
		case c < 0x20:
			p.syntax("control character %q in a string", rune(c))
			return "", false
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				p.pos++
				p.syntax("unterminated string")
				return "", false
			}
			e := p.data[p.pos+1]
			if b, ok := value.Unescape(e); ok {
				buf = append(buf, b)
				p.pos += 2
				continue
			}
			switch e {
			case 'u':
				r, ok := p.hex4(p.pos + 2)
				if !ok {
					return "", false
				}
				n := 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if p.pos+7 < len(p.data) && p.data[p.pos+6] == '\\' && p.data[p.pos+7] == 'u' {
						if r2, ok2 = p.hex4(p.pos + 8); !ok2 {
							return "", false
						}
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r, n = dec, 12
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
				p.pos += n
				continue
			default:
				p.syntax("invalid escape '\\%c' in a string", rune(e))
				return "", false
			}
		default:
			buf = append(buf, c)
			p.pos++
		}
	}
	p.syntax("unterminated string")
	return "", false
}

// hex4 reads the four hex digits of a \u escape at offset at.
func (p *jsonParser) hex4(at int) (rune, bool) {
	var r rune
	for i := at; i < at+4; i++ {
		if i >= len(p.data) {
			p.pos = i
			p.syntax("unterminated \\u escape")
			return 0, false
		}
		c := p.data[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			p.pos = i
			p.syntax("invalid \\u escape: %s is not a hex digit", p.describe())
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
