package jsonata

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of a JSON text DecodeJSON accepts: the
// decoder and every later walk of the value recurse once per level, so a
// hostile "[[[[…" of a million levels must stop here, with an error, and not
// deep in an evaluation.
const maxJSONDepth = 10000

// JSONError is why DecodeJSON rejected a text, and where.
type JSONError struct {
	Offset int // byte offset of the problem (0-based)
	Line   int // 1-based
	Column int // 1-based, in bytes
	Msg    string
}

func (e *JSONError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DecodeJSON reads a JSON text (RFC 8259, as JavaScript's JSON.parse takes
// it) into JSONata values: libArray as float64 (beyond the double range they
// are ±Inf, as JSON.parse makes them), objects as *Object with their members
// in text order (a repeated name keeps its first place and its last value),
// arrays as []any. A lone UTF-16 surrogate escape ("\ud800"), which UTF-8
// cannot hold, is kept in its three-byte WTF-8 form; bytes of the text that
// are not UTF-8 become U+FFFD.
func DecodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, d.errorf("unexpected %s after the value", d.describe())
	}
	return v, nil
}

type jsonDecoder struct {
	data []byte
	pos  int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	line, col := 1, 1
	for _, c := range d.data[:min(d.pos, len(d.data))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &JSONError{Offset: d.pos, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// describe names the byte at the current position for an error message.
func (d *jsonDecoder) describe() string {
	if d.pos >= len(d.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(d.data[d.pos:])
	return strconv.QuoteRune(r)
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input, expecting a value")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.errorf("unexpected %s, expecting a value", d.describe())
}

func (d *jsonDecoder) literal(word string) error {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return nil
	}
	return d.errorf("invalid literal, expecting %q", word)
}

func (d *jsonDecoder) object(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nested deeper than %d levels", maxJSONDepth)
	}
	d.pos++ // '{'
	obj := NewObject(4)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return obj, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("unexpected %s, expecting a member name in double quotes", d.describe())
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("unexpected %s, expecting ':' after member name", d.describe())
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		obj.Set(k, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input, expecting ',' or '}'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return obj, nil
		default:
			return nil, d.errorf("unexpected %s, expecting ',' or '}'", d.describe())
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nested deeper than %d levels", maxJSONDepth)
	}
	d.pos++ // '['
	arr := make([]any, 0, 4)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input, expecting ',' or ']'")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return arr, nil
		default:
			return nil, d.errorf("unexpected %s, expecting ',' or ']'", d.describe())
		}
	}
}

func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	intStart := d.pos
	n := digits()
	if n == 0 {
		return nil, d.errorf("unexpected %s in a number, expecting a digit", d.describe())
	}
	if n > 1 && d.data[intStart] == '0' {
		d.pos = intStart + 1
		return nil, d.errorf("a number must not start with a leading zero")
	}
	simple := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		simple = false
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("unexpected %s after a decimal point, expecting a digit", d.describe())
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		simple = false
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("unexpected %s in an exponent, expecting a digit", d.describe())
		}
	}
	text := d.data[start:d.pos]
	// Integers of up to 15 digits are exact in a double: skip ParseFloat.
	if simple && n <= 15 {
		var i int64
		for _, c := range text[intStart-start:] {
			i = i*10 + int64(c-'0')
		}
		if text[0] == '-' {
			if i == 0 {
				return math.Copysign(0, -1), nil
			}
			i = -i
		}
		return float64(i), nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, d.errorf("invalid number %q", text)
	}
	return f, nil // beyond the double range: ±Inf, as JSON.parse gives
}

func (d *jsonDecoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// The common case, no escapes: one conversion, no builder.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := string(d.data[start:d.pos])
			d.pos++
			if !utf8.ValidString(s) {
				return jsonValidUTF8(s), nil
			}
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character %#02x in a string must be escaped", c)
		}
		d.pos++
	}
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, d.data[start:d.pos]...)
	for {
		if d.pos >= len(d.data) {
			return "", d.errorf("unterminated string")
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !utf8.Valid(buf) {
				return jsonValidUTF8(string(buf)), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character %#02x in a string must be escaped", c)
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++ // backslash
		if d.pos >= len(d.data) {
			return "", d.errorf("unterminated string")
		}
		e := d.data[d.pos]
		d.pos++
		if c, ok := simpleEscape(e); ok {
			buf = append(buf, c)
			continue
		}
		switch e {
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape, expecting four hex digits")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low one is one
				// character; any other surrogate stands alone, kept in
				// UTF-8's three-byte form (WTF-8) as the lexer keeps one in
				// a string literal, so that $encodeUrl fails on it and
				// EncodeJSON writes it back as the escape it was.
				combined := rune(-1)
				if save := d.pos; r < 0xdc00 && len(d.data)-d.pos >= 6 && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok := d.hex4(); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
						combined = utf16.DecodeRune(r, r2)
					} else {
						d.pos = save
					}
				}
				if combined < 0 {
					buf = appendWTF8Surrogate(buf, r)
					continue
				}
				r = combined
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos--
			return "", d.errorf("invalid escape %s in a string", d.describe())
		}
	}
}

// hex4 reads the four hex digits of a \u escape.
func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// jsonValidUTF8 replaces the bytes of s that are not UTF-8 with U+FFFD,
// so that every string value is text; a lone surrogate in WTF-8 form stays.
func jsonValidUTF8(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if _, ok := wtf8Surrogate(s, i); ok {
			out = append(out, s[i:i+3]...)
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		out = utf8.AppendRune(out, r)
		i += size
	}
	return string(out)
}

// EncodeJSON writes a value as JavaScript's JSON.stringify writes it:
// libArray as Number#toString (shortest round trip, "1e+21", "1.5e-7", -0 as
// 0, NaN and ±Inf as null), strings with JSON.stringify's escapes, a Seq as
// an array, Undefined members left out of objects and written as null in
// arrays. A function value is written as "" (as $string writes it). A value
// that is Undefined as a whole has no JSON text: the result is nil.
func EncodeJSON(v any) ([]byte, error) {
	if IsUndefined(v) {
		return nil, nil
	}
	e := jsonEncoder{buf: make([]byte, 0, 64)}
	if err := e.encode(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// EncodeJSONIndent is EncodeJSON laid out as JSON.stringify(v, null, 2):
// one member or item a line, indented by two spaces a level.
func EncodeJSONIndent(v any) ([]byte, error) {
	if IsUndefined(v) {
		return nil, nil
	}
	e := jsonEncoder{buf: make([]byte, 0, 64), indent: true}
	if err := e.encode(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// jsonEncoder writes JSON; with stringify it follows $string's replacer
// instead of JSON.stringify's defaults: libArray are first cut to 15
// significant digits, and a non-finite number is error D1001.
type jsonEncoder struct {
	buf       []byte
	indent    bool
	stringify bool
}

func (e *jsonEncoder) newline(level int) {
	e.buf = append(e.buf, '\n')
	for i := 0; i < level; i++ {
		e.buf = append(e.buf, ' ', ' ')
	}
}

func (e *jsonEncoder) encode(v any, level int) error {
	if level > maxJSONDepth {
		return errorf("D1001", "value nested deeper than %d levels cannot be written as JSON", maxJSONDepth)
	}
	switch x := v.(type) {
	case nil, undefinedType:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if e.stringify && math.IsInf(x, 0) {
				return libError("D1001", x)
			}
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if e.stringify {
			x = toPrecision15(x)
		}
		e.buf = appendJSNumber(e.buf, x)
	case string:
		e.buf = appendJSONString(e.buf, x)
	case []any:
		return e.array(x, level)
	case Seq:
		return e.array(x, level)
	case *Object:
		e.buf = append(e.buf, '{')
		n := 0
		for _, k := range x.Keys() {
			m, _ := x.Get(k)
			if IsUndefined(m) {
				continue // JSON.stringify leaves undefined members out
			}
			if n > 0 {
				e.buf = append(e.buf, ',')
			}
			n++
			if e.indent {
				e.newline(level + 1)
			}
			e.buf = appendJSONString(e.buf, k)
			e.buf = append(e.buf, ':')
			if e.indent {
				e.buf = append(e.buf, ' ')
			}
			if err := e.encode(m, level+1); err != nil {
				return err
			}
		}
		if e.indent && n > 0 {
			e.newline(level)
		}
		e.buf = append(e.buf, '}')
	default:
		// Functions (builtins, lambdas, regexes, which jsonata-js treats as
		// functions) are written as "", as $string's replacer does.
		e.buf = append(e.buf, `""`...)
	}
	return nil
}

func (e *jsonEncoder) array(a []any, level int) error {
	e.buf = append(e.buf, '[')
	for i, item := range a {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if e.indent {
			e.newline(level + 1)
		}
		if err := e.encode(item, level+1); err != nil {
			return err
		}
	}
	if e.indent && len(a) > 0 {
		e.newline(level)
	}
	e.buf = append(e.buf, ']')
	return nil
}

const jsonHexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string literal with JSON.stringify's
// escapes: the two-character ones, \u00xx for other control characters,
// \udxxx for a lone surrogate (in WTF-8), everything else as it is; other
// bytes that are not UTF-8 become \ufffd.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if sur, ok := wtf8Surrogate(s, i); ok {
				// A lone surrogate: JSON.stringify escapes it.
				buf = append(buf, s[start:i]...)
				buf = append(buf, '\\', 'u', jsonHexDigits[sur>>12], jsonHexDigits[sur>>8&0xf], jsonHexDigits[sur>>4&0xf], jsonHexDigits[sur&0xf])
				i += 3
				start = i
				continue
			}
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, s[start:i]...)
				buf = append(buf, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', jsonHexDigits[c>>4], jsonHexDigits[c&0xf])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// appendJSNumber writes a number as JavaScript's Number#toString:
// the shortest digits that read back as the same double, in plain notation
// from 1e-6 up to 1e21 and in exponent notation ("1e+21", "1.5e-7")
// outside; -0 is "0".
func appendJSNumber(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	if f == 0 {
		return append(buf, '0')
	}
	// Integers below 2^53 are their own shortest digits.
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(buf, int64(f), 10)
	}
	if f < 0 {
		buf = append(buf, '-')
		f = -f
	}
	var scratch [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64) // d.ddde±xx
	var digits [24]byte
	k := 0
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[k] = e[i]
			k++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	n := exp + 1 // the decimal point is after n digits
	ds := digits[:k]
	switch {
	case k <= n && n <= 21:
		buf = append(buf, ds...)
		for j := k; j < n; j++ {
			buf = append(buf, '0')
		}
	case 0 < n && n <= 21:
		buf = append(buf, ds[:n]...)
		buf = append(buf, '.')
		buf = append(buf, ds[n:]...)
	case -6 < n && n <= 0:
		buf = append(buf, '0', '.')
		for j := 0; j < -n; j++ {
			buf = append(buf, '0')
		}
		buf = append(buf, ds...)
	default:
		buf = append(buf, ds[0])
		if k > 1 {
			buf = append(buf, '.')
			buf = append(buf, ds[1:]...)
		}
		buf = append(buf, 'e')
		if n-1 < 0 {
			buf = append(buf, '-')
			buf = strconv.AppendInt(buf, int64(1-n), 10)
		} else {
			buf = append(buf, '+')
			buf = strconv.AppendInt(buf, int64(n-1), 10)
		}
	}
	return buf
}

// jsNumberString is Number#toString.
func jsNumberString(f float64) string {
	var b [32]byte
	return string(appendJSNumber(b[:0], f))
}

// toPrecision15 is Number(f.toPrecision(15)): f rounded to 15 significant
// digits, a tie away from zero as V8 rounds it ($string(0.1+0.2) is "0.3").
func toPrecision15(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return f // at most 15 digits already
	}
	var scratch [40]byte
	r, _ := strconv.ParseFloat(string(strconv.AppendFloat(scratch[:0], f, 'e', 14, 64)), 64)
	// Go rounds an exact tie to even, V8 away from zero. A tie is a value
	// whose exact decimal form has 16 significant digits, the last a 5: its
	// shortest form is then that "d.ddddddddddddddd5e±x".
	short := strconv.AppendFloat(scratch[:0], math.Abs(f), 'e', -1, 64)
	exp := libExpPart(short)
	mant := short[:len(short)-len(exp)]
	if len(mant) != 17 || mant[16] != '5' {
		return r
	}
	exact, ok := new(big.Rat).SetString(string(short))
	if !ok || exact.Cmp(new(big.Rat).SetFloat64(math.Abs(f))) != 0 {
		return r
	}
	up, _ := strconv.ParseFloat(string(libRoundUpDigits(mant[:16]))+string(exp), 64)
	return math.Copysign(up, f)
}

// libExpPart is the "e±xx" tail of a number in 'e' format.
func libExpPart(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == 'e' {
			return b[i:]
		}
	}
	return nil
}

// libRoundUpDigits adds one unit in the last place to "d.ddd…", carrying as
// needed ("9.99" -> "10.00", which ParseFloat reads as well).
func libRoundUpDigits(m []byte) []byte {
	out := append([]byte(nil), m...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '.' {
			continue
		}
		if out[i] < '9' {
			out[i]++
			return out
		}
		out[i] = '0'
	}
	return append([]byte{'1'}, out...)
}

// appendWTF8Surrogate writes a lone surrogate code point in the three-byte
// form UTF-8 would give it were it allowed.
func appendWTF8Surrogate(b []byte, r rune) []byte {
	return append(b, byte(0xe0|r>>12), byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f))
}

// wtf8Surrogate reports whether s[i:] starts with a surrogate in WTF-8
// form (ED A0..BF 80..BF), and which.
func wtf8Surrogate(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf {
		return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
	}
	return 0, false
}

// charLen is the length in bytes of the character at s[i]: a lone
// surrogate in WTF-8 form is one character, as it is to JavaScript.
func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	if _, ok := wtf8Surrogate(s, i); ok {
		return 3
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return size
}

// charCount is the number of characters of s (code points, a lone
// surrogate counting one), which $length and $substring count.
func charCount(s string) int {
	n := 0
	for i := 0; i < len(s); i += charLen(s, i) {
		n++
	}
	return n
}

// simpleEscape is the character a one-letter escape (\n, \t, \" …) of
// JSON and of JSONata string literals stands for.
func simpleEscape(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}
