// Package jsonata is a JSONata 2.0.6 engine: an expression is compiled
// once (Compile) and evaluated many times (Expression.Evaluate), with the
// language and the function library exactly as jsonata-js 2.0.6 defines
// them. It has no global mutable state and a compiled Expression is safe
// for concurrent use.
//
// Values are Go values:
//
//	Undefined   JSONata's undefined (no value: a missing field, an empty sequence)
//	nil         JSON null
//	bool        true / false
//	float64     a number (JSONata numbers are IEEE doubles, as in JavaScript)
//	string      a string
//	[]any       an array
//	Seq         a sequence: the result of navigating a path or of a function
//	            that returns one; when a result is finished, a sequence of one
//	            item is that item and an empty one is Undefined
//	*Object     an object, members in insertion order
//	*Regex      a regular expression (a /.../ literal)
//	Function    a function value: a lambda, a builtin, a partial application
//
// The whole jsonata-js 2.0.6 test suite passes (TestSuite), and
// TestDifferential compares the engine with jsonata-js itself on generated
// expressions. What differs, on purpose or because Go is not JavaScript:
//
//   - Regular expressions run on Go's RE2 (linear time: no pattern can
//     hang a node), with JavaScript's syntax translated. What RE2 cannot
//     do — lookahead, lookbehind, backreferences, repeat counts over 1000,
//     patterns over 16 KiB — is refused when the expression is compiled
//     (S0303). Smaller differences are listed on the Regex type.
//   - When several items of an array or object constructor fail,
//     jsonata-js reports whichever failure its promise scheduling meets
//     first; this engine reports the first item's.
//   - jsonata-js's group-by pushes undefined into an empty input array
//     (it changes the input); this engine does not change its input.
//   - Where jsonata-js crashes or never returns, this engine answers: $pad
//     to a width that is not an integer is D3000, $sift without a function
//     T0410, roman numerals of huge numbers D3130, and $formatNumber with an
//     exponent picture formats 0 and negative numbers.
//   - Runaway recursion is an error (U1001) after WithMaxDepth levels
//     (10,000 by default), not a stack overflow.
package jsonata

// undefinedType is the type of Undefined.
type undefinedType struct{}

// Undefined is JSONata's undefined.
var Undefined any = undefinedType{}

// IsUndefined reports whether v is Undefined.
func IsUndefined(v any) bool {
	_, ok := v.(undefinedType)
	return ok
}

// Seq is a sequence (see the package comment).
type Seq []any

// Object is a JSON object whose members keep their insertion order.
//
// Members are two parallel slices, searched linearly while the object is
// small (most are: a map per object cost more than the evaluation around
// it), with an index by name once it has more than indexAt members.
type Object struct {
	keys  []string
	vals  []any
	index map[string]int // nil until len(keys) > indexAt
}

const indexAt = 8

// NewObject returns an empty object with room for n members. A small
// object and its members are one allocation.
func NewObject(n int) *Object {
	if n <= 4 {
		p := &struct {
			o Object
			k [4]string
			v [4]any
		}{}
		p.o.keys, p.o.vals = p.k[:0:4], p.v[:0:4]
		return &p.o
	}
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

func (o *Object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

func (o *Object) reindex() {
	if len(o.keys) <= indexAt {
		o.index = nil
		return
	}
	if o.index == nil {
		o.index = make(map[string]int, len(o.keys))
	} else {
		clear(o.index)
	}
	for i, k := range o.keys {
		o.index[k] = i
	}
}

// Get returns the member k, and whether there is one.
func (o *Object) Get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Set sets member k. A new member goes last, except that, as in a
// JavaScript object (which is what jsonata-js builds), members whose names
// are array indexes ("0", "7", "42") come first, in ascending order.
func (o *Object) Set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	at := len(o.keys)
	if n, isIndex := arrayIndex(k); isIndex {
		for i, key := range o.keys {
			if m, ok := arrayIndex(key); !ok || m > n {
				at = i
				break
			}
		}
	}
	if at == len(o.keys) {
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, v)
		if o.index != nil {
			o.index[k] = at
		} else if len(o.keys) > indexAt {
			o.reindex()
		}
		return
	}
	o.keys = append(o.keys, "")
	copy(o.keys[at+1:], o.keys[at:])
	o.keys[at] = k
	o.vals = append(o.vals, nil)
	copy(o.vals[at+1:], o.vals[at:])
	o.vals[at] = v
	if o.index != nil || len(o.keys) > indexAt {
		o.reindex()
	}
}

// arrayIndex reports whether k is the canonical text of an array index
// (0 to 2^32-2, no sign, no leading zero), which JavaScript objects list
// before their other properties.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n < 1<<32-1
}

// Delete removes member k.
func (o *Object) Delete(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
	if o.index != nil {
		o.reindex()
	}
}

// Keys returns the member names in order; the caller must not change it.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// Len is the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Clone returns a shallow copy.
func (o *Object) Clone() *Object {
	c := &Object{keys: append([]string(nil), o.Keys()...)}
	if o != nil {
		c.vals = append([]any(nil), o.vals...)
	}
	c.reindex()
	return c
}

// Function is a function value. Builtins, lambdas and partial applications
// implement it; the evaluator calls them through Call.Apply.
type Function interface {
	// Arity is the number of parameters the function declares (for
	// $map, $filter, $reduce …, which pass as many arguments as it takes).
	Arity() int
}

// Builtin is a function of the library.
type Builtin struct {
	Name string
	// Signature is the function's JSONata signature ("<s-nn?:s>"): the
	// evaluator checks and coerces the arguments against it (T0410, T0411,
	// T0412, …) before Fn sees them, and supplies the context item for a
	// '-' parameter.
	Signature string
	// Fn computes the result. args are validated against Signature; a
	// sequence argument arrives as Seq or []any, an absent optional one as
	// Undefined.
	Fn func(c *Call, args []any) (any, error)
}

// Arity implements Function: the number of parameters of the signature.
func (b *Builtin) Arity() int { return signatureArity(b.Signature) }

// Call is what a builtin is given besides its arguments.
type Call struct {
	// Input is the context item of the call (the focus of the path step
	// the call is in).
	Input any
	// Apply calls a function value with arguments, as the evaluator does
	// (for $map, $filter, $sort's comparator, …).
	Apply func(fn any, args []any) (any, error)
	// Eval compiles and evaluates expr against input with the calling
	// environment's bindings ($eval).
	Eval func(expr string, input any) (any, error)
	// Now is the evaluation's timestamp in milliseconds since the epoch:
	// every $now() and $millis() of one evaluation returns the same.
	Now int64
}

// signatureArity counts the parameters of a signature "<...:r>".
func signatureArity(sig string) int {
	n := 0
	depth := 0
	for i := 0; i < len(sig); i++ {
		c := sig[i]
		switch {
		case i == 0 && c == '<':
			continue
		case c == ':' && depth == 0:
			return n
		case c == '<':
			depth++
		case c == '>':
			if depth == 0 {
				return n
			}
			depth--
		case c == '(':
			depth++ // a choice of types is one parameter
			if depth == 1 {
				n++
			}
		case c == ')':
			depth--
		case depth == 0 && (c == '?' || c == '+' || c == '-'):
			// modifiers of the parameter before
		case depth == 0:
			n++
		}
	}
	return n
}

// DeepEqual is JSONata's equality of two values (= and !=, $distinct …):
// numbers, strings, booleans and null by value, arrays item by item,
// objects member by member whatever their order; functions never equal.
func DeepEqual(a, b any) bool {
	switch x := a.(type) {
	case undefinedType:
		return IsUndefined(b)
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		return deepEqualArrays(x, b)
	case Seq:
		return deepEqualArrays(x, b)
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok {
				return false
			}
			xv, _ := x.Get(k)
			if !DeepEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

func deepEqualArrays(x []any, b any) bool {
	var y []any
	switch t := b.(type) {
	case []any:
		y = t
	case Seq:
		y = t
	default:
		return false
	}
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !DeepEqual(x[i], y[i]) {
			return false
		}
	}
	return true
}

// Truthy is JSONata's boolean cast ($boolean, predicates, conditions, and,
// or): false for undefined, null, false, 0, "", empty arrays and objects,
// functions; an array is true when any of its items is.
func Truthy(v any) bool {
	switch x := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && x == x // NaN (0/0, 7 % 0) is false, as in jsonata-js
	case string:
		return x != ""
	case []any:
		return anyTruthy(x)
	case Seq:
		return anyTruthy(x)
	case *Object:
		return x.Len() > 0
	}
	return false // functions, regexes
}

func anyTruthy(a []any) bool {
	for _, v := range a {
		if Truthy(v) {
			return true
		}
	}
	return false
}
