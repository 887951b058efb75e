package jsonata

import (
	"encoding/base64"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// registerStringFunctions adds the string functions (all but the regex
// ones: $match, $replace, $split, $contains).
func registerStringFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "string", Signature: "<x-b?:s>", Fn: fnString})
	add(&Builtin{Name: "length", Signature: "<s-:n>", Fn: fnLength})
	add(&Builtin{Name: "substring", Signature: "<s-nn?:s>", Fn: fnSubstring})
	add(&Builtin{Name: "substringBefore", Signature: "<s-s:s>", Fn: fnSubstringBefore})
	add(&Builtin{Name: "substringAfter", Signature: "<s-s:s>", Fn: fnSubstringAfter})
	add(&Builtin{Name: "uppercase", Signature: "<s-:s>", Fn: fnUppercase})
	add(&Builtin{Name: "lowercase", Signature: "<s-:s>", Fn: fnLowercase})
	add(&Builtin{Name: "trim", Signature: "<s-:s>", Fn: fnTrim})
	add(&Builtin{Name: "pad", Signature: "<s-ns?:s>", Fn: fnPad})
	add(&Builtin{Name: "join", Signature: "<a<s>s?:s>", Fn: fnJoin})
	add(&Builtin{Name: "base64encode", Signature: "<s-:s>", Fn: fnBase64Encode})
	add(&Builtin{Name: "base64decode", Signature: "<s-:s>", Fn: fnBase64Decode})
	add(&Builtin{Name: "encodeUrlComponent", Signature: "<s-:s>", Fn: libURLFunc("encodeUrlComponent", encodeURIComponent)})
	add(&Builtin{Name: "encodeUrl", Signature: "<s-:s>", Fn: libURLFunc("encodeUrl", encodeURI)})
	add(&Builtin{Name: "decodeUrlComponent", Signature: "<s-:s>", Fn: libURLFunc("decodeUrlComponent", decodeURIComponent)})
	add(&Builtin{Name: "decodeUrl", Signature: "<s-:s>", Fn: libURLFunc("decodeUrl", decodeURI)})
	add(&Builtin{Name: "eval", Signature: "<sx?:x>", Fn: fnEval})
}

// stringify is $string's conversion of a value to a string (used by the
// & operator too): strings as they are, functions as "", a number to 15
// significant digits in JavaScript's notation ($string(0.1+0.2) is "0.3";
// Infinity and NaN are error D3001), anything else as compact JSON with
// the same rule for the numbers inside (an infinite one is D1001).
func stringify(v any) (string, error) {
	return stringifyValue(v, false)
}

func stringifyValue(v any, pretty bool) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", libError("D3001", x)
		}
		return jsNumberString(toPrecision15(x)), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case nil:
		return "null", nil
	case undefinedType:
		return "", nil
	}
	if isFunction(v) {
		return "", nil
	}
	e := jsonEncoder{buf: make([]byte, 0, 64), indent: pretty, stringify: true}
	if err := e.encode(v, 0); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

func fnString(_ *Call, args []any) (any, error) {
	if IsUndefined(args[0]) {
		return Undefined, nil
	}
	pretty := len(args) > 1 && args[1] == true
	return stringifyValue(args[0], pretty)
}

// str returns args[i] as a string; ok is false when it is absent.
func libStrArg(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(string)
	return s, ok
}

// libNumArg returns args[i] as a number; ok is false when it is absent.
func libNumArg(args []any, i int) (float64, bool) {
	if i >= len(args) {
		return 0, false
	}
	f, ok := args[i].(float64)
	return f, ok
}

// libIsASCII reports whether s is all ASCII, where a byte is a character.
func libIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// $length counts characters (code points), as jsonata-js does by
// iterating the string, not UTF-16 code units.
func fnLength(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	if libIsASCII(s) {
		return float64(len(s)), nil
	}
	return float64(charCount(s)), nil
}

// jsSliceIndex is how Array#slice reads an index into a list of n:
// truncated toward zero, negative counting from the end, clamped.
func jsSliceIndex(x float64, n int) int {
	if math.IsNaN(x) {
		return 0
	}
	x = math.Trunc(x)
	if x < 0 {
		x += float64(n)
		if x < 0 {
			return 0
		}
		return int(x)
	}
	if x > float64(n) {
		return n
	}
	return int(x)
}

// libSubstring is $substring over characters (code points).
func libSubstring(s string, start float64, length float64, hasLength bool) string {
	ascii := libIsASCII(s)
	n := len(s)
	if !ascii {
		n = charCount(s)
	}
	if float64(n)+start < 0 {
		start = 0
	}
	end := float64(n)
	if hasLength {
		if length <= 0 || math.IsNaN(length) {
			return ""
		}
		if start >= 0 {
			end = start + length
		} else {
			end = float64(n) + start + length
		}
	}
	from, to := jsSliceIndex(start, n), jsSliceIndex(end, n)
	if from >= to {
		return ""
	}
	if ascii {
		return s[from:to]
	}
	// Find the byte offsets of characters from and to.
	bfrom, bto := len(s), len(s)
	i := 0
	for b := 0; b < len(s); b += charLen(s, b) {
		if i == from {
			bfrom = b
		}
		if i == to {
			bto = b
			break
		}
		i++
	}
	return s[bfrom:bto]
}

func fnSubstring(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	start, _ := libNumArg(args, 1)
	length, hasLength := libNumArg(args, 2)
	return libSubstring(s, start, length, hasLength), nil
}

func fnSubstringBefore(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	chars, _ := libStrArg(args, 1)
	if i := strings.Index(s, chars); i >= 0 {
		return s[:i], nil
	}
	return s, nil
}

func fnSubstringAfter(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	chars, _ := libStrArg(args, 1)
	if i := strings.Index(s, chars); i >= 0 {
		return s[i+len(chars):], nil
	}
	return s, nil
}

// Upper and lower case use Unicode's full mappings as JavaScript does
// ("ß" -> "SS", a final "Σ" -> "ς"), which the strings package's simple
// mappings do not; ASCII takes the fast path. A Caser keeps state, so each
// call makes its own.
func fnUppercase(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	if libIsASCII(s) {
		return strings.ToUpper(s), nil
	}
	return cases.Upper(language.Und).String(s), nil
}

func fnLowercase(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	if libIsASCII(s) {
		return strings.ToLower(s), nil
	}
	return cases.Lower(language.Und).String(s), nil
}

// $trim turns every run of spaces, tabs, CRs and LFs into one space, then
// drops a space at either end.
func fnTrim(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
		default:
			b.WriteByte(c)
			inSpace = false
		}
	}
	out := b.String()
	out = strings.TrimPrefix(out, " ")
	out = strings.TrimSuffix(out, " ")
	return out, nil
}

// maxPad bounds the padding $pad makes: jsonata-js would build an array of
// that many (and fail past 2^32 with a RangeError); a width of 1e9 must not
// take the process's memory.
const maxPad = 1 << 26

func fnPad(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	width, _ := libNumArg(args, 1)
	char, ok := libStrArg(args, 2)
	if !ok || char == "" {
		char = " "
	}
	padLength := math.Abs(width) - float64(charCount(s))
	if !(padLength > 0) {
		return s, nil
	}
	if padLength != math.Trunc(padLength) || padLength > maxPad {
		return nil, errorf("D3000", "$pad: invalid padding length %s (width %s)", jsNumberString(padLength), jsNumberString(width))
	}
	n := int(padLength)
	var b strings.Builder
	b.Grow(n * len(char))
	for count := 0; count < n; {
		for i := 0; i < len(char) && count < n; count++ {
			size := charLen(char, i)
			b.WriteString(char[i : i+size])
			i += size
		}
	}
	if width > 0 {
		return s + b.String(), nil
	}
	return b.String() + s, nil
}

func fnJoin(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	sep, _ := libStrArg(args, 1)
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(sep)
		}
		s, _ := it.(string)
		b.WriteString(s)
	}
	return b.String(), nil
}

// $base64encode encodes the string's UTF-16 code units each cut to a byte
// (Buffer.from(str, 'binary')): Latin-1 text round-trips, other characters
// lose their high bits, as in jsonata-js.
func fnBase64Encode(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	raw := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		size := charLen(s, i)
		var r rune
		if sur, ok := wtf8Surrogate(s, i); ok {
			r = sur
		} else {
			r, _ = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if r > 0xffff {
			hi, lo := 0xd800+((r-0x10000)>>10), 0xdc00+((r-0x10000)&0x3ff)
			raw = append(raw, byte(hi), byte(lo))
			continue
		}
		raw = append(raw, byte(r))
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// base64Value is the 6-bit value of a base64 character (both the standard
// and the URL alphabet, as Node accepts), or -1.
func base64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}

// $base64decode decodes as Node's Buffer.from(str, 'base64') does: it skips
// characters outside the alphabet, stops at the first '=', and keeps what a
// partial last group holds; each byte becomes the character of that code
// (Latin-1).
func fnBase64Decode(_ *Call, args []any) (any, error) {
	s, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	var out strings.Builder
	acc, bits := 0, 0
	for i := 0; i < len(s) && s[i] != '='; i++ {
		v := base64Value(s[i])
		if v < 0 {
			continue
		}
		acc = acc<<6 | v
		bits += 6
		if bits >= 8 {
			bits -= 8
			out.WriteRune(rune(acc >> bits & 0xff))
		}
	}
	return out.String(), nil
}

// libURLFunc makes a URL function that raises D3140 naming itself.
func libURLFunc(name string, f func(string) (string, bool)) func(*Call, []any) (any, error) {
	return func(_ *Call, args []any) (any, error) {
		s, ok := libStrArg(args, 0)
		if !ok {
			return Undefined, nil
		}
		out, ok := f(s)
		if !ok {
			return nil, &Error{Code: "D3140", Token: name, Value: s, Message: fillLibMessage(messages["D3140"], map[string]string{"functionName": name, "value": jsonForMessage(s)})}
		}
		return out, nil
	}
}

const libUpperHex = "0123456789ABCDEF"

// uriUnreserved are the characters encodeURIComponent keeps; uriReserved
// the further ones encodeURI keeps and decodeURI leaves escaped.
const (
	uriUnreserved = "-_.!~*'()"
	uriReserved   = ";/?:@&=+$,#"
)

func libIsAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func encodeURIWith(s string, keep string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf && (libIsAlnum(c) || strings.IndexByte(keep, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		size := 1
		if c >= utf8.RuneSelf {
			// Text that is not UTF-8 (a lone surrogate in WTF-8 form) is
			// what makes JavaScript's encodeURI throw a URIError.
			var r rune
			if r, size = utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && size == 1 {
				return "", false
			}
		}
		for _, c := range []byte(s[i : i+size]) {
			b.WriteByte('%')
			b.WriteByte(libUpperHex[c>>4])
			b.WriteByte(libUpperHex[c&0xf])
		}
		i += size - 1
	}
	return b.String(), true
}

func encodeURIComponent(s string) (string, bool) { return encodeURIWith(s, uriUnreserved) }
func encodeURI(s string) (string, bool)          { return encodeURIWith(s, uriUnreserved+uriReserved) }

func libUnhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decodeURIWith decodes %XX escapes as UTF-8, leaving escapes of the
// characters in keep as they are; a malformed escape or byte sequence fails.
func decodeURIWith(s string, keep string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		c, ok := libEscapedByte(s, i)
		if !ok {
			return "", false
		}
		if c < utf8.RuneSelf {
			if strings.IndexByte(keep, c) >= 0 {
				b.WriteString(s[i : i+3])
			} else {
				b.WriteByte(c)
			}
			i += 3
			continue
		}
		// A multi-byte character: its bytes are all escaped.
		n := 0
		switch {
		case c&0xe0 == 0xc0:
			n = 2
		case c&0xf0 == 0xe0:
			n = 3
		case c&0xf8 == 0xf0:
			n = 4
		default:
			return "", false
		}
		var seq [4]byte
		for k := 0; k < n; k++ {
			bk, ok := libEscapedByte(s, i+3*k)
			if !ok {
				return "", false
			}
			seq[k] = bk
		}
		r, size := utf8.DecodeRune(seq[:n])
		if r == utf8.RuneError || size != n {
			return "", false
		}
		b.WriteRune(r)
		i += 3 * n
	}
	return b.String(), true
}

// libEscapedByte reads the %XX escape at s[i].
func libEscapedByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	h, l := libUnhex(s[i+1]), libUnhex(s[i+2])
	if h < 0 || l < 0 {
		return 0, false
	}
	return byte(h<<4 | l), true
}

func decodeURIComponent(s string) (string, bool) { return decodeURIWith(s, "") }
func decodeURI(s string) (string, bool)          { return decodeURIWith(s, uriReserved) }

// $eval compiles and evaluates its expression against the focus given, or
// the calling context's input. jsonata-js reports a syntax error as D3120
// and an error of the evaluation as D3121, the original's message in
// both; Call.Eval returns the original error.
func fnEval(c *Call, args []any) (any, error) {
	expr, ok := libStrArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	input := c.Input
	if len(args) > 1 && !IsUndefined(args[1]) {
		input = args[1]
	}
	if c.Eval == nil {
		return nil, errorf("D3121", "$eval is not available here")
	}
	v, err := c.Eval(expr, input)
	if err == nil {
		return v, nil
	}
	code := "D3121"
	msg := err.Error()
	if e, ok := err.(*Error); ok {
		msg = e.Message
		if strings.HasPrefix(e.Code, "S0") {
			code = "D3120"
		}
	}
	return nil, &Error{Code: code, Value: msg, Message: fillLibMessage(messages[code], map[string]string{"value": jsonForMessage(msg)})}
}
