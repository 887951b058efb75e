package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// registerRegexFunctions adds $match, $replace, $split and $contains: the
// functions whose pattern is a string, a regex, or any function that
// behaves as one (a matcher: called with the string, it returns
// {match, start, end, groups, next} or undefined, and next() the
// following match).
func registerRegexFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "match", Signature: "<s-f<s:o>n?:a<o>>", Fn: fnMatch})
	add(&Builtin{Name: "contains", Signature: "<s-(sf):b>", Fn: fnContains})
	add(&Builtin{Name: "replace", Signature: "<s-(sf)(sf)n?:s>", Fn: fnReplace})
	add(&Builtin{Name: "split", Signature: "<s-(sf)n?:a<s>>", Fn: fnSplit})
}

// fnContains is $contains(str, pattern).
func fnContains(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	switch p := args[1].(type) {
	case string:
		return strings.Contains(s, p), nil
	case *Regex:
		return p.find(s, 0) != nil, nil
	}
	res, err := rxCall(c, args[1], []any{s})
	if err != nil {
		return nil, err
	}
	if err := rxCheckMatch(res, "contains"); err != nil {
		return nil, err
	}
	return !IsUndefined(res), nil
}

// fnMatch is $match(str, pattern [, limit]): a sequence of {match, index,
// groups}.
func fnMatch(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	limit, hasLimit := args[2].(float64)
	if hasLimit && limit < 0 {
		return nil, newError("D3040", 0, "match", limit)
	}
	result := Seq{}
	if hasLimit && limit == 0 {
		return result, nil
	}
	m := rxMatchIter{c: c, name: "match", s: s}
	found, err := m.first(args[1])
	// jsonata-js asks for the next match after each one it keeps, limit
	// reached or not: a D1004 there is raised all the same
	for count := 0; err == nil && found && (!hasLimit || float64(count) < limit); count++ {
		o := NewObject(3)
		o.Set("match", m.text())
		o.Set("index", m.index())
		o.Set("groups", m.groups())
		result = append(result, o)
		found, err = m.advance()
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// fnReplace is $replace(str, pattern, replacement [, limit]).
func fnReplace(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	if p, ok := args[1].(string); ok && p == "" {
		return nil, newError("D3010", 0, "replace", p)
	}
	limit, hasLimit := args[3].(float64)
	if hasLimit && limit < 0 {
		return nil, newError("D3011", 0, "replace", limit)
	}
	if hasLimit && limit == 0 {
		return s, nil
	}
	within := func(count int) bool { return !hasLimit || float64(count) < limit }
	repl, replIsString := args[2].(string)

	if p, ok := args[1].(string); ok {
		// a string pattern is replaced by the replacement as it is
		if !replIsString {
			return nil, newError("D3012", 0, "replace", args[2])
		}
		var b strings.Builder
		pos := 0
		for count := 0; within(count); count++ {
			i := strings.Index(s[pos:], p)
			if i < 0 {
				break
			}
			b.WriteString(s[pos : pos+i])
			b.WriteString(repl)
			pos += i + len(p)
		}
		if pos == 0 {
			return s, nil
		}
		b.WriteString(s[pos:])
		return b.String(), nil
	}

	m := rxMatchIter{c: c, name: "replace", s: s}
	found, err := m.first(args[1])
	if err != nil {
		return nil, err
	}
	if !found {
		return s, nil
	}
	var b strings.Builder
	pos := 0
	for count := 0; found && within(count); count++ {
		start, after, err := m.replacedSpan()
		if err != nil {
			return nil, err
		}
		b.WriteString(rxSubstring(s, pos, start))
		if replIsString {
			m.expand(&b, repl)
		} else {
			with, err := rxCall(c, args[2], []any{m.object()})
			if err != nil {
				return nil, err
			}
			w, ok := with.(string)
			if !ok {
				return nil, newError("D3012", 0, "replace", with)
			}
			b.WriteString(w)
		}
		pos = after
		if found, err = m.advance(); err != nil {
			return nil, err
		}
	}
	b.WriteString(rxSubstring(s, pos, len(s)))
	return b.String(), nil
}

// fnSplit is $split(str, separator [, limit]).
func fnSplit(c *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	limit, hasLimit := args[2].(float64)
	if hasLimit && limit < 0 {
		return nil, newError("D3020", 0, "split", limit)
	}
	result := []any{}
	if hasLimit && limit == 0 {
		return result, nil
	}
	if sep, ok := args[1].(string); ok {
		return rxSplitString(s, sep, hasLimit, limit), nil
	}
	m := rxMatchIter{c: c, name: "split", s: s}
	found, err := m.first(args[1])
	if err != nil {
		return nil, err
	}
	if !found {
		return append(result, s), nil
	}
	start := 0
	count := 0
	for ; found && (!hasLimit || float64(count) < limit); count++ {
		from, end, err := m.span()
		if err != nil {
			return nil, err
		}
		result = append(result, rxSubstring(s, start, from))
		start = end
		if found, err = m.advance(); err != nil {
			return nil, err
		}
	}
	if !hasLimit || float64(count) < limit {
		result = append(result, rxSubstring(s, start, len(s)))
	}
	return result, nil
}

// rxSplitString is JavaScript's str.split(sep, limit). An empty separator
// splits into characters (a character outside the Basic Multilingual Plane
// stays whole, where JavaScript splits it into its two halves).
func rxSplitString(s, sep string, hasLimit bool, limit float64) []any {
	most := -1
	if hasLimit {
		// ToUint32(limit)
		n := math.Mod(math.Trunc(limit), 1<<32)
		if n < 1<<31 {
			most = int(n)
		}
	}
	if most == 0 {
		return []any{}
	}
	if sep == "" {
		result := make([]any, 0, rxCapFor(len(s), most))
		for i := 0; i < len(s) && len(result) != most; {
			_, w := utf8.DecodeRuneInString(s[i:])
			result = append(result, s[i:i+w])
			i += w
		}
		return result
	}
	result := make([]any, 0, rxCapFor(strings.Count(s, sep)+1, most))
	for len(result) != most {
		i := strings.Index(s, sep)
		if i < 0 {
			return append(result, s)
		}
		result = append(result, s[:i])
		s = s[i+len(sep):]
	}
	return result
}

// rxCapFor is n capped by most (-1: no cap).
func rxCapFor(n, most int) int {
	if most >= 0 && most < n {
		return most
	}
	return n
}

// rxSubstring is s[a:b] with JavaScript's rxSubstring clamping of byte offsets.
func rxSubstring(s string, a, b int) string {
	a = max(0, min(a, len(s)))
	b = max(0, min(b, len(s)))
	if a > b {
		a, b = b, a
	}
	return s[a:b]
}

// rxCall calls a function value: a regex directly, anything else
// through the evaluator.
func rxCall(c *Call, fn any, args []any) (any, error) {
	switch f := fn.(type) {
	case *Regex:
		return f.Apply(args)
	case *Builtin:
		if c == nil || c.Apply == nil {
			return f.Fn(c, args)
		}
	}
	if c == nil || c.Apply == nil {
		return nil, errorf("T1006", "attempted to invoke a non-function")
	}
	return c.Apply(fn, args)
}

// rxCheckMatch is jsonata-js's test of what a matcher returned: undefined
// (no match) or an object with a numeric start, a groups array or a next
// function.
func rxCheckMatch(res any, name string) error {
	if !jsTruthy(res) {
		return nil // JavaScript lets undefined, null, false, 0 and "" through
	}
	if o, ok := res.(*Object); ok {
		if v, _ := o.Get("start"); rxIsNumber(v) {
			return nil
		}
		if v, _ := o.Get("groups"); isArray(v) {
			return nil
		}
		if v, _ := o.Get("next"); isFunction(v) {
			return nil
		}
	}
	return newError("T1010", 0, name, nil)
}

func rxIsNumber(v any) bool { _, ok := v.(float64); return ok }

// rxMatchIter walks the matches of a pattern over s: a regex's directly in
// byte offsets, a matcher function's through its match objects (whose
// start and end are UTF-16 indexes).
type rxMatchIter struct {
	c    *Call
	name string // the function, for T1010
	s    string

	re  *Regex
	loc []int // the regex's current match

	obj *Object // the matcher function's current match

	cur *rxUTF16Cursor // made when UTF-16 indexes are needed
}

// first finds the first match of pattern (a *Regex or a matcher function).
func (m *rxMatchIter) first(pattern any) (bool, error) {
	if r, ok := pattern.(*Regex); ok {
		m.re = r
		m.loc = r.find(m.s, 0)
		return m.loc != nil, nil
	}
	res, err := rxCall(m.c, pattern, []any{m.s})
	if err != nil {
		return false, err
	}
	return m.take(res)
}

// advance moves to the next match; a regex's next match may not be empty
// (D1004: it would never progress).
func (m *rxMatchIter) advance() (bool, error) {
	if m.re != nil {
		last := m.loc[1]
		if last >= len(m.s) {
			return false, nil
		}
		m.loc = m.re.find(m.s, last)
		if m.loc == nil {
			return false, nil
		}
		if m.loc[0] == m.loc[1] {
			return false, newError("D1004", 0, m.name, m.re.Pattern)
		}
		return true, nil
	}
	next, _ := m.obj.Get("next")
	if !isFunction(next) {
		return false, newError("T1010", 0, m.name, nil)
	}
	res, err := rxCall(m.c, next, nil)
	if err != nil {
		return false, err
	}
	return m.take(res)
}

// take makes res, what a matcher function returned, the current match.
func (m *rxMatchIter) take(res any) (bool, error) {
	if err := rxCheckMatch(res, m.name); err != nil {
		return false, err
	}
	if IsUndefined(res) {
		return false, nil
	}
	o, ok := res.(*Object)
	if !ok {
		// null, false, 0 or "": jsonata-js fails reading its members
		return false, newError("T1010", 0, m.name, nil)
	}
	m.obj = o
	return true, nil
}

func (m *rxMatchIter) member(k string) any {
	if v, ok := m.obj.Get(k); ok {
		return v
	}
	return Undefined
}

// text is the matched text.
func (m *rxMatchIter) text() any {
	if m.re != nil {
		return m.s[m.loc[0]:m.loc[1]]
	}
	return m.member("match")
}

// index is the start of the match (in UTF-16 code units).
func (m *rxMatchIter) index() any {
	if m.re != nil {
		return float64(m.cursor().index(m.loc[0]))
	}
	return m.member("start")
}

// groups is the captured groups.
func (m *rxMatchIter) groups() any {
	if m.re != nil {
		return rxGroups(m.s, m.loc)
	}
	return m.member("groups")
}

// object is the match object handed to a replacement function.
func (m *rxMatchIter) object() *Object {
	if m.re != nil {
		return m.re.matchObject(m.s, m.loc, *m.cursor())
	}
	return m.obj
}

func (m *rxMatchIter) cursor() *rxUTF16Cursor {
	if m.cur == nil {
		m.cur = newRxUTF16Cursor(m.s)
	}
	return m.cur
}

// span is the byte offsets of the match's start and end (as $split reads
// them).
func (m *rxMatchIter) span() (start, end int, err error) {
	if m.re != nil {
		return m.loc[0], m.loc[1], nil
	}
	s16, ok1 := m.member("start").(float64)
	e16, ok2 := m.member("end").(float64)
	if !ok1 || !ok2 {
		return 0, 0, newError("T1010", 0, m.name, nil)
	}
	return rxUTF16ToByte(m.s, s16), rxUTF16ToByte(m.s, e16), nil
}

// replacedSpan is the byte offsets of the match's start and of its start
// plus the length of its text (as $replace reads them).
func (m *rxMatchIter) replacedSpan() (start, after int, err error) {
	if m.re != nil {
		return m.loc[0], m.loc[1], nil
	}
	s16, ok1 := m.member("start").(float64)
	text, ok2 := m.member("match").(string)
	if !ok1 || !ok2 {
		return 0, 0, newError("T1010", 0, m.name, nil)
	}
	return rxUTF16ToByte(m.s, s16), rxUTF16ToByte(m.s, s16+float64(rxUTF16Len(text))), nil
}

// rxUTF16ToByte converts a UTF-16 index given as a number to a byte offset
// of s, clamped to the string as JavaScript's rxSubstring clamps.
func rxUTF16ToByte(s string, u float64) int {
	if !(u > 0) {
		return 0
	}
	if u >= float64(len(s))*2 {
		return len(s)
	}
	b := rxByteOffset(s, int(u))
	if b < 0 {
		return len(s)
	}
	return b
}

// rxUTF16Len is the length of s in UTF-16 code units.
func rxUTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// expand writes jsonata's substitution of the current match into repl:
// $$ is $, $0 the match, $N the group N (as many digits as the number of
// groups has, fewer when that names no group; nothing for a group that
// did not take part), and a $ before anything else is itself.
func (m *rxMatchIter) expand(b *strings.Builder, repl string) {
	var ngroups int
	var groups []any
	if m.re != nil {
		ngroups = len(m.loc)/2 - 1
	} else {
		groups, _ = m.member("groups").([]any)
		if sq, ok := m.member("groups").(Seq); ok {
			groups = sq
		}
		ngroups = len(groups)
	}
	group := func(i int) {
		if i < 1 || i > ngroups {
			return
		}
		if m.re != nil {
			if m.loc[2*i] >= 0 {
				b.WriteString(m.s[m.loc[2*i]:m.loc[2*i+1]])
			}
			return
		}
		switch g := groups[i-1].(type) {
		case string:
			b.WriteString(g)
		case float64:
			if t, err := stringify(g); err == nil {
				b.WriteString(t)
			}
		}
	}
	maxDigits := 1
	if ngroups > 0 {
		// as jsonata-js computes it (floating point included)
		maxDigits = int(math.Floor(math.Log(float64(ngroups))*math.Log10E)) + 1
	}
	pos := 0
	for pos < len(repl) {
		d := strings.IndexByte(repl[pos:], '$')
		if d < 0 {
			break
		}
		b.WriteString(repl[pos : pos+d])
		pos += d + 1
		switch {
		case pos < len(repl) && repl[pos] == '$':
			b.WriteByte('$')
			pos++
		case pos < len(repl) && repl[pos] == '0':
			if t, ok := m.text().(string); ok {
				b.WriteString(t)
			}
			pos++
		default:
			n, used, ok := rxParseInt(repl[pos:], maxDigits)
			if ok && maxDigits > 1 && n > ngroups {
				n, used, ok = rxParseInt(repl[pos:], maxDigits-1)
			}
			if !ok {
				b.WriteByte('$')
				continue
			}
			group(n)
			pos += used
		}
	}
	b.WriteString(repl[pos:])
}

// rxParseInt is JavaScript's parseInt(s.rxSubstring(0, units), 10) on the
// first units UTF-16 code units of s; used is the length of the number's
// decimal text (what jsonata-js skips after the $).
func rxParseInt(s string, units int) (n int, used int, ok bool) {
	// take the prefix of at most units code units
	end, u := 0, 0
	for end < len(s) && u < units {
		r, w := utf8.DecodeRuneInString(s[end:])
		end += w
		u++
		if r >= 0x10000 {
			u++
		}
	}
	v := jsParseInt(s[:end])
	if math.IsNaN(v) {
		return 0, 0, false
	}
	// units is at most the digits of the group count, so v is a small
	// integer; its decimal text (a sign only when not 0) is what was used
	n = int(v)
	return n, len(strconv.Itoa(n)), true
}
