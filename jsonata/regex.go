package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Regex is a compiled /pattern/flags literal.
//
// The engine is Go's regexp (RE2): a pattern written in JavaScript's syntax
// (the non-Unicode mode with Annex B, which is what jsonata-js hands to
// new RegExp) is translated to RE2 syntax, so matching takes time linear in
// the text: no pattern can backtrack catastrophically. What RE2 cannot do is
// refused when the literal is compiled (S0303): lookahead (?= (?!,
// lookbehind (?<= (?<!, and backreferences \1 \k<name>. Patterns over
// maxPatternLen characters and repetition counts over 1000 are refused too.
//
// The translation keeps JavaScript's meaning: . stops at \n \r \u2028
// \u2029, \s is JavaScript's white space, [] matches nothing and [^] any
// character, \d \w \b are ASCII, ^ and $ without the m flag are the ends of
// the text, identity escapes (\a is a, \8 is 8), legacy octal escapes, \cX,
// \xHH, \uHHHH and braces that are not a quantifier are literal. The flags
// are i and m. Indexes (start, end, index) count UTF-16 code units as in
// JavaScript. Where it differs: a character outside the Basic Multilingual
// Plane is one character to . and to classes (JavaScript without the u flag
// sees two halves); under m, ^ and $ see only \n as a line end (JavaScript
// also \r, \u2028, \u2029); under i, case folding is Unicode's simple
// folding, so /s/i also matches ſ and /k/i the Kelvin sign (JavaScript's
// non-Unicode folding does not); a group inside a repetition that took no
// part in the last iteration keeps what it captured in an earlier one
// (/(a(b)?)+/ on "aba": groups ["a", "b"], JavaScript ["a", undefined]).
//
// A Regex is immutable once compiled and safe for concurrent use.
type Regex struct {
	Pattern, Flags string

	re *regexp.Regexp
	// ctx finds the first match at or after a position inside the text
	// while seeing the character before it: \A(?s:.)(?s:.)*?(X). It is
	// set only when X looks behind its start (^, \b, \B): other patterns
	// are simply run on the rest of the text.
	ctx *regexp.Regexp
}

// maxPatternLen bounds the size of a pattern (in bytes): RE2 programs grow
// with the pattern, and no sensible expression needs a larger one.
const maxPatternLen = 16 << 10

// compileRegex compiles a regular expression literal's pattern and flags.
// A pattern RE2 cannot run, or that JavaScript would refuse, is an S0303
// error whose Value is "/pattern/flags: why"; the parser sets its Position.
func compileRegex(pattern, flags string) (*Regex, error) {
	bad := func(why string) error {
		return newError("S0303", 0, "", "/"+pattern+"/"+flags+": "+why)
	}
	if pattern == "" {
		return nil, newError("S0301", 0, "", nil)
	}
	if len(pattern) > maxPatternLen {
		return nil, bad("longer than " + strconv.Itoa(maxPatternLen) + " bytes")
	}
	var icase, multi bool
	for _, f := range flags {
		switch {
		case f == 'i' && !icase:
			icase = true
		case f == 'm' && !multi:
			multi = true
		default:
			return nil, bad("invalid flags " + strconv.Quote(flags) + " (i and m, once each)")
		}
	}
	t := rxTranslator{src: pattern}
	t.scanGroups()
	if icase {
		t.out.WriteString("(?i)")
	}
	if multi {
		t.out.WriteString("(?m)")
	}
	body := t.out.Len()
	if err := t.disjunction(0); err != "" {
		return nil, bad(err)
	}
	goPattern := t.out.String()
	re, err := regexp.Compile(goPattern)
	if err != nil {
		return nil, bad(rxGoError(err))
	}
	r := &Regex{Pattern: pattern, Flags: flags, re: re}
	if t.looksBehind {
		r.ctx, err = regexp.Compile(goPattern[:body] + `\A(?s:.)(?s:.)*?(` + goPattern[body:] + `)`)
		if err != nil {
			return nil, bad(rxGoError(err))
		}
	}
	return r, nil
}

// rxGoError is the reason in a regexp compile error, without Go's prefix.
func rxGoError(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// Arity makes a Regex a Function: jsonata-js turns a regex literal into a
// function of (string, fromIndex), which is what $type, signatures ('f')
// and higher-order functions see.
func (r *Regex) Arity() int { return 2 }

// String is the literal.
func (r *Regex) String() string { return "/" + r.Pattern + "/" + r.Flags }

// Apply calls the regex as a function, as /re/(str), str ~> /re/ and
// higher-order functions do: args are (str, fromIndex). It returns Exec's
// match object, or Undefined when there is no match. A str that is not a
// string is converted as JavaScript converts it (undefined, null, true,
// numbers); arrays, objects and functions match nothing.
func (r *Regex) Apply(args []any) (any, error) {
	var s string
	var arg any = Undefined
	if len(args) > 0 {
		arg = args[0]
	}
	switch v := arg.(type) {
	case string:
		s = v
	case undefinedType:
		s = "undefined"
	case nil:
		s = "null"
	case bool:
		s = strconv.FormatBool(v)
	case float64:
		var err error
		if s, err = stringify(v); err != nil {
			return Undefined, nil
		}
	default:
		return Undefined, nil
	}
	from := 0
	if len(args) > 1 {
		if f, ok := args[1].(float64); ok && f > 0 && !math.IsNaN(f) {
			// JavaScript's lastIndex is ToLength(fromIndex || 0)
			from = int(math.Min(math.Trunc(f), math.MaxInt32))
		}
	}
	if m := r.Exec(s, from); m != nil {
		return m, nil
	}
	return Undefined, nil
}

// Exec is what jsonata-js's closure of a regex literal does: the first
// match in s at or after the UTF-16 index from, as the object
//
//	{match: string, start: number, end: number, groups: [string…], next: function}
//
// (start and end are UTF-16 indexes; a group that took no part in the match
// is Undefined in groups). next is a *Builtin of no arguments returning the
// following match, Undefined after the last one, or a D1004 error when the
// following match is empty (it would never progress). Exec returns nil when
// there is no match.
func (r *Regex) Exec(s string, from int) *Object {
	pos := rxByteOffset(s, from)
	if pos < 0 {
		return nil
	}
	loc := r.find(s, pos)
	if loc == nil {
		return nil
	}
	return r.matchObject(s, loc, *newRxUTF16Cursor(s))
}

// matchObject builds Exec's object for the match loc of s. cur is a copy:
// next keeps its own, at the end of this match, so that match objects share
// nothing mutable and converting the indexes of successive matches costs
// what lies between them.
func (r *Regex) matchObject(s string, loc []int, cur rxUTF16Cursor) *Object {
	start := cur.index(loc[0])
	end := cur.index(loc[1])
	o := NewObject(5)
	o.Set("match", s[loc[0]:loc[1]])
	o.Set("start", float64(start))
	o.Set("end", float64(end))
	o.Set("groups", rxGroups(s, loc))
	last := loc[1]
	o.Set("next", &Builtin{Name: "next", Signature: "<:o>", Fn: func(*Call, []any) (any, error) {
		if last >= len(s) {
			return Undefined, nil
		}
		nl := r.find(s, last)
		if nl == nil {
			return Undefined, nil
		}
		if nl[0] == nl[1] {
			return nil, newError("D1004", 0, "", r.Pattern)
		}
		return r.matchObject(s, nl, cur), nil
	}})
	return o
}

// rxGroups is the captured groups of the match loc of s.
func rxGroups(s string, loc []int) []any {
	groups := make([]any, 0, len(loc)/2-1)
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups = append(groups, Undefined)
		} else {
			groups = append(groups, s[loc[i]:loc[i+1]])
		}
	}
	return groups
}

// find returns the submatch byte offsets of the first match of r in s
// starting at or after the byte offset pos, or nil. The offsets are into s.
func (r *Regex) find(s string, pos int) []int {
	if pos > len(s) {
		return nil
	}
	if pos == 0 {
		return r.re.FindStringSubmatchIndex(s)
	}
	if r.ctx == nil {
		loc := r.re.FindStringSubmatchIndex(s[pos:])
		for i := range loc {
			if loc[i] >= 0 {
				loc[i] += pos
			}
		}
		return loc
	}
	// run ctx from the character before pos: it consumes that character
	// so that ^, \b and \B at pos see it, and group 1 is the match.
	_, w := utf8.DecodeLastRuneInString(s[:pos])
	base := pos - w
	loc := r.ctx.FindStringSubmatchIndex(s[base:])
	if loc == nil {
		return nil
	}
	loc = loc[2:]
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += base
		}
	}
	return loc
}

// rxUTF16Cursor converts byte offsets of a string into UTF-16 indexes,
// cheaply when the offsets asked for grow (as successive matches do).
type rxUTF16Cursor struct {
	s     string
	ascii bool
	b, u  int // byte offset b is UTF-16 index u
}

func newRxUTF16Cursor(s string) *rxUTF16Cursor {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	return &rxUTF16Cursor{s: s, ascii: ascii}
}

// index is the UTF-16 index of byte offset b (a rune boundary).
func (c *rxUTF16Cursor) index(b int) int {
	if c.ascii {
		return b
	}
	if b < c.b {
		c.b, c.u = 0, 0
	}
	for c.b < b {
		r, w := utf8.DecodeRuneInString(c.s[c.b:])
		c.b += w
		c.u++
		if r >= 0x10000 {
			c.u++
		}
	}
	return c.u
}

// rxByteOffset is the byte offset of UTF-16 index u in s: len(s) for the end,
// the next rune boundary inside a surrogate pair, -1 past the end.
func rxByteOffset(s string, u int) int {
	if u <= 0 {
		return 0
	}
	n := 0
	for i, r := range s {
		if n >= u {
			return i
		}
		n++
		if r >= 0x10000 {
			n++
		}
	}
	if n >= u {
		return len(s)
	}
	return -1
}

// rxTranslator rewrites a JavaScript pattern as an RE2 pattern.
type rxTranslator struct {
	src         string
	i           int
	out         strings.Builder
	groups      int  // the capturing groups of the whole pattern
	named       bool // whether it has a named group (\k is then a backreference)
	looksBehind bool // whether it has ^, \b or \B
	depth       int
}

// js whitespace (\s) as RE2 class items.
const rxJSSpace = `\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}`

// rxJSNotSpace is the complement of rxJSSpace as class items (for \S in a class).
const rxJSNotSpace = `\x00-\x08\x0E-\x1F\x21-\x{9F}\x{A1}-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}`

// rxLineChar is JavaScript's . : anything but a line terminator.
const rxLineChar = `[^\n\r\x{2028}\x{2029}]`

// scanGroups counts the capturing groups and notes named ones, which
// decides whether \N and \k are backreferences (as JavaScript does it, over
// the whole pattern before parsing).
func (t *rxTranslator) scanGroups() {
	s := t.src
	inClass := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(':
			if i+1 < len(s) && s[i+1] == '?' {
				if i+2 < len(s) && s[i+2] == '<' && i+3 < len(s) && s[i+3] != '=' && s[i+3] != '!' {
					t.groups++
					t.named = true
				}
			} else {
				t.groups++
			}
		}
	}
}

func (t *rxTranslator) more() bool { return t.i < len(t.src) }

func (t *rxTranslator) peek() byte {
	if t.i < len(t.src) {
		return t.src[t.i]
	}
	return 0
}

// disjunction translates alternatives up to ')' (inside a group) or the
// end. It returns why the pattern is refused, or "".
func (t *rxTranslator) disjunction(depth int) string {
	if depth > 500 {
		return "groups nested too deeply"
	}
	canRepeat := false
	for t.more() {
		c := t.src[t.i]
		switch c {
		case '|':
			t.i++
			t.out.WriteByte('|')
			canRepeat = false
			continue
		case ')':
			if depth == 0 {
				return "unmatched ')'"
			}
			return ""
		case '*', '+', '?', '{':
			if c == '{' && !t.isBraceQuantifier() {
				t.i++
				t.out.WriteString(`\{`)
				canRepeat = true
				continue
			}
			if !canRepeat {
				return "nothing to repeat at " + strconv.Itoa(t.i)
			}
			if err := t.quantifier(); err != "" {
				return err
			}
			canRepeat = false
			continue
		case '^':
			t.i++
			t.out.WriteByte('^')
			t.looksBehind = true
			canRepeat = false
			continue
		case '$':
			t.i++
			t.out.WriteByte('$')
			canRepeat = false
			continue
		case '.':
			t.i++
			t.out.WriteString(rxLineChar)
		case '[':
			if err := t.class(); err != "" {
				return err
			}
		case '(':
			if err := t.group(depth); err != "" {
				return err
			}
		case '\\':
			assertion, err := t.atomEscape()
			if err != "" {
				return err
			}
			if assertion {
				canRepeat = false
				continue
			}
		default:
			r, w := utf8.DecodeRuneInString(t.src[t.i:])
			t.i += w
			rxWriteLiteral(&t.out, r)
		}
		canRepeat = true
	}
	return ""
}

// isBraceQuantifier reports whether the '{' at t.i starts {n}, {n,} or {n,m}.
func (t *rxTranslator) isBraceQuantifier() bool {
	_, _, _, ok := t.braces()
	return ok
}

// braces parses {n}, {n,} or {n,m} at t.i: min, max (-1: none), its length.
func (t *rxTranslator) braces() (lo, hi, n int, ok bool) {
	s := t.src[t.i:]
	j := 1
	num := func() (int, bool) {
		k := j
		v := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if v < 1e8 {
				v = v*10 + int(s[j]-'0')
			}
			j++
		}
		return v, j > k
	}
	lo, okLo := num()
	if !okLo {
		return 0, 0, 0, false
	}
	hi = lo
	if j < len(s) && s[j] == ',' {
		j++
		var okHi bool
		if hi, okHi = num(); !okHi {
			hi = -1
		}
	}
	if j >= len(s) || s[j] != '}' {
		return 0, 0, 0, false
	}
	return lo, hi, j + 1, true
}

// quantifier translates the quantifier at t.i (and a lazy '?').
func (t *rxTranslator) quantifier() string {
	switch c := t.src[t.i]; c {
	case '*', '+', '?':
		t.i++
		t.out.WriteByte(c)
	default:
		lo, hi, n, _ := t.braces()
		if hi >= 0 && hi < lo {
			return "numbers out of order in {} quantifier"
		}
		if lo > 1000 || hi > 1000 {
			return "repetition count over 1000 (RE2's limit)"
		}
		t.out.WriteString(t.src[t.i : t.i+n])
		t.i += n
	}
	if t.peek() == '?' {
		t.i++
		t.out.WriteByte('?')
	}
	return ""
}

// group translates a group at t.i: ( (?: (?<name>.
func (t *rxTranslator) group(depth int) string {
	start := t.i
	t.i++
	if t.peek() == '?' {
		rest := t.src[t.i+1:]
		switch {
		case strings.HasPrefix(rest, ":"):
			t.i += 2
			t.out.WriteString("(?:")
		case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
			return "lookahead (?" + rest[:1] + " is not supported (RE2)"
		case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
			return "lookbehind (?" + rest[:2] + " is not supported (RE2)"
		case strings.HasPrefix(rest, "<"):
			end := strings.IndexByte(rest, '>')
			if end < 2 || !rxValidGroupName(rest[1:end]) {
				return "invalid capture group name at " + strconv.Itoa(start)
			}
			// the name does not matter: groups are reported by number
			t.i += 1 + end + 1
			t.out.WriteByte('(')
		default:
			return "invalid group at " + strconv.Itoa(start)
		}
	} else {
		t.out.WriteByte('(')
	}
	if err := t.disjunction(depth + 1); err != "" {
		return err
	}
	if t.peek() != ')' {
		return "unterminated group at " + strconv.Itoa(start)
	}
	t.i++
	t.out.WriteByte(')')
	return ""
}

// rxValidGroupName is a JavaScript identifier (letters, digits, _ and $, not
// starting with a digit).
func rxValidGroupName(name string) bool {
	for i, r := range name {
		ok := r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80
		if !ok && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// atomEscape translates the escape at t.i outside a class; assertion is
// true for \b and \B (which cannot be repeated).
func (t *rxTranslator) atomEscape() (assertion bool, err string) {
	if t.i+1 >= len(t.src) {
		return false, "\\ at end of pattern"
	}
	c := t.src[t.i+1]
	switch c {
	case 'b', 'B':
		t.i += 2
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
		t.looksBehind = true
		return true, ""
	case 'd', 'D', 'w', 'W':
		// ASCII in both JavaScript and RE2
		t.i += 2
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
		return false, ""
	case 's':
		t.i += 2
		t.out.WriteString("[" + rxJSSpace + "]")
		return false, ""
	case 'S':
		t.i += 2
		t.out.WriteString("[^" + rxJSSpace + "]")
		return false, ""
	case 'k':
		if t.named {
			return false, "backreference \\k is not supported (RE2)"
		}
	}
	if c >= '1' && c <= '9' {
		j := t.i + 1
		n := 0
		for j < len(t.src) && t.src[j] >= '0' && t.src[j] <= '9' && n <= t.groups {
			n = n*10 + int(t.src[j]-'0')
			j++
		}
		if n <= t.groups {
			return false, "backreference \\" + strconv.Itoa(n) + " is not supported (RE2)"
		}
	}
	r, err := t.characterEscape(false)
	if err != "" {
		return false, err
	}
	if r >= 0xD800 && r <= 0xDBFF && strings.HasPrefix(t.src[t.i:], `\u`) {
		// a surrogate pair written as two escapes is one character
		save := t.i
		if lo, _ := t.characterEscape(false); lo >= 0xDC00 && lo <= 0xDFFF {
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		} else {
			t.i = save
		}
	}
	rxWriteLiteral(&t.out, r)
	return false, ""
}

// characterEscape reads the escape at t.i that stands for one character
// (\n, \xHH, \uHHHH, \cX, \0, legacy octal, identity) and returns it; r is
// -1 for "\c" that is not a control escape, which stands for a backslash
// (t.i then points at the c). inClass allows \cDIGIT and \c_.
func (t *rxTranslator) characterEscape(inClass bool) (r rune, err string) {
	if t.i+1 >= len(t.src) {
		return 0, "\\ at end of pattern"
	}
	c := t.src[t.i+1]
	switch c {
	case 't':
		t.i += 2
		return '\t', ""
	case 'n':
		t.i += 2
		return '\n', ""
	case 'v':
		t.i += 2
		return '\v', ""
	case 'f':
		t.i += 2
		return '\f', ""
	case 'r':
		t.i += 2
		return '\r', ""
	case 'c':
		if t.i+2 < len(t.src) {
			x := t.src[t.i+2]
			if x >= 'a' && x <= 'z' || x >= 'A' && x <= 'Z' || inClass && (x >= '0' && x <= '9' || x == '_') {
				t.i += 3
				return rune(x) % 32, ""
			}
		}
		// Annex B: the backslash is itself and the c is read next
		t.i++
		return '\\', ""
	case 'x':
		if v, ok := rxHex(t.src[t.i+2:], 2); ok {
			t.i += 4
			return v, ""
		}
	case 'u':
		if v, ok := rxHex(t.src[t.i+2:], 4); ok {
			t.i += 6
			return v, ""
		}
	}
	if c >= '0' && c <= '7' {
		// legacy octal: up to three digits, at most \377
		j := t.i + 1
		v := rune(0)
		for k := 0; k < 3 && j < len(t.src) && t.src[j] >= '0' && t.src[j] <= '7'; k++ {
			nv := v*8 + rune(t.src[j]-'0')
			if nv > 0377 {
				break
			}
			v = nv
			j++
		}
		t.i = j
		return v, ""
	}
	// identity escape: the character itself
	r, w := utf8.DecodeRuneInString(t.src[t.i+1:])
	t.i += 1 + w
	return r, ""
}

// rxHex reads n hex digits at the start of s.
func rxHex(s string, n int) (rune, bool) {
	if len(s) < n {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:n], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// rxClassItem is a character or a set (\d, \s …) of a class.
type rxClassItem struct {
	r   rune
	set string // RE2 class items, when a set
}

// class translates a character class at t.i.
func (t *rxTranslator) class() string {
	start := t.i
	t.i++
	negated := false
	if t.peek() == '^' {
		negated = true
		t.i++
	}
	var items strings.Builder
	for {
		if !t.more() {
			return "unterminated character class at " + strconv.Itoa(start)
		}
		if t.peek() == ']' {
			t.i++
			break
		}
		a, err := t.classAtom()
		if err != "" {
			return err
		}
		if t.peek() == '-' && t.i+1 < len(t.src) && t.src[t.i+1] != ']' {
			t.i++
			b, err := t.classAtom()
			if err != "" {
				return err
			}
			if a.set == "" && b.set == "" {
				if a.r > b.r {
					return "range out of order in character class at " + strconv.Itoa(start)
				}
				rxWriteClassRune(&items, a.r)
				items.WriteByte('-')
				rxWriteClassRune(&items, b.r)
				continue
			}
			// Annex B: a range with a set at one end is the two and '-'
			rxWriteClassItem(&items, a)
			items.WriteString(`\-`)
			rxWriteClassItem(&items, b)
			continue
		}
		rxWriteClassItem(&items, a)
	}
	switch {
	case items.Len() == 0 && negated:
		t.out.WriteString(`[\x00-\x{10FFFF}]`)
	case items.Len() == 0:
		t.out.WriteString(`[^\x00-\x{10FFFF}]`)
	case negated:
		t.out.WriteString("[^" + items.String() + "]")
	default:
		t.out.WriteString("[" + items.String() + "]")
	}
	return ""
}

// classAtom reads one character or set inside a class.
func (t *rxTranslator) classAtom() (rxClassItem, string) {
	if t.peek() != '\\' {
		r, w := utf8.DecodeRuneInString(t.src[t.i:])
		t.i += w
		return rxClassItem{r: r}, ""
	}
	if t.i+1 >= len(t.src) {
		return rxClassItem{}, "\\ at end of pattern"
	}
	switch c := t.src[t.i+1]; c {
	case 'b':
		t.i += 2
		return rxClassItem{r: '\b'}, ""
	case 'd', 'D', 'w', 'W':
		t.i += 2
		return rxClassItem{set: `\` + string(c)}, ""
	case 's':
		t.i += 2
		return rxClassItem{set: rxJSSpace}, ""
	case 'S':
		t.i += 2
		return rxClassItem{set: rxJSNotSpace}, ""
	case '8', '9':
		t.i += 2
		return rxClassItem{r: rune(c)}, ""
	}
	r, err := t.characterEscape(true)
	if err != "" {
		return rxClassItem{}, err
	}
	if r >= 0xD800 && r <= 0xDBFF && strings.HasPrefix(t.src[t.i:], `\u`) {
		save := t.i
		if lo, _ := t.characterEscape(true); lo >= 0xDC00 && lo <= 0xDFFF {
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		} else {
			t.i = save
		}
	}
	return rxClassItem{r: r}, ""
}

func rxWriteClassItem(b *strings.Builder, it rxClassItem) {
	if it.set != "" {
		b.WriteString(it.set)
		return
	}
	rxWriteClassRune(b, it.r)
}

// rxWriteClassRune writes r for use inside an RE2 class.
func rxWriteClassRune(b *strings.Builder, r rune) {
	if r < 0x80 && rxIsWordByte(byte(r)) {
		b.WriteRune(r)
		return
	}
	b.WriteString(`\x{`)
	b.WriteString(strconv.FormatInt(int64(r), 16))
	b.WriteByte('}')
}

// rxWriteLiteral writes r as an RE2 atom matching just r.
func rxWriteLiteral(b *strings.Builder, r rune) {
	switch {
	case r < 0x80 && rxIsWordByte(byte(r)):
		b.WriteRune(r)
	case r < 0x80 && r > ' ' && r != 0x7F:
		// RE2 takes any escaped ASCII punctuation as itself
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		// surrogates (lone halves in the pattern) match nothing in UTF-8 text
		b.WriteString(`\x{`)
		b.WriteString(strconv.FormatInt(int64(r), 16))
		b.WriteByte('}')
	}
}

func rxIsWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
