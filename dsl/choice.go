package dsl

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// ChoiceRule is a compiled Choice rule: a boolean expression (And, Or, Not)
// or a data test (Variable plus one comparison operator). Operands are
// parsed once at load time: literal numbers and timestamps are pre-parsed,
// StringMatches patterns are split into literal segments.
type ChoiceRule struct {
	// Next is the state a top-level rule transitions to when it matches.
	Next string
	// Assign is a top-level rule's variables, set when it matches (the
	// state's own Assign then does not apply); nil without one.
	Assign *Assign
	// Condition is a JSONata rule's test; Output its output when it
	// matches (nil: the state's input).
	Condition *QueryTemplate
	Output    *QueryTemplate

	kind  ruleKind
	rules []*ChoiceRule // And, Or: the operands; Not: one rule

	variable *Path // data tests
	op       *choiceOp
	operand  *Path // the …Path forms

	// Literal operands, by the operator's family.
	str     string
	num     number
	boolean bool
	ts      time.Time
	pattern *globPattern
}

type ruleKind uint8

const (
	ruleInvalid ruleKind = iota // a rule that did not compile; never matches
	ruleAnd
	ruleOr
	ruleNot
	ruleTest
)

// family is what a comparison operator compares.
type family uint8

const (
	famString family = iota
	famNumeric
	famBoolean
	famTimestamp
	famMatches
	famIsNull
	famIsPresent
	famIsNumeric
	famIsString
	famIsBoolean
	famIsTimestamp
)

// relation is the comparison an ordering operator makes.
type relation uint8

const (
	relEq relation = iota
	relLt
	relGt
	relLe
	relGe
)

func (r relation) holds(cmp int) bool {
	switch r {
	case relEq:
		return cmp == 0
	case relLt:
		return cmp < 0
	case relGt:
		return cmp > 0
	case relLe:
		return cmp <= 0
	default:
		return cmp >= 0
	}
}

type choiceOp struct {
	name   string
	family family
	rel    relation
	isPath bool // the operand is a path (…Path form)
}

// choiceOps holds every comparison operator of a data-test rule.
var choiceOps = func() map[string]*choiceOp {
	m := map[string]*choiceOp{}
	rels := []struct {
		suffix string
		rel    relation
	}{{"Equals", relEq}, {"LessThan", relLt}, {"GreaterThan", relGt}, {"LessThanEquals", relLe}, {"GreaterThanEquals", relGe}}
	for _, f := range []struct {
		prefix string
		fam    family
	}{{"String", famString}, {"Numeric", famNumeric}, {"Timestamp", famTimestamp}} {
		for _, r := range rels {
			name := f.prefix + r.suffix
			m[name] = &choiceOp{name: name, family: f.fam, rel: r.rel}
			m[name+"Path"] = &choiceOp{name: name + "Path", family: f.fam, rel: r.rel, isPath: true}
		}
	}
	m["BooleanEquals"] = &choiceOp{name: "BooleanEquals", family: famBoolean}
	m["BooleanEqualsPath"] = &choiceOp{name: "BooleanEqualsPath", family: famBoolean, isPath: true}
	m["StringMatches"] = &choiceOp{name: "StringMatches", family: famMatches}
	for name, fam := range map[string]family{
		"IsNull": famIsNull, "IsPresent": famIsPresent, "IsNumeric": famIsNumeric,
		"IsString": famIsString, "IsBoolean": famIsBoolean, "IsTimestamp": famIsTimestamp,
	} {
		m[name] = &choiceOp{name: name, family: fam}
	}
	return m
}()

// compileChoiceRule compiles one rule at ptr. A top-level rule (an element
// of Choices) needs Next; a rule nested in And, Or or Not must not have one.
// Mistakes are reported through c; the returned rule is never nil (a rule
// that did not compile never matches, but the definition is rejected anyway).
func (c *compiler) compileChoiceRule(v value.Value, ptr string, top bool) *ChoiceRule {
	r := &ChoiceRule{}
	o, ok := v.(*value.Object)
	if !ok {
		c.typeErrorf(ptr, "a choice rule must be an object, got %s", value.TypeName(v))
		return r
	}
	f := fields{c: c, obj: o, ptr: ptr}

	if top {
		if f.has("Next") {
			r.Next, _ = f.str("Next")
		} else if !c.choiceSchemaFlagged(ptr) {
			c.errorf(ptr, CodeInvalidChoiceRule, "a choice rule in Choices needs \"Next\": the state to go to when it matches")
		}
	} else if f.has("Next") {
		c.keyErrorf(f.ptrOf("Next"), CodeInvalidChoiceRule, "\"Next\" may only appear in a top-level choice rule, not inside And, Or or Not")
	}

	var boolOps, testOps []string
	for _, m := range o.Members() {
		switch m.Key {
		case "And", "Or", "Not":
			boolOps = append(boolOps, m.Key)
		case "Variable", "Next", "Comment":
		case "Assign":
			if top {
				r.Assign = c.compileAssign(f)
			} else if !c.choiceSchemaFlagged(f.ptrOf(m.Key)) {
				c.keyErrorf(f.ptrOf(m.Key), CodeInvalidChoiceRule, "\"Assign\" may only appear in a top-level choice rule, not inside And, Or or Not")
			}
		case "Condition", "Output":
			c.keyErrorf(f.ptrOf(m.Key), CodeInvalidQueryLanguage, "%q belongs to JSONata states; this state uses JSONPath (set \"QueryLanguage\": \"JSONata\" on the state or the definition)", m.Key)
		default:
			if choiceOps[m.Key] != nil {
				testOps = append(testOps, m.Key)
			} else if !c.choiceSchemaFlagged(f.ptrOf(m.Key)) {
				c.keyErrorf(f.ptrOf(m.Key), CodeInvalidChoiceRule, "%q is not a field of a choice rule%s", m.Key, suggestOp(m.Key))
			}
		}
	}

	switch {
	case len(boolOps) > 0 && (len(testOps) > 0 || f.has("Variable")):
		other := "Variable"
		if len(testOps) > 0 {
			other = testOps[0]
		}
		c.errorf(ptr, CodeInvalidChoiceRule, "a choice rule is either a boolean expression (And, Or, Not) or a data test (Variable and one comparison operator), not both: found %s and %s", boolOps[0], other)
		return r
	case len(boolOps) > 1:
		c.keyErrorf(f.ptrOf(boolOps[1]), CodeInvalidChoiceRule, "a boolean expression has exactly one of And, Or, Not: found %s", strings.Join(boolOps, " and "))
		return r
	case len(boolOps) == 1:
		c.compileBoolean(f, r, boolOps[0])
		return r
	case len(testOps) > 1:
		c.keyErrorf(f.ptrOf(testOps[1]), CodeInvalidChoiceRule, "a data-test rule has exactly one comparison operator: found %s", strings.Join(testOps, " and "))
		return r
	case len(testOps) == 0:
		if f.has("Variable") {
			c.errorf(ptr, CodeInvalidChoiceRule, "a choice rule with \"Variable\" needs one comparison operator such as StringEquals, NumericGreaterThan or IsPresent")
		} else {
			c.errorf(ptr, CodeInvalidChoiceRule, "a choice rule needs And, Or, Not, or a \"Variable\" with one comparison operator")
		}
		return r
	}
	c.compileDataTest(f, r, choiceOps[testOps[0]])
	return r
}

func (c *compiler) compileBoolean(f fields, r *ChoiceRule, key string) {
	raw, _ := f.raw(key)
	kptr := f.ptrOf(key)
	if key == "Not" {
		if _, ok := raw.(*value.Object); !ok {
			c.typeErrorf(kptr, "\"Not\" must be one choice rule (an object), got %s", value.TypeName(raw))
			return
		}
		sub := c.compileChoiceRule(raw, kptr, false)
		r.kind, r.rules = ruleNot, []*ChoiceRule{sub}
		return
	}
	list, ok := raw.([]any)
	if !ok {
		c.typeErrorf(kptr, "%q must be a non-empty array of choice rules, got %s", key, value.TypeName(raw))
		return
	}
	if len(list) == 0 {
		c.errorf(kptr, CodeInvalidChoiceRule, "%q must be a non-empty array of choice rules", key)
		return
	}
	r.rules = make([]*ChoiceRule, len(list))
	for i, e := range list {
		r.rules[i] = c.compileChoiceRule(e, fmt.Sprintf("%s/%d", kptr, i), false)
	}
	r.kind = ruleAnd
	if key == "Or" {
		r.kind = ruleOr
	}
}

func (c *compiler) compileDataTest(f fields, r *ChoiceRule, op *choiceOp) {
	ok := true
	if !f.has("Variable") {
		c.errorf(f.ptr, CodeInvalidChoiceRule, "a %s test needs \"Variable\": the path of the value to test", op.name)
		ok = false
	} else if r.variable = c.choicePath(f, "Variable"); r.variable == nil {
		ok = false
	}
	raw, _ := f.raw(op.name)
	kptr := f.ptrOf(op.name)
	if op.isPath {
		if r.operand = c.choicePath(f, op.name); r.operand == nil {
			ok = false
		}
	} else if !c.compileOperand(r, op, raw, kptr) {
		ok = false
	}
	if ok {
		r.kind, r.op = ruleTest, op
	}
}

// choicePath compiles Variable or a …Path operand: a reference path into the
// data or the context object.
func (c *compiler) choicePath(f fields, key string) *Path {
	s, ok := f.str(key)
	if !ok {
		return nil
	}
	p, err := compilePath(s)
	if err != nil {
		c.errorf(f.ptrOf(key), CodeInvalidPath, "%s: %v", key, err)
		return nil
	}
	if !p.IsReference() {
		c.errorf(f.ptrOf(key), CodeInvalidPath, "%s %q must be a reference path (names and indexes only: no wildcards, filters or slices)", key, s)
		return nil
	}
	return p
}

func (c *compiler) compileOperand(r *ChoiceRule, op *choiceOp, raw value.Value, ptr string) bool {
	switch op.family {
	case famString, famMatches:
		s, ok := raw.(string)
		if !ok {
			c.typeErrorf(ptr, "%q must be a string, got %s", op.name, value.TypeName(raw))
			return false
		}
		r.str = s
		if op.family == famMatches {
			r.pattern = compileGlob(s)
		}
	case famNumeric:
		n, ok := raw.(value.Number)
		if !ok {
			c.typeErrorf(ptr, "%q must be a number, got %s", op.name, value.TypeName(raw))
			return false
		}
		if r.num, ok = parseNumber(n); !ok {
			c.typeErrorf(ptr, "%q must be a number, got %s", op.name, string(n))
			return false
		}
	case famTimestamp:
		s, ok := raw.(string)
		if !ok {
			c.typeErrorf(ptr, "%q must be a timestamp string such as \"2026-11-27T12:00:00Z\", got %s", op.name, value.TypeName(raw))
			return false
		}
		t, ok := ParseTimestamp(s)
		if !ok {
			c.errorf(ptr, CodeInvalidTimestamp, "%s %q is not an ISO-8601 extended offset date-time such as 2026-11-27T12:00:00Z (a time zone or Z is required)", op.name, s)
			return false
		}
		r.ts = t
	default: // BooleanEquals and the Is* tests
		b, ok := raw.(bool)
		if !ok {
			c.typeErrorf(ptr, "%q must be true or false, got %s", op.name, value.TypeName(raw))
			return false
		}
		r.boolean = b
	}
	return true
}

// choiceSchemaFlagged reports whether the schema already complained about
// ptr or an enclosing value, so the same mistake is not reported twice.
func (c *compiler) choiceSchemaFlagged(ptr string) bool {
	for p := ptr; ; {
		if c.schemaBad[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// suggestOp names the operator a misspelt key most likely meant.
func suggestOp(key string) string {
	lk := strings.ToLower(key)
	var names []string
	for name := range choiceOps {
		if strings.ToLower(name) == lk {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasPrefix(strings.ToLower(name), lk) && len(lk) >= 4 {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
	}
	return ""
}

// Eval reports whether the rule matches the state's effective input (and
// context object). A type mismatch is no match; a Variable or …Path operand
// that selects nothing is States.Runtime, except for IsPresent.
func (r *ChoiceRule) Eval(env Env) (bool, error) {
	switch r.kind {
	case ruleAnd:
		for _, s := range r.rules {
			if ok, err := s.Eval(env); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case ruleOr:
		for _, s := range r.rules {
			if ok, err := s.Eval(env); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case ruleNot:
		ok, err := r.rules[0].Eval(env)
		return !ok && err == nil, err
	case ruleTest:
		return r.evalTest(env)
	}
	return false, nil
}

func (r *ChoiceRule) evalTest(env Env) (bool, error) {
	v, err := r.variable.Select(env)
	if err != nil {
		var nr *jsonpath.NoResultError
		var uv *jsonpath.UndefinedVariableError
		if r.op.family == famIsPresent && (errors.As(err, &nr) || errors.As(err, &uv)) {
			return !r.boolean, nil
		}
		return false, choicePathError(r.variable, err)
	}
	op := r.op
	if op.isPath {
		w, err := r.operand.Select(env)
		if err != nil {
			return false, choicePathError(r.operand, err)
		}
		return compareValues(op, v, w), nil
	}
	switch op.family {
	case famString:
		s, ok := v.(string)
		return ok && op.rel.holds(compareUTF16(s, r.str)), nil
	case famMatches:
		s, ok := v.(string)
		return ok && r.pattern.match(s), nil
	case famNumeric:
		n, ok := v.(value.Number)
		if !ok {
			return false, nil
		}
		x, ok := parseNumber(n)
		return ok && op.rel.holds(x.compare(r.num)), nil
	case famBoolean:
		b, ok := v.(bool)
		return ok && b == r.boolean, nil
	case famTimestamp:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := ParseTimestamp(s)
		return ok && op.rel.holds(t.Compare(r.ts)), nil
	case famIsNull:
		return (v == nil) == r.boolean, nil
	case famIsPresent:
		return r.boolean, nil
	case famIsNumeric:
		_, ok := v.(value.Number)
		return ok == r.boolean, nil
	case famIsString:
		_, ok := v.(string)
		return ok == r.boolean, nil
	case famIsBoolean:
		_, ok := v.(bool)
		return ok == r.boolean, nil
	case famIsTimestamp:
		s, ok := v.(string)
		if ok {
			_, ok = ParseTimestamp(s)
		}
		return ok == r.boolean, nil
	}
	return false, nil
}

// compareValues applies a …Path operator to two selected values; values of
// the wrong type never match.
func compareValues(op *choiceOp, v, w value.Value) bool {
	switch op.family {
	case famString:
		a, ok1 := v.(string)
		b, ok2 := w.(string)
		return ok1 && ok2 && op.rel.holds(compareUTF16(a, b))
	case famNumeric:
		a, ok1 := v.(value.Number)
		b, ok2 := w.(value.Number)
		if !ok1 || !ok2 {
			return false
		}
		x, ok1 := parseNumber(a)
		y, ok2 := parseNumber(b)
		return ok1 && ok2 && op.rel.holds(x.compare(y))
	case famBoolean:
		a, ok1 := v.(bool)
		b, ok2 := w.(bool)
		return ok1 && ok2 && a == b
	case famTimestamp:
		a, ok1 := v.(string)
		b, ok2 := w.(string)
		if !ok1 || !ok2 {
			return false
		}
		x, ok1 := ParseTimestamp(a)
		y, ok2 := ParseTimestamp(b)
		return ok1 && ok2 && op.rel.holds(x.Compare(y))
	}
	return false
}

// choicePathError is AWS's failure for a Variable or operand path that
// selects nothing (the interpreter adds the "An error occurred while
// executing the state …" prefix).
func choicePathError(p *Path, err error) error {
	var nr *jsonpath.NoResultError
	if errors.As(err, &nr) {
		return failure.Newf(failure.Runtime, "Invalid path '%s' : The choice state's condition path references an invalid value.", p.String())
	}
	var fe *failure.Error
	if errors.As(err, &fe) {
		return fe
	}
	return failure.New(failure.Runtime, err.Error())
}

// number is a parsed JSON number: exact when it is an integer that fits in
// an int64, a float64 otherwise.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func parseNumber(n value.Number) (number, bool) {
	s := string(n)
	// Only integer text goes to ParseInt: a failed parse allocates its error,
	// and Choice evaluates numbers on every execution.
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: i, f: float64(i), isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out-of-range literals such as 1e400 parse to ±Inf with ErrRange:
		// still numbers, ordered beyond every finite one.
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return number{}, false
		}
	}
	return number{f: f}, true
}

// compare orders two numbers: exactly when both are integers, as float64
// otherwise (so 1 equals 1.0).
func (a number) compare(b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// compareUTF16 orders strings as Java's String.compareTo does, by UTF-16
// code units, which is what AWS uses. It differs from Go's byte (code point)
// order only when a supplementary character (encoded as surrogates
// D800–DFFF) meets a character in E000–FFFF.
func compareUTF16(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		switch {
		case len(a) < len(b):
			return -1
		case len(a) > len(b):
			return 1
		}
		return 0
	}
	// Back up to the start of the rune that differs.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	ua, ub := utf16Lead(ra), utf16Lead(rb)
	if ua != ub {
		if ua < ub {
			return -1
		}
		return 1
	}
	// Same lead unit: both supplementary with the same high surrogate, so
	// the low surrogates order as the code points do.
	if ra < rb {
		return -1
	}
	return 1
}

// utf16Lead is the first UTF-16 code unit of r.
func utf16Lead(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

// globPattern is a compiled StringMatches pattern: literal segments split at
// each unescaped '*'. With no star the pattern is one segment that must equal
// the whole string.
type globPattern struct {
	segs []string
}

// compileGlob splits a StringMatches pattern. "\*" is a literal star and
// "\\" a literal backslash; a backslash before any other character (or at
// the end) stands for itself.
func compileGlob(p string) *globPattern {
	g := &globPattern{}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch ch := p[i]; {
		case ch == '\\' && i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\'):
			i++
			b.WriteByte(p[i])
		case ch == '*':
			g.segs = append(g.segs, b.String())
			b.Reset()
		default:
			b.WriteByte(ch)
		}
	}
	g.segs = append(g.segs, b.String())
	return g
}

func (g *globPattern) match(s string) bool {
	segs := g.segs
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	// Between the fixed prefix and suffix, each middle segment matches at its
	// leftmost position: taking the earliest match leaves the most room for
	// the rest, so no backtracking is needed.
	mid := s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		j := strings.Index(mid, seg)
		if j < 0 {
			return false
		}
		mid = mid[j+len(seg):]
	}
	return true
}
