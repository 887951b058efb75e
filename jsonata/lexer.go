package jsonata

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokEnd tokenKind = iota
	tokName
	tokVariable
	tokOperator
	tokString
	tokNumber
	tokValue // true, false, null
	tokRegex
)

// token is one lexeme. Position is the offset just past it, as jsonata-js
// reports positions (errors point at the end of the offending token).
type token struct {
	kind tokenKind
	text string // operator, name, variable name (no $), string value
	num  float64
	val  any // tokValue: true, false or nil
	re   *Regex
	pos  int
}

// lexer turns an expression into tokens on demand: whether a '/' starts a
// regular expression depends on where the parser is, so the parser asks for
// one token at a time and says whether an operand was just read.
type lexer struct {
	src string
	pos int
}

// operatorChars are the characters that end a name (and are operators or
// part of one). '!' and '~' are not operators on their own but still end a name.
func isOperatorChar(c byte) bool {
	switch c {
	case '.', '[', ']', '{', '}', '(', ')', ',', '@', '#', ';', ':', '?', '+', '-', '*', '/', '%', '|', '=', '<', '>', '^', '&', '!', '~':
		return true
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

// next returns the next token; afterOperand is true when the previous token
// completed an operand, so that a '/' there is division, not a regex.
func (l *lexer) next(afterOperand bool) (token, error) {
	src := l.src
	for {
		for l.pos < len(src) && isSpace(src[l.pos]) {
			l.pos++
		}
		if l.pos+1 < len(src) && src[l.pos] == '/' && src[l.pos+1] == '*' {
			start := l.pos
			end := strings.Index(src[l.pos+2:], "*/")
			if end < 0 {
				return token{}, coreErr("S0106", start, "", nil)
			}
			l.pos += 2 + end + 2
			continue
		}
		break
	}
	if l.pos >= len(src) {
		return token{kind: tokEnd, pos: len(src)}, nil
	}
	c := src[l.pos]
	if !afterOperand && c == '/' {
		l.pos++
		return l.scanRegex()
	}
	if l.pos+1 < len(src) {
		two := src[l.pos : l.pos+2]
		switch two {
		case "..", ":=", "!=", ">=", "<=", "**", "~>":
			l.pos += 2
			return token{kind: tokOperator, text: two, pos: l.pos}, nil
		}
	}
	if isOperatorChar(c) {
		l.pos++
		return token{kind: tokOperator, text: src[l.pos-1 : l.pos], pos: l.pos}, nil
	}
	if c == '"' || c == '\'' {
		return l.scanString(c)
	}
	if c >= '0' && c <= '9' {
		return l.scanNumber()
	}
	if c == '`' {
		end := strings.IndexByte(src[l.pos+1:], '`')
		if end < 0 {
			l.pos = len(src)
			return token{}, coreErr("S0105", l.pos, "", nil)
		}
		name := src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return token{kind: tokName, text: name, pos: l.pos}, nil
	}
	i := l.pos
	for i < len(src) && !isSpace(src[i]) && !isOperatorChar(src[i]) {
		i++
	}
	word := src[l.pos:i]
	l.pos = i
	if word[0] == '$' {
		return token{kind: tokVariable, text: word[1:], pos: i}, nil
	}
	switch word {
	case "or", "in", "and":
		return token{kind: tokOperator, text: word, pos: i}, nil
	case "true":
		return token{kind: tokValue, val: true, text: word, pos: i}, nil
	case "false":
		return token{kind: tokValue, val: false, text: word, pos: i}, nil
	case "null":
		return token{kind: tokValue, val: nil, text: word, pos: i}, nil
	}
	return token{kind: tokName, text: word, pos: i}, nil
}

// scanNumber reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)? (the
// sign is never reached: '-' is an operator).
func (l *lexer) scanNumber() (token, error) {
	src := l.src
	i := l.pos
	if src[i] == '0' {
		i++
	} else {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
		i++
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			i = j
		}
	}
	text := src[l.pos:i]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// only a range error is possible for this grammar: the number is too large
		return token{}, coreErr("S0102", l.pos, text, nil)
	}
	l.pos = i
	return token{kind: tokNumber, num: f, text: text, pos: i}, nil
}

// scanString reads a quoted string literal with JSON's escapes; \uXXXX
// pairs that form a surrogate pair become one character.
func (l *lexer) scanString(quote byte) (token, error) {
	src := l.src
	i := l.pos + 1
	start := i
	var b []byte // nil until an escape forces a copy
	for i < len(src) {
		c := src[i]
		if c == quote {
			var s string
			if b == nil {
				s = src[start:i]
			} else {
				s = string(append(b, src[start:i]...))
			}
			l.pos = i + 1
			return token{kind: tokString, text: s, pos: l.pos}, nil
		}
		if c != '\\' {
			i++
			continue
		}
		b = append(b, src[start:i]...)
		i++
		if i >= len(src) {
			break
		}
		e := src[i]
		if c, ok := simpleEscape(e); ok {
			b = append(b, c)
			i++
			start = i
			continue
		}
		switch e {
		case 'u':
			cp, ok := hex4(src, i+1)
			if !ok {
				return token{}, coreErr("S0104", i, "", nil)
			}
			i += 4
			if cp >= 0xD800 && cp <= 0xDBFF && i+2 < len(src) && src[i+1] == '\\' && src[i+2] == 'u' {
				if lo, ok := hex4(src, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					cp = 0x10000 + (cp-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			b = appendCodePoint(b, cp)
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return token{}, coreErr("S0103", i, string(r), nil)
		}
		i++
		start = i
	}
	return token{}, coreErr("S0101", len(src), "", nil)
}

// appendCodePoint writes cp as UTF-8; a lone surrogate (which JavaScript
// strings can hold) is written in the same three-byte form (WTF-8) so
// that it survives to the output.
func appendCodePoint(b []byte, cp rune) []byte {
	if cp >= 0xD800 && cp <= 0xDFFF {
		return append(b, byte(0xE0|cp>>12), byte(0x80|(cp>>6)&0x3F), byte(0x80|cp&0x3F))
	}
	return utf8.AppendRune(b, cp)
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

// scanRegex reads a regex literal after its opening '/': up to the first
// unescaped '/' outside brackets, then the flags i and m.
func (l *lexer) scanRegex() (token, error) {
	src := l.src
	start := l.pos
	depth := 0
	for i := l.pos; i < len(src); i++ {
		c := src[i]
		if c == '/' && depth == 0 {
			n := 0
			for i-n-1 >= 0 && src[i-n-1] == '\\' {
				n++
			}
			if n%2 == 0 {
				pattern := src[start:i]
				if pattern == "" {
					return token{}, coreErr("S0301", i, "", nil)
				}
				j := i + 1
				for j < len(src) && (src[j] == 'i' || src[j] == 'm') {
					j++
				}
				flags := src[i+1 : j]
				l.pos = j
				re, err := compileRegex(pattern, flags)
				if err != nil {
					if e, ok := err.(*Error); ok && e.Position == 0 {
						e.Position = j
					}
					return token{}, err
				}
				return token{kind: tokRegex, re: re, text: pattern, pos: j}, nil
			}
		}
		prevEsc := i > 0 && src[i-1] == '\\'
		switch c {
		case '(', '[', '{':
			if !prevEsc {
				depth++
			}
		case ')', ']', '}':
			if !prevEsc {
				depth--
			}
		}
	}
	l.pos = len(src)
	return token{}, coreErr("S0302", len(src), "", nil)
}
