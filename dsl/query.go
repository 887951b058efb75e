package dsl

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/jsonata"
)

// QueryLanguage names the two query languages of the States Language.
const (
	LangJSONPath = "JSONPath"
	LangJSONata  = "JSONata"
)

// QueryTimeout bounds one JSONata evaluation: an expression that runs
// longer (a runaway loop in a lambda) fails with
// States.QueryEvaluationError instead of holding a node.
const QueryTimeout = 5 * time.Second

// Query is one compiled JSONata expression of a workflow: the text
// between "{%" and "%}" of a string that is nothing else.
type Query struct {
	// Text is the expression as AWS quotes it in causes: without the
	// delimiters and the blanks around it.
	Text string
	expr *jsonata.Expression
	// names are the $names the expression reads (a superset: every
	// "$identifier" token outside strings and comments), so that an
	// evaluation binds only the workflow variables it may use.
	names []string
	// states are the members of $states the expression reads
	// (statesInput …), statesAll when it may read any: a context object
	// is converted for an evaluation only when it can be read.
	states uint8
}

// The members of $states, as bits of Query.states.
const (
	statesInput uint8 = 1 << iota
	statesContext
	statesResult
	statesErrorOutput
	statesAll = statesInput | statesContext | statesResult | statesErrorOutput
)

// statesUse matches each $states in an expression and the member it reads.
var statesUse = regexp.MustCompile(`\$states\b(\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?`)

// statesMembers tells which members of $states src reads: a $states
// without a plain member after it ($states[...], $states.*, $states passed
// on) may read any. Over-approximating (a match inside a string) only
// costs a conversion.
func statesMembers(src string) uint8 {
	var m uint8
	for _, use := range statesUse.FindAllStringSubmatch(src, -1) {
		switch use[2] {
		case "input":
			m |= statesInput
		case "context":
			m |= statesContext
		case "result":
			m |= statesResult
		case "errorOutput":
			m |= statesErrorOutput
		default:
			return statesAll
		}
	}
	return m
}

// queryText returns the expression inside s when s is a JSONata
// expression: "{%" first, "%}" last. Any other string is a literal,
// blanks around the delimiters included, as AWS treats it.
func queryText(s string) (string, bool) {
	if len(s) < 4 || !strings.HasPrefix(s, "{%") || !strings.HasSuffix(s, "%}") {
		return "", false
	}
	return s[2 : len(s)-2], true
}

// QueryError is an expression that does not compile, with where in the
// field's string the problem is (Offset, in characters from its start;
// -1 when unknown).
type QueryError struct {
	Offset int
	Err    error
}

func (e *QueryError) Error() string { return e.Err.Error() }

// compileQuery compiles the expression in s (a string queryText accepts).
// $eval is refused here: AWS supports every JSONata 2.0.6 function but
// $eval in workflows, and a definition that calls it can never run.
func compileQuery(s string) (*Query, error) {
	inner, _ := queryText(s)
	text := strings.TrimSpace(inner)
	if text == "" {
		return nil, &QueryError{Offset: 2, Err: errors.New("the JSONata expression between {% and %} is empty")}
	}
	e, err := jsonata.Compile(inner)
	if err != nil {
		off := -1
		var je *jsonata.Error
		if errors.As(err, &je) {
			if je.Position > 0 {
				// jsonata positions count UTF-16 units, 1-based, at the
				// end of the token; the column counts characters.
				off = 2 + utf16ToChars(inner, je.Position-1)
			}
			err = fmt.Errorf("the JSONata expression '%s' does not parse: %s: %s", text, je.Code, je.Message)
		}
		return nil, &QueryError{Offset: off, Err: err}
	}
	q := &Query{Text: text, expr: e, names: queryNames(inner), states: statesMembers(inner)}
	for _, n := range q.names {
		if n == "eval" {
			at := strings.Index(inner, "$eval")
			return nil, &QueryError{Offset: 2 + utf8.RuneCountInString(inner[:max(at, 0)]),
				Err: fmt.Errorf("the JSONata expression '%s' calls $eval, which Step Functions does not support; use $parse to read JSON text", text)}
		}
	}
	return q, nil
}

// utf16ToChars converts n UTF-16 code units from the start of s into
// characters.
func utf16ToChars(s string, n int) int {
	units, chars := 0, 0
	for _, r := range s {
		if units >= n {
			break
		}
		units++
		if r >= 0x10000 {
			units++
		}
		chars++
	}
	return chars
}

// queryNames lists the distinct "$name" tokens of a JSONata expression
// outside its string literals, quoted names and comments. It
// over-approximates (a lambda's parameter or a := binding is listed too):
// binding a workflow variable the expression does not read only costs
// its conversion.
func queryNames(src string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' && c != '`' {
					i++
				}
				i++
			}
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '$':
			j := i + 1
			for j < len(src) {
				r, size := utf8.DecodeRuneInString(src[j:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += size
			}
			if name := src[i+1 : j]; name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
			if j == i+1 {
				j++ // "$" or "$$"
			}
			i = j
		default:
			i++
		}
	}
	return out
}

// QueryScope is what the JSONata expressions of one state evaluation read:
// $states (input, context, and the result or error output once there is
// one) and the workflow variables of env.Vars. Converted values are kept
// so that the expressions of one state convert the input and each
// variable once.
type QueryScope struct {
	env             Env
	input, result   value.Value
	errOut          value.Value
	hasResult       bool
	hasErr          bool
	jin, jctx, jres any
	converted       bool
	states          [statesAll + 1]*jsonata.Object // $states, by the members it holds
	vars            map[string]any
}

// NewQueryScope starts the scope of a state's evaluation: $states.input is
// input, $states.context env.Context.
func NewQueryScope(env Env, input value.Value) *QueryScope {
	return &QueryScope{env: env, input: input}
}

// WithResult returns the scope with $states.result set (Task, Map and
// Parallel output fields).
func (q *QueryScope) WithResult(r value.Value) *QueryScope {
	c := *q
	c.result, c.hasResult, c.jres, c.states = r, true, nil, [statesAll + 1]*jsonata.Object{}
	return &c
}

// WithErrorOutput returns the scope with $states.errorOutput set (a
// catcher's Output and Assign).
func (q *QueryScope) WithErrorOutput(e value.Value) *QueryScope {
	c := *q
	c.errOut, c.hasErr, c.states = e, true, [statesAll + 1]*jsonata.Object{}
	return &c
}

// statesObject is $states with the members an expression reads (members,
// a mask of Query.states).
func (q *QueryScope) statesObject(members uint8) *jsonata.Object {
	if o := q.states[members]; o != nil {
		return o
	}
	o := jsonata.NewObject(4)
	if members&statesInput != 0 {
		if !q.converted {
			q.jin = q.toJSONata(q.input)
			q.converted = true
		}
		o.Set("input", q.jin)
	}
	if q.env.Context != nil && members&statesContext != 0 {
		if q.jctx == nil {
			q.jctx = ToJSONata(q.env.Context)
		}
		o.Set("context", q.jctx)
	}
	if q.hasResult && members&statesResult != 0 {
		if q.jres == nil {
			q.jres = ToJSONata(q.result)
		}
		o.Set("result", q.jres)
	}
	if q.hasErr && members&statesErrorOutput != 0 {
		o.Set("errorOutput", ToJSONata(q.errOut))
	}
	q.states[members] = o
	return o
}

func (q *QueryScope) variable(name string) (any, bool) {
	if v, ok := q.vars[name]; ok {
		return v, true
	}
	if q.env.Vars == nil {
		return nil, false
	}
	v, ok := q.env.Vars.Lookup(name)
	if !ok {
		return nil, false
	}
	if q.vars == nil {
		q.vars = map[string]any{}
	}
	jv := ToJSONata(v)
	q.vars[name] = jv
	return jv, true
}

// bindings are the variables one evaluation of expression e sees: $states,
// the workflow variables it names, and $random and $uuid drawing on the
// environment's randomness.
func (q *QueryScope) bindings(e *Query) map[string]any {
	b := make(map[string]any, len(e.names)+1)
	for _, n := range e.names {
		switch n {
		case ReservedVariable:
			b[n] = q.statesObject(e.states)
			continue
		case "random":
			b[n] = randomBuiltin(q.env.Random)
		case "uuid":
			b[n] = uuidBuiltin(q.env.UUID)
		}
		if v, ok := q.variable(n); ok {
			b[n] = v
		}
	}
	return b
}

// queryOptions are the options of every workflow evaluation, made once.
var queryOptions = [2]jsonata.Option{jsonata.WithLibrary(workflowLibrary), jsonata.WithTimeout(QueryTimeout)}

// Eval evaluates the expression for the field (named as AWS names it in
// causes: "Output/result", "Items"). Undefined, an evaluation error or a
// result over the payload limit is States.QueryEvaluationError
// (States.DataLimitExceeded for the size).
func (e *Query) Eval(q *QueryScope, field string) (value.Value, error) {
	return e.eval(q, field, false)
}

// eval is Eval; with memo, an object result that converting changed in
// nothing (FromJSONata's exact) is remembered in env.Memo with its JSONata
// form, for the next state's $states.input.
func (e *Query) eval(q *QueryScope, field string, memo bool) (value.Value, error) {
	opts := queryOptions[:]
	if !q.env.Now.IsZero() {
		var withNow [3]jsonata.Option
		copy(withNow[:], queryOptions[:])
		withNow[2] = jsonata.WithNow(q.env.Now)
		opts = withNow[:]
	}
	res, err := e.expr.Evaluate(jsonata.Undefined, q.bindings(e), opts...)
	if err != nil {
		var je *jsonata.Error
		if errors.As(err, &je) {
			return nil, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s: %s", e.Text, field, je.Code, je.Message)
		}
		return nil, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %v", e.Text, field, err)
	}
	v, ok, exact := FromJSONata(res)
	if !ok {
		return nil, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", e.Text, field)
	}
	if memo {
		if m := q.env.Memo; m != nil {
			if o, isObj := v.(*value.Object); isObj && exact {
				m.Value, m.Converted = o, res
			}
		}
	}
	return v, nil
}

// toJSONata converts a state's input, or takes it from the memo when it
// is the object a JSONata expression just produced.
func (q *QueryScope) toJSONata(v value.Value) any {
	if m := q.env.Memo; m != nil && m.Value != nil {
		if o, ok := v.(*value.Object); ok && o == m.Value {
			return m.Converted
		}
	}
	return ToJSONata(v)
}

// ---- values ----

// ToJSONata converts a workflow value to the JSONata engine's: numbers
// become float64 (as JavaScript reads them), objects keep their order.
func ToJSONata(v value.Value) any {
	switch t := v.(type) {
	case value.Number:
		return t.Float64()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = ToJSONata(e)
		}
		return out
	case *value.Object:
		o := jsonata.NewObject(t.Len())
		for _, m := range t.Members() {
			o.Set(m.Key, ToJSONata(m.Value))
		}
		return o
	}
	return v
}

// FromJSONata converts a JSONata result to a workflow value as
// JSON.stringify would write it: numbers as JavaScript prints them, a
// sequence of one item as that item, undefined members dropped and
// undefined items null, functions dropped like undefined. ok is false for
// an undefined result. exact reports whether ToJSONata of the value is v
// itself: no sequence, undefined, function, regex, non-finite number or -0
// anywhere in v (those it drops or rewrites), not deeper than the data
// limit.
func FromJSONata(v any) (cv value.Value, ok, exact bool) {
	return fromJSONata(v, 0)
}

func fromJSONata(v any, depth int) (value.Value, bool, bool) {
	inDepth := depth <= value.MaxDepth
	switch t := v.(type) {
	case nil, bool, string:
		return t, true, inDepth
	case float64:
		return jsNumber(t), true, inDepth && !math.IsNaN(t) && !math.IsInf(t, 0) && !(t == 0 && math.Signbit(t))
	case jsonata.Seq:
		switch len(t) {
		case 0:
			return nil, false, false
		case 1:
			cv, ok, _ := fromJSONata(t[0], depth)
			return cv, ok, false
		}
		out, _ := fromArray(t, depth)
		return out, true, false
	case []any:
		out, exact := fromArray(t, depth)
		return out, true, exact && inDepth
	case *jsonata.Object:
		o := value.NewObject(t.Len())
		exact := inDepth
		for _, k := range t.Keys() {
			mv, _ := t.Get(k)
			cv, ok, ex := fromJSONata(mv, depth+1)
			if ok {
				o.Set(k, cv)
			}
			exact = exact && ex
		}
		return o, true, exact
	case *jsonata.Regex:
		return value.NewObject(0), true, false // JSON.stringify(/re/) is {}
	}
	return nil, false, false // undefined, a function
}

// fromArray converts the items of a (an array or sequence at depth), and
// reports whether every item converted exactly.
func fromArray(a []any, depth int) ([]any, bool) {
	out := make([]any, len(a))
	exact := true
	for i, e := range a {
		cv, ok, ex := fromJSONata(e, depth+1)
		if ok {
			out[i] = cv
		}
		exact = exact && ex
	}
	return out, exact
}

// jsNumber writes f as JavaScript does (JSON.stringify): integers without
// a fraction below 1e21, the shortest round-trip text otherwise.
func jsNumber(f float64) value.Number {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return value.Number(strconv.FormatInt(int64(f), 10))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null" // JSON.stringify's text; JSONata refuses these before
	}
	b, err := jsonata.EncodeJSON(f)
	if err != nil {
		return value.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return value.Number(b)
}

// ---- templates ----

// QueryTemplate is a field of a JSONata state (Output, Arguments, Assign,
// Items, ItemSelector, a Wait's Seconds …): a JSON value in which every
// string that is a whole "{% … %}" is an expression, at any depth. Keys
// ending in ".$" and every other string are literals.
type QueryTemplate struct {
	root qnode
}

type qnode struct {
	static  bool
	literal value.Value
	size    int
	query   *Query
	field   string // the field path AWS names in causes, e.g. "Output/result"
	keys    []string
	members []qnode
	items   []qnode
	isArray bool
	// memo: the node is a whole Output field's expression, whose object
	// result is remembered for the next state's input (Env.Memo).
	memo bool
}

// compileQueryTemplate compiles v, the value of field; report gets each
// expression that does not compile, with its pointer.
func compileQueryTemplate(v value.Value, ptr, field string, report func(ptr string, err error)) *QueryTemplate {
	root := compileQNode(v, ptr, field, report)
	root.memo = root.query != nil && field == "Output"
	return &QueryTemplate{root: root}
}

func compileQNode(v value.Value, ptr, field string, report func(string, error)) qnode {
	switch t := v.(type) {
	case string:
		if _, ok := queryText(t); ok {
			q, err := compileQuery(t)
			if err != nil {
				report(ptr, err)
				return qnode{static: true, literal: nil}
			}
			return qnode{query: q, field: field}
		}
	case *value.Object:
		n := qnode{keys: make([]string, 0, t.Len()), members: make([]qnode, 0, t.Len())}
		static := true
		for _, m := range t.Members() {
			sub := compileQNode(m.Value, ptr+"/"+escapePointer(m.Key), field+"/"+m.Key, report)
			static = static && sub.static
			n.keys = append(n.keys, m.Key)
			n.members = append(n.members, sub)
		}
		if !static {
			return n
		}
	case []any:
		n := qnode{isArray: true, items: make([]qnode, len(t))}
		static := true
		for i, e := range t {
			n.items[i] = compileQNode(e, fmt.Sprintf("%s/%d", ptr, i), fmt.Sprintf("%s/%d", field, i), report)
			static = static && n.items[i].static
		}
		if !static {
			return n
		}
	}
	size, _, _ := value.Measure(v, value.Unlimited, value.Unlimited)
	return qnode{static: true, literal: v, size: size}
}

// Static returns the template's value when it has no expression.
func (t *QueryTemplate) Static() (value.Value, bool) {
	return t.root.literal, t.root.static
}

// Query returns the template's expression when the whole field is one.
func (t *QueryTemplate) Query() *Query { return t.root.query }

// Text is the expression's text when the whole field is one (as AWS
// quotes it in causes), else "".
func (t *QueryTemplate) Text() string {
	if q := t.Query(); q != nil {
		return q.Text
	}
	return ""
}

// Eval builds the field's value, bounded by the payload limit
// (States.DataLimitExceeded) as it is built.
func (t *QueryTemplate) Eval(q *QueryScope) (value.Value, error) {
	return t.evalWithin(q, q.env.Limit())
}

// evalWithin builds the field's value over q, bounded by limit bytes
// instead of the scope's payload limit (an Assign's MaxAssign).
func (t *QueryTemplate) evalWithin(q *QueryScope, limit int) (value.Value, error) {
	b := budget{limit: limit}
	return t.root.eval(q, &b, 0)
}

func (n *qnode) eval(q *QueryScope, b *budget, level int) (value.Value, error) {
	switch {
	case n.static:
		if !b.add(n.size) {
			return nil, templateTooLarge(b.limit, "")
		}
		return n.literal, nil
	case n.query != nil:
		v, err := n.query.eval(q, n.field, n.memo)
		if err != nil {
			return nil, err
		}
		size, depth, ok := value.Measure(v, b.limit-b.used, value.MaxDepth-level)
		if !ok {
			if depth > value.MaxDepth-level {
				return nil, templateTooDeep(n.field)
			}
			return nil, failure.Newf(failure.DataLimitExceeded, "The JSONata expression '%s' specified for the field '%s' returned a result larger than the maximum payload size of %d bytes", n.query.Text, n.field, b.limit)
		}
		b.used += size
		return v, nil
	case n.isArray:
		b.add(2 + max(len(n.items)-1, 0))
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(q, b, level+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	b.add(2 + max(len(n.keys)-1, 0))
	out := value.NewObject(len(n.keys))
	for i, k := range n.keys {
		b.add(value.StringSize(k) + 1)
		v, err := n.members[i].eval(q, b, level+1)
		if err != nil {
			return nil, err
		}
		out.Set(k, v)
	}
	if b.used > b.limit {
		return nil, templateTooLarge(b.limit, "")
	}
	return out, nil
}

// queryTemplate compiles field k of f as a JSONata field value; nil when
// absent.
func (f fields) queryTemplate(k string) *QueryTemplate {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil
	}
	return compileQueryTemplate(v, f.ptrOf(k), k, f.c.queryProblem)
}

// queryProblem reports an expression that does not compile at the
// position inside its string where jsonata found the problem.
func (c *compiler) queryProblem(ptr string, err error) {
	off := -1
	var qe *QueryError
	if errors.As(err, &qe) {
		off = qe.Offset
	}
	c.problems = append(c.problems, rawProblem{ptr: ptr, code: CodeInvalidQuery, severity: SeverityError, msg: err.Error(), offset: off})
}
