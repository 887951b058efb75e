package jsonata

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// frame is a scope of variable bindings; lookups go outwards to the
// library at the root. A frame made for a tuple reads the tuple's
// bindings (tb) without copying them.
type frame struct {
	parent *frame
	names  []string
	vals   []any
	tb     *binding
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) bind(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

// binding is one variable of a tuple; a tuple's bindings are a list,
// newest first, shared with the tuples it was made from.
type binding struct {
	name string
	val  any
	next *binding
}

// tuple is one item of a tuple stream: the context item (@) and the
// variables bound along the path (@$v, #$i, parent labels).
type tuple struct {
	at any
	b  *binding
}

func (t *tuple) get(name string) (any, bool) {
	for b := t.b; b != nil; b = b.next {
		if b.name == name {
			return b.val, true
		}
	}
	return nil, false
}

// pushBindings puts the bindings of list on top of base, keeping their order.
func pushBindings(base, list *binding) *binding {
	if list == nil {
		return base
	}
	var stack []*binding
	for b := list; b != nil; b = b.next {
		stack = append(stack, b)
	}
	for i := len(stack) - 1; i >= 0; i-- {
		base = &binding{name: stack[i].name, val: stack[i].val, next: base}
	}
	return base
}

// tupleSeq is a tuple stream: a sequence whose items are *tuple.
type tupleSeq []any

// frameFromTuple is a scope binding the tuple's variables.
func frameFromTuple(env *frame, t *tuple) *frame {
	return &frame{parent: env, tb: t.b}
}

// evaluator is the state of one evaluation.
type evaluator struct {
	lib      map[string]any
	depth    int
	maxDepth int
	deadline time.Time
	timed    bool
	ticks    int
	now      int64
	outer    []any // wrappers of arrays given to $eval (their first item's address identifies them)
	applyFn  func(fn any, args []any) (any, error)
	evalFn   func(expr string, input any) (any, error)
	envStack []*frame // the scopes of the builtin calls in progress (for Call.Eval)
	envBuf   [8]*frame
	root     *frame

	// the wrapper of an array input, and the root scope's first bindings,
	// kept here to save allocations
	outerItem [1]any
	rootFrame frame
	rootNames [4]string
	rootVals  [4]any
	sigCache  map[*Builtin]*signature
}

// defaultMaxDepth bounds the nesting of evaluation when no limit is set,
// so that runaway recursion ends in an error instead of exhausting memory.
const defaultMaxDepth = 10000

func (ev *evaluator) lookup(env *frame, name string) (any, bool) {
	for f := env; f != nil; f = f.parent {
		for i := len(f.names) - 1; i >= 0; i-- {
			if f.names[i] == name {
				return f.vals[i], true
			}
		}
		for b := f.tb; b != nil; b = b.next {
			if b.name == name {
				return b.val, true
			}
		}
	}
	v, ok := ev.lib[name]
	return v, ok
}

// isOuter reports whether s is the wrapper the evaluation put around an
// array input (jsonata-js's outerWrapper).
func (ev *evaluator) isOuter(s Seq) bool {
	if len(s) != 1 {
		return false
	}
	if &s[0] == &ev.outerItem[0] {
		return true
	}
	for _, o := range ev.outer {
		if os, ok := o.(Seq); ok && &os[0] == &s[0] {
			return true
		}
	}
	return false
}

func (ev *evaluator) enter(n *node) error {
	ev.depth++
	limit := ev.maxDepth
	if limit <= 0 {
		limit = defaultMaxDepth
	}
	if ev.depth > limit {
		return &Error{Code: "U1001", Position: n.pos, Message: "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."}
	}
	if ev.timed {
		ev.ticks++
		if ev.ticks&63 == 0 && time.Now().After(ev.deadline) {
			return &Error{Code: "U1001", Position: n.pos, Message: "Expression evaluation timeout: Check for infinite loop"}
		}
	}
	return nil
}

// eval evaluates n against input in env.
func (ev *evaluator) eval(n *node, input any, env *frame) (any, error) {
	if err := ev.enter(n); err != nil {
		ev.depth--
		return nil, err
	}
	res, err := ev.evalNode(n, input, env)
	ev.depth--
	if err != nil {
		return nil, err
	}
	if n.predicate != nil {
		for _, st := range n.predicate {
			if res, err = ev.filter(st.filter, res, env); err != nil {
				return nil, err
			}
		}
	}
	if n.group != nil && n.kind != nPath {
		if res, err = ev.group(n.group, res, env); err != nil {
			return nil, err
		}
	}
	if s, ok := res.(Seq); ok {
		switch len(s) {
		case 0:
			return Undefined, nil
		case 1:
			if n.keepArray {
				return []any(s), nil
			}
			return s[0], nil
		}
	}
	return res, nil
}

func (ev *evaluator) evalNode(n *node, input any, env *frame) (any, error) {
	switch n.kind {
	case nPath:
		return ev.path(n, input, env)
	case nBinary:
		return ev.binary(n, input, env)
	case nNegate:
		v, err := ev.eval(n.expr, input, env)
		if err != nil {
			return nil, err
		}
		if IsUndefined(v) {
			return Undefined, nil
		}
		f, ok, nerr := numeric(v)
		if nerr != nil {
			nerr.Position = n.pos
			return nil, nerr
		}
		if !ok {
			return nil, coreErr("D1002", n.pos, "-", v)
		}
		return -f, nil
	case nArray:
		return ev.array(n, input, env)
	case nObject:
		return ev.group(&groupExpr{pairs: n.pairs, pos: n.pos}, input, env)
	case nName:
		return lookupField(input, n.op), nil
	case nString, nNumber, nValue:
		return n.value, nil
	case nWildcard:
		return ev.wildcard(input), nil
	case nDescendant:
		if IsUndefined(input) {
			return Undefined, nil
		}
		var out Seq
		out = descendants(input, out)
		if len(out) == 1 {
			return out[0], nil
		}
		return out, nil
	case nParent:
		if v, ok := ev.lookup(env, n.slot.label); ok {
			return v, nil
		}
		return Undefined, nil
	case nCondition:
		c, err := ev.eval(n.cond, input, env)
		if err != nil {
			return nil, err
		}
		ok, err := toBoolean(c)
		if err != nil {
			return nil, err
		}
		if ok {
			return ev.eval(n.then, input, env)
		}
		if n.els != nil {
			return ev.eval(n.els, input, env)
		}
		return Undefined, nil
	case nBlock:
		f := newFrame(env)
		var res any = Undefined
		for _, x := range n.items {
			var err error
			if res, err = ev.eval(x, input, f); err != nil {
				return nil, err
			}
		}
		return res, nil
	case nBind:
		v, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		env.bind(n.lhs.op, v)
		return v, nil
	case nRegex:
		return n.re, nil
	case nFunction:
		return ev.function(n, input, env, nil)
	case nVariable:
		if n.op == "" {
			if s, ok := input.(Seq); ok && ev.isOuter(s) {
				return s[0], nil
			}
			return input, nil
		}
		if v, ok := ev.lookup(env, n.op); ok {
			return v, nil
		}
		return Undefined, nil
	case nLambda:
		return &lambda{input: input, env: env, params: n.params, sig: n.sig, body: n.body, thunk: n.thunk}, nil
	case nPartial:
		return ev.partial(n, input, env)
	case nApply:
		return ev.applyExpr(n, input, env)
	case nTransform:
		return &transformer{node: n, env: env}, nil
	case nSort:
		// a sort step on its own (a sort step is evaluated by path)
		return ev.sortItems(n, asSeq(input), env)
	}
	return nil, coreErr("S0206", n.pos, n.op, nil)
}

func asSeq(v any) []any {
	switch x := v.(type) {
	case Seq:
		return x
	case []any:
		return x
	case undefinedType:
		return nil
	}
	return []any{v}
}

// isArray reports whether v is an array or a sequence (not a tuple stream).
func isArray(v any) bool {
	switch v.(type) {
	case []any, Seq:
		return true
	}
	return false
}

// lookupField is the value of field name in input, mapped over arrays.
func lookupField(input any, name string) any {
	switch x := input.(type) {
	case *Object:
		if v, ok := x.Get(name); ok {
			return v
		}
		return Undefined
	case []any:
		return lookupItems(x, name)
	case Seq:
		return lookupItems(x, name)
	}
	return Undefined
}

func lookupItems(items []any, name string) Seq {
	out := make(Seq, 0, len(items))
	for _, it := range items {
		r := lookupField(it, name)
		switch rv := r.(type) {
		case undefinedType:
		case []any:
			out = append(out, rv...)
		case Seq:
			out = append(out, rv...)
		default:
			out = append(out, r)
		}
	}
	return out
}

func (ev *evaluator) wildcard(input any) any {
	if s, ok := input.(Seq); ok && ev.isOuter(s) {
		input = s[0]
	}
	var out Seq
	// jsonata-js appends an array-valued member with Array#concat, whose
	// result is a plain array: the sequence flag is lost, so from then on
	// the result is an array value (kept whole as a path's last step, even
	// with one item or none), not a sequence.
	plain := false
	add := func(v any) {
		if isArray(v) {
			out = flattenInto(out, v)
			plain = true
		} else if !IsUndefined(v) {
			out = append(out, v)
		}
	}
	switch x := input.(type) {
	case *Object:
		out = make(Seq, 0, x.Len())
		for _, k := range x.Keys() {
			v, _ := x.Get(k)
			add(v)
		}
	case []any:
		for _, v := range x {
			add(v)
		}
	case Seq:
		for _, v := range x {
			add(v)
		}
	}
	if plain {
		if out == nil {
			return []any{}
		}
		return []any(out)
	}
	return out
}

func flattenInto(out Seq, v any) Seq {
	if isArray(v) {
		for _, x := range asSeq(v) {
			out = flattenInto(out, x)
		}
		return out
	}
	return append(out, v)
}

func descendants(v any, out Seq) Seq {
	switch x := v.(type) {
	case []any:
		for _, m := range x {
			out = descendants(m, out)
		}
	case Seq:
		for _, m := range x {
			out = descendants(m, out)
		}
	case *Object:
		out = append(out, v)
		for _, k := range x.Keys() {
			m, _ := x.Get(k)
			out = descendants(m, out)
		}
	default:
		if !IsUndefined(v) {
			out = append(out, v)
		}
	}
	return out
}

// numeric reports whether v is a number (not NaN); an infinite number is
// the error D1001.
func numeric(v any) (float64, bool, *Error) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return 0, false, nil
	}
	if math.IsInf(f, 0) {
		return 0, false, coreErr("D1001", 0, "", f)
	}
	return f, true, nil
}

func (ev *evaluator) array(n *node, input any, env *frame) (any, error) {
	out := make([]any, 0, len(n.items))
	for _, item := range n.items {
		v, err := ev.eval(item, input, env)
		if err != nil {
			return nil, err
		}
		if IsUndefined(v) {
			continue
		}
		if item.kind == nArray {
			out = append(out, v)
			continue
		}
		switch x := v.(type) {
		case []any:
			out = append(out, x...)
		case Seq:
			out = append(out, x...)
		default:
			out = append(out, v)
		}
	}
	return out, nil
}

// appendValues is $append: undefined disregarded, arrays concatenated.
func appendValues(a, b any) any {
	if IsUndefined(a) {
		return b
	}
	if IsUndefined(b) {
		return a
	}
	as, bs := asSeq(a), asSeq(b)
	out := make([]any, 0, len(as)+len(bs))
	out = append(out, as...)
	return append(out, bs...)
}

// path evaluates a location path: each step maps over the items of the
// previous one, the results flattened into one sequence.
func (ev *evaluator) path(n *node, input any, env *frame) (any, error) {
	var inputSeq []any
	var one [1]any // a sequence of one item, without allocating
	if isArray(input) && n.steps[0].kind != nVariable {
		inputSeq = asSeq(input)
	} else {
		one[0] = input
		inputSeq = one[:]
	}
	var items []any
	var single any
	kind := stepSeq
	isTuple := false
	var tuples tupleSeq
	haveTuples := false
	last := len(n.steps) - 1
	for i, step := range n.steps {
		if step.tuple {
			isTuple = true
		}
		var err error
		switch {
		case i == 0 && step.consarray:
			var res any
			res, err = ev.eval(step, append(Seq(nil), inputSeq...), env)
			items, kind = asSeq(res), stepSeq
			if isPlainArray(res) {
				kind = stepPlain
			}
		case isTuple:
			var prev tupleSeq
			if haveTuples {
				prev = tuples
			}
			tuples, err = ev.tupleStep(step, inputSeq, prev, haveTuples, env)
			haveTuples = true
		default:
			items, single, kind, err = ev.step(step, inputSeq, env, i == last)
		}
		if err != nil {
			return nil, err
		}
		if !isTuple && kind != stepSingle && len(items) == 0 {
			break
		}
		if step.focus == "" {
			if kind == stepSingle {
				one[0] = single
				inputSeq = one[:]
			} else {
				inputSeq = items
			}
		}
	}
	var result any
	switch {
	case isTuple && n.tuple:
		result = tuples
	case isTuple:
		out := make(Seq, len(tuples))
		for i, t := range tuples {
			out[i] = t.(*tuple).at
		}
		result = out
		if n.keepSingletonArray && len(out) == 1 {
			result = []any(out)
		}
	case kind == stepPlain:
		result = items
		// a singleton array is kept whole; one built by the last step's
		// constructor is kept as an array in a sequence
		if n.keepSingletonArray && n.steps[last].consarray {
			result = []any{items}
		}
	case kind == stepSingle:
		switch {
		case n.keepSingletonArray:
			result = []any{single}
		case n.keepArray:
			result = Seq{single}
		default:
			// a sequence of one is its item (eval would unwrap it)
			result = single
		}
	case n.keepSingletonArray && len(items) == 1:
		result = []any{items[0]}
	default:
		result = Seq(items)
	}
	if n.group != nil {
		var in any = result
		if isTuple {
			in = tuples
		}
		return ev.group(n.group, in, env)
	}
	return result, nil
}

func isPlainArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

// The kinds of a step's result.
const (
	stepSeq    = iota // a sequence of items
	stepPlain         // an array value: the last step's single array result
	stepSingle        // one item that is not an array (returned unboxed)
)

// step evaluates one step of a path over each input item.
func (ev *evaluator) step(n *node, input []any, env *frame, lastStep bool) ([]any, any, int, error) {
	if n.kind == nSort {
		res, err := ev.sortItems(n, append(Seq(nil), input...), env)
		if err != nil {
			return nil, nil, 0, err
		}
		if n.stages != nil {
			if res, err = ev.stagesOn(n.stages, res, env); err != nil {
				return nil, nil, 0, err
			}
		}
		if isPlainArray(res) {
			return asSeq(res), nil, stepPlain, nil
		}
		return asSeq(res), nil, stepSeq, nil
	}
	// results are flattened as they come; the first is held back, as a
	// single result is returned as it is
	var out []any
	var first any
	count := 0
	for _, item := range input {
		res, err := ev.eval(n, item, env)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, st := range n.stages {
			if res, err = ev.filter(st.filter, res, env); err != nil {
				return nil, nil, 0, err
			}
		}
		if IsUndefined(res) {
			continue
		}
		count++
		switch count {
		case 1:
			first = res
			continue
		case 2:
			out = make([]any, 0, len(input)+2)
			out = flattenStep(out, first, n.consarray)
		}
		out = flattenStep(out, res, n.consarray)
	}
	switch count {
	case 0:
		return nil, nil, stepSeq, nil
	case 1:
		switch x := first.(type) {
		case []any:
			if lastStep {
				return x, nil, stepPlain, nil
			}
			if n.consarray {
				return []any{x}, nil, stepSeq, nil
			}
			return x, nil, stepSeq, nil
		case Seq:
			return x, nil, stepSeq, nil
		}
		return nil, first, stepSingle, nil
	}
	return out, nil, stepSeq, nil
}

// flattenStep adds a step's result for one item to the step's sequence:
// arrays are spread, except one built by the step's array constructor.
func flattenStep(out []any, r any, consarray bool) []any {
	switch x := r.(type) {
	case []any:
		if consarray {
			return append(out, r)
		}
		return append(out, x...)
	case Seq:
		return append(out, x...)
	}
	return append(out, r)
}

func (ev *evaluator) stagesOn(stages []stage, input any, env *frame) (any, error) {
	res := input
	for _, st := range stages {
		if st.filter != nil {
			var err error
			if res, err = ev.filter(st.filter, res, env); err != nil {
				return nil, err
			}
			continue
		}
		if ts, ok := res.(tupleSeq); ok {
			for i, it := range ts {
				t := it.(*tuple)
				ts[i] = &tuple{at: t.at, b: &binding{name: st.index, val: float64(i), next: t.b}}
			}
		}
	}
	return res, nil
}

// tupleStep evaluates a step of a path that carries a tuple stream.
func (ev *evaluator) tupleStep(n *node, input []any, prev tupleSeq, havePrev bool, env *frame) (tupleSeq, error) {
	if n.kind == nSort {
		var result tupleSeq
		if havePrev {
			res, err := ev.sortItems(n, prev, env)
			if err != nil {
				return nil, err
			}
			result = res.(tupleSeq)
		} else {
			res, err := ev.sortItems(n, append(Seq(nil), input...), env)
			if err != nil {
				return nil, err
			}
			sorted := asSeq(res)
			result = make(tupleSeq, len(sorted))
			for i, v := range sorted {
				t := &tuple{at: v}
				if n.index != "" {
					t.b = &binding{name: n.index, val: float64(i)}
				}
				result[i] = t
			}
		}
		if n.stages != nil {
			res, err := ev.stagesOn(n.stages, result, env)
			if err != nil {
				return nil, err
			}
			result, _ = res.(tupleSeq)
		}
		return result, nil
	}
	if !havePrev {
		prev = make(tupleSeq, len(input))
		for i, v := range input {
			prev[i] = &tuple{at: v}
		}
	}
	result := make(tupleSeq, 0, len(prev))
	for _, pt := range prev {
		t := pt.(*tuple)
		stepEnv := frameFromTuple(env, t)
		res, err := ev.eval(n, t.at, stepEnv)
		if err != nil {
			return nil, err
		}
		if IsUndefined(res) {
			continue
		}
		if ts, ok := res.(tupleSeq); ok {
			for _, r := range ts {
				rt := r.(*tuple)
				result = append(result, &tuple{at: rt.at, b: pushBindings(t.b, rt.b)})
			}
			continue
		}
		items := asSeq(res)
		for bb, v := range items {
			nt := &tuple{at: v, b: t.b}
			if n.focus != "" {
				nt.b = &binding{name: n.focus, val: v, next: nt.b}
				nt.at = t.at
			}
			if n.index != "" {
				nt.b = &binding{name: n.index, val: float64(bb), next: nt.b}
			}
			if n.ancestor != nil {
				nt.b = &binding{name: n.ancestor.label, val: t.at, next: nt.b}
			}
			result = append(result, nt)
		}
	}
	if n.stages != nil {
		res, err := ev.stagesOn(n.stages, result, env)
		if err != nil {
			return nil, err
		}
		result, _ = res.(tupleSeq)
	}
	return result, nil
}

// filter applies a predicate: a number selects by position (negative from
// the end), an array of numbers selects those positions, anything else is
// a condition on each item.
func (ev *evaluator) filter(pred *node, input any, env *frame) (any, error) {
	ts, isTuple := input.(tupleSeq)
	var items []any
	if isTuple {
		items = ts
	} else if isArray(input) {
		items = asSeq(input)
	} else {
		items = []any{input}
	}
	var results []any
	if pred.kind == nNumber {
		idx := int(math.Floor(pred.num))
		if idx < 0 {
			idx += len(items)
		}
		if idx >= 0 && idx < len(items) {
			item := items[idx]
			if a, ok := item.([]any); ok && !isTuple {
				return a, nil
			}
			if s, ok := item.(Seq); ok && !isTuple {
				return s, nil
			}
			if !IsUndefined(item) {
				results = append(results, item)
			}
		}
	} else {
		for index, item := range items {
			context := item
			e := env
			if isTuple {
				t := item.(*tuple)
				context = t.at
				e = frameFromTuple(env, t)
			}
			res, err := ev.eval(pred, context, e)
			if err != nil {
				return nil, err
			}
			if f, ok := res.(float64); ok {
				if _, isNum, nerr := numeric(f); nerr != nil {
					return nil, nerr
				} else if isNum {
					res = []any{f}
				}
			}
			if nums, ok, nerr := arrayOfNumbers(res); nerr != nil {
				return nil, nerr
			} else if ok {
				for _, f := range nums {
					ii := int(math.Floor(f))
					if ii < 0 {
						ii += len(items)
					}
					if ii == index {
						results = append(results, item)
					}
				}
			} else if ok, err := toBoolean(res); err != nil {
				return nil, err
			} else if ok {
				results = append(results, item)
			}
		}
	}
	if isTuple {
		return tupleSeq(results), nil
	}
	return Seq(results), nil
}

func arrayOfNumbers(v any) ([]float64, bool, *Error) {
	if !isArray(v) {
		return nil, false, nil
	}
	items := asSeq(v)
	nums := make([]float64, 0, len(items))
	for _, it := range items {
		f, ok, err := numeric(it)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, nil
		}
		nums = append(nums, f)
	}
	return nums, true, nil
}

func (ev *evaluator) binary(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	op := n.op
	if op == "and" || op == "or" {
		l, err := toBoolean(lhs)
		if err != nil {
			return nil, err
		}
		if op == "and" && !l {
			return false, nil
		}
		if op == "or" && l {
			return true, nil
		}
		rhs, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		return toBoolean(rhs)
	}
	rhs, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	res, e := binaryOp(op, lhs, rhs)
	if e != nil {
		e.Position = n.pos
		e.Token = op
		if e.Message == "" || strings.Contains(messages[e.Code], "{{token}}") {
			e.Message = fillMessage(messages[e.Code], jsonText(op), jsonText(e.Value))
		}
		return nil, e
	}
	return res, nil
}

func binaryOp(op string, lhs, rhs any) (any, *Error) {
	switch op {
	case "+", "-", "*", "/", "%":
		l, lok, err := numeric(lhs)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(lhs) && !lok {
			return nil, &Error{Code: "T2001", Value: lhs}
		}
		r, rok, err := numeric(rhs)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(rhs) && !rok {
			return nil, &Error{Code: "T2002", Value: rhs}
		}
		if !lok || !rok {
			return Undefined, nil
		}
		switch op {
		case "+":
			return l + r, nil
		case "-":
			return l - r, nil
		case "*":
			return l * r, nil
		case "/":
			return l / r, nil
		default:
			return math.Mod(l, r), nil
		}
	case "=", "!=":
		if IsUndefined(lhs) || IsUndefined(rhs) {
			return false, nil
		}
		eq := DeepEqual(lhs, rhs) || sameFunction(lhs, rhs)
		if op == "=" {
			return eq, nil
		}
		return !eq, nil
	case "<", "<=", ">", ">=":
		lc, rc := comparable(lhs), comparable(rhs)
		if !lc || !rc {
			v := lhs
			if _, ok := lhs.(string); !ok {
				if _, ok := lhs.(float64); ok {
					v = rhs
				}
			} else {
				v = rhs
			}
			return nil, &Error{Code: "T2010", Value: v}
		}
		if IsUndefined(lhs) || IsUndefined(rhs) {
			return Undefined, nil
		}
		switch l := lhs.(type) {
		case float64:
			r, ok := rhs.(float64)
			if !ok {
				return nil, &Error{Code: "T2009", Value: lhs, Message: "The values " + jsonText(lhs) + " and " + jsonText(rhs) + " either side of operator " + jsonText(op) + " must be of the same data type"}
			}
			return compareOrdered(op, l, r), nil
		case string:
			r, ok := rhs.(string)
			if !ok {
				return nil, &Error{Code: "T2009", Value: lhs, Message: "The values " + jsonText(lhs) + " and " + jsonText(rhs) + " either side of operator " + jsonText(op) + " must be of the same data type"}
			}
			return compareOrdered(op, float64(compareUTF16(l, r)), 0), nil
		}
	case "&":
		ls, err := concatOperand(lhs)
		if err != nil {
			return nil, err
		}
		rs, err := concatOperand(rhs)
		if err != nil {
			return nil, err
		}
		return ls + rs, nil
	case "..":
		return rangeOp(lhs, rhs)
	case "in":
		if IsUndefined(lhs) || IsUndefined(rhs) {
			return false, nil
		}
		items := []any{rhs}
		if isArray(rhs) {
			items = asSeq(rhs)
		}
		for _, it := range items {
			if strictEqual(lhs, it) {
				return true, nil
			}
		}
		return false, nil
	}
	return Undefined, nil
}

func concatOperand(v any) (string, *Error) {
	if IsUndefined(v) {
		return "", nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	s, err := stringify(v)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return "", e
		}
		return "", &Error{Code: "D3001", Message: err.Error()}
	}
	return s, nil
}

// compareUTF16 compares strings as JavaScript does, by UTF-16 code
// units: it differs from byte order only where a character beyond U+FFFF
// (a surrogate pair, units D800-DFFF) meets one in U+E000-U+FFFF.
func compareUTF16(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return sign(len(a) - len(b))
	}
	// back up to the start of the differing characters
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	// JavaScript compares UTF-16 code units: a character above U+FFFF is
	// two, and two such characters may share the first.
	a1, a2 := utf16Units(ra)
	b1, b2 := utf16Units(rb)
	if a1 != b1 {
		return sign(int(a1) - int(b1))
	}
	return sign(int(a2) - int(b2))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// utf16Units are r's UTF-16 code units; the second is 0 for a character
// of one unit.
func utf16Units(r rune) (rune, rune) {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10, 0xDC00 + (r-0x10000)&0x3FF
	}
	return r, 0
}

func compareOrdered[T float64 | string](op string, l, r T) bool {
	switch op {
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	}
	return l >= r
}

func comparable(v any) bool {
	switch v.(type) {
	case undefinedType, string, float64:
		return true
	}
	return false
}

// strictEqual is JavaScript's ===: values for primitives, identity for
// objects and functions.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case *Object:
		y, ok := b.(*Object)
		return ok && x == y
	}
	return false
}

func sameFunction(a, b any) bool {
	if !isFunction(a) || !isFunction(b) {
		return false
	}
	switch x := a.(type) {
	case *Builtin:
		y, ok := b.(*Builtin)
		return ok && x == y
	case *lambda:
		y, ok := b.(*lambda)
		return ok && x == y
	}
	return false
}

// maxRange is jsonata-js's limit on the size of a range (1e7 items).
const maxRange = 1e7

func rangeOp(lhs, rhs any) (any, *Error) {
	l, lok := lhs.(float64)
	if !IsUndefined(lhs) && (!lok || l != math.Trunc(l) || math.IsInf(l, 0)) {
		return nil, &Error{Code: "T2003", Value: lhs}
	}
	r, rok := rhs.(float64)
	if !IsUndefined(rhs) && (!rok || r != math.Trunc(r) || math.IsInf(r, 0)) {
		return nil, &Error{Code: "T2004", Value: rhs}
	}
	if !lok || !rok || l > r {
		return Undefined, nil
	}
	size := r - l + 1
	if size > maxRange {
		return nil, &Error{Code: "D2014", Value: size, Message: "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate " + jsonText(size) + "."}
	}
	out := make(Seq, int(size))
	for i := range out {
		out[i] = l + float64(i)
	}
	return out, nil
}

// group evaluates an object constructor or a group-by: each key
// expression over each input item, the items of a key then given to its
// value expression.
func (ev *evaluator) group(g *groupExpr, input any, env *frame) (any, error) {
	ts, reduce := input.(tupleSeq)
	var items []any
	switch {
	case reduce:
		items = ts
	case isArray(input):
		items = asSeq(input)
	default:
		items = []any{input}
	}
	if len(items) == 0 {
		items = []any{Undefined}
	}
	type entry struct {
		key       string
		data      any
		exprIndex int
	}
	var entries []entry
	groups := map[string]int{}
	for _, item := range items {
		e := env
		context := item
		if reduce {
			if t, ok := item.(*tuple); ok {
				e = frameFromTuple(env, t)
				context = t.at
			}
		}
		for pi, pair := range g.pairs {
			k, err := ev.eval(pair[0], context, e)
			if err != nil {
				return nil, err
			}
			if IsUndefined(k) {
				continue
			}
			key, ok := k.(string)
			if !ok {
				return nil, coreErr("T1003", g.pos, "", k)
			}
			if i, ok := groups[key]; ok {
				ent := &entries[i]
				if ent.exprIndex != pi {
					return nil, coreErr("D1009", g.pos, "", key)
				}
				ent.data = appendValues(ent.data, item)
			} else {
				groups[key] = len(entries)
				entries = append(entries, entry{key: key, data: item, exprIndex: pi})
			}
		}
	}
	out := NewObject(len(entries))
	for i := range entries {
		ent := &entries[i]
		key := ent.key
		context := ent.data
		e := env
		if reduce {
			t := reduceTuples(ent.data)
			context = t.at
			e = frameFromTuple(env, t)
		}
		v, err := ev.eval(g.pairs[ent.exprIndex][1], context, e)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(v) {
			out.Set(key, v)
		}
	}
	return out, nil
}

// reduceTuples merges the tuples of a group into one whose every binding
// is the sequence of the tuples' values.
func reduceTuples(data any) *tuple {
	if t, ok := data.(*tuple); ok {
		return t
	}
	items := asSeq(data)
	if len(items) == 0 {
		return &tuple{at: Undefined}
	}
	if len(items) == 1 {
		return items[0].(*tuple)
	}
	var names []string
	seen := map[string]bool{}
	var at any = Undefined
	for _, it := range items {
		t := it.(*tuple)
		at = appendValues(at, t.at)
		for b := t.b; b != nil; b = b.next {
			if !seen[b.name] {
				seen[b.name] = true
				names = append(names, b.name)
			}
		}
	}
	res := &tuple{at: at}
	for i := len(names) - 1; i >= 0; i-- {
		var acc any = Undefined
		for _, it := range items {
			if v, ok := it.(*tuple).get(names[i]); ok {
				acc = appendValues(acc, v)
			}
		}
		res.b = &binding{name: names[i], val: acc, next: res.b}
	}
	return res
}

// sortItems sorts the items of a sort step (a stable merge sort, as
// jsonata-js's) by its terms.
func (ev *evaluator) sortItems(n *node, input any, env *frame) (any, error) {
	ts, isTuple := input.(tupleSeq)
	var items []any
	if isTuple {
		items = ts
	} else {
		items = asSeq(input)
	}
	if len(items) <= 1 {
		if isTuple {
			return ts, nil
		}
		return Seq(items), nil
	}
	type keyed struct {
		item any
		keys []any
	}
	// evaluate each item's sort keys once
	ks := make([]keyed, len(items))
	for i, it := range items {
		context, e := it, env
		if isTuple {
			t := it.(*tuple)
			context, e = t.at, frameFromTuple(env, t)
		}
		ks[i].item = it
		ks[i].keys = make([]any, len(n.terms))
		for j, term := range n.terms {
			v, err := ev.eval(term.expr, context, e)
			if err != nil {
				return nil, err
			}
			ks[i].keys[j] = v
		}
	}
	// after reports whether a must come after b
	after := func(a, b *keyed) (bool, error) {
		for j, term := range n.terms {
			aa, bb := a.keys[j], b.keys[j]
			if IsUndefined(aa) {
				if IsUndefined(bb) {
					continue
				}
				return true, nil
			}
			if IsUndefined(bb) {
				return false, nil
			}
			as, aIsStr := aa.(string)
			an, aIsNum := aa.(float64)
			bs, bIsStr := bb.(string)
			bn, bIsNum := bb.(float64)
			if !(aIsStr || aIsNum) || !(bIsStr || bIsNum) {
				v := aa
				if aIsStr || aIsNum {
					v = bb
				}
				return false, coreErr("T2008", n.pos, "", v)
			}
			if aIsStr != bIsStr {
				return false, &Error{Code: "T2007", Position: n.pos, Value: aa, Message: "Type mismatch when comparing values " + jsonText(aa) + " and " + jsonText(bb) + " in order-by clause"}
			}
			var c int
			if aIsStr {
				c = compareUTF16(as, bs)
			} else if an < bn {
				c = -1
			} else if an > bn {
				c = 1
			}
			if c == 0 {
				continue
			}
			if term.descending {
				c = -c
			}
			return c == 1, nil
		}
		return false, nil
	}
	sorted := make([]*keyed, len(ks))
	for i := range ks {
		sorted[i] = &ks[i]
	}
	if err := mergeSort(sorted, make([]*keyed, len(ks)), after); err != nil {
		return nil, err
	}
	out := make([]any, len(sorted))
	for i, k := range sorted {
		out[i] = k.item
	}
	if isTuple {
		return tupleSeq(out), nil
	}
	return Seq(out), nil
}

// mergeSort is jsonata-js's stable top-down merge sort, in place (tmp is
// scratch of the same length): the left half, then the right half, then a
// merge that takes the right item only when after(left, right). It stops
// at the first error after returns. Order-by and $sort both use it, so a
// comparator sees the same pairs in the same order as in jsonata-js.
func mergeSort[T any](a, tmp []T, after func(a, b T) (bool, error)) error {
	if len(a) <= 1 {
		return nil
	}
	mid := len(a) / 2
	if err := mergeSort(a[:mid], tmp[:mid], after); err != nil {
		return err
	}
	if err := mergeSort(a[mid:], tmp[mid:], after); err != nil {
		return err
	}
	copy(tmp, a)
	left, right := tmp[:mid], tmp[mid:]
	k := 0
	for len(left) > 0 && len(right) > 0 {
		g, err := after(left[0], right[0])
		if err != nil {
			return err
		}
		if g {
			a[k] = right[0]
			right = right[1:]
		} else {
			a[k] = left[0]
			left = left[1:]
		}
		k++
	}
	k += copy(a[k:], left)
	copy(a[k:], right)
	return nil
}
