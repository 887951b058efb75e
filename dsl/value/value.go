// Package value is the JSON data model of sfn: the document that flows
// between states. Objects keep their key order (AWS Step Functions does, and
// it shows in States.JsonToString, States.Format and every output) and numbers
// keep their literal text, so what comes in goes out unchanged.
//
// A Value is one of:
//
//	nil       JSON null
//	bool      true / false
//	Number    a number, as its JSON text
//	string    a string
//	[]any     an array
//	*Object   an object, members in order
//
// Values are treated as immutable once built: functions that change a
// document (ResultPath, templates) build new spines and share untouched
// subtrees, so one execution can never see another's mutation.
package value

import (
	"math"
	"strconv"
	"strings"
)

// Value is a JSON value (see the package comment for the dynamic types).
type Value = any

// Number is a JSON number kept as its literal text.
type Number string

// Float64 returns the number as a float64 (NaN when the text is not a number).
func (n Number) Float64() float64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// Int64 returns the number as an int64 when it is integral and fits.
func (n Number) Int64() (int64, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f := n.Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// IsInteger reports whether the number has no fractional part.
func (n Number) IsInteger() bool {
	if !strings.ContainsAny(string(n), ".eE") {
		return true
	}
	f := n.Float64()
	return !math.IsInf(f, 0) && !math.IsNaN(f) && f == math.Trunc(f)
}

// MarshalJSON writes the number's text.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// Int makes a Number from an int.
func Int(i int64) Number { return Number(strconv.FormatInt(i, 10)) }

// Float makes a Number from a float64, integral values without a fraction.
func Float(f float64) Number {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return Number(strconv.FormatInt(int64(f), 10))
	}
	return Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// Member is one key and value of an Object.
type Member struct {
	Key   string
	Value Value
}

// Object is a JSON object that keeps its members in order. Lookups are linear
// for small objects and indexed for larger ones.
type Object struct {
	members []Member
	index   map[string]int // built lazily once the object is large
}

const indexThreshold = 16

// NewObject returns an empty object with room for n members. A small
// object and its members are one allocation (most objects are small, and
// a step builds many).
func NewObject(n int) *Object {
	switch {
	case n <= 4:
		p := &struct {
			o Object
			m [4]Member
		}{}
		p.o.members = p.m[:0:4]
		return &p.o
	case n <= 8:
		p := &struct {
			o Object
			m [8]Member
		}{}
		p.o.members = p.m[:0:8]
		return &p.o
	}
	return &Object{members: make([]Member, 0, n)}
}

// ObjectOf builds an object from alternating keys and values, for tests and
// literals: ObjectOf("a", Number("1"), "b", "x").
func ObjectOf(kv ...any) *Object {
	o := NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Len is the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// Members returns the members in order. The slice must not be modified.
func (o *Object) Members() []Member {
	if o == nil {
		return nil
	}
	return o.members
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	keys := make([]string, len(o.members))
	for i, m := range o.members {
		keys[i] = m.Key
	}
	return keys
}

func (o *Object) find(k string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].Key == k {
			return i
		}
	}
	return -1
}

// Get returns the value of key k.
func (o *Object) Get(k string) (Value, bool) {
	if i := o.find(k); i >= 0 {
		return o.members[i].Value, true
	}
	return nil, false
}

// Has reports whether key k is present.
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set sets k to v in place, keeping the position of an existing key and
// appending a new one. Use it only on objects being built; shared objects
// are changed with With.
func (o *Object) Set(k string, v Value) {
	if i := o.find(k); i >= 0 {
		o.members[i].Value = v
		return
	}
	o.members = append(o.members, Member{Key: k, Value: v})
	if o.index != nil {
		o.index[k] = len(o.members) - 1
	} else if len(o.members) > indexThreshold {
		o.index = make(map[string]int, len(o.members)*2)
		for i, m := range o.members {
			o.index[m.Key] = i
		}
	}
}

// With returns a copy of o with k set to v; o is unchanged.
func (o *Object) With(k string, v Value) *Object {
	c := o.shallowCopy(1)
	c.Set(k, v)
	return c
}

// Without returns a copy of o without key k.
func (o *Object) Without(k string) *Object {
	c := NewObject(o.Len())
	for _, m := range o.Members() {
		if m.Key != k {
			c.Set(m.Key, m.Value)
		}
	}
	return c
}

func (o *Object) shallowCopy(extra int) *Object {
	c := &Object{members: make([]Member, len(o.Members()), o.Len()+extra)}
	copy(c.members, o.Members())
	if len(c.members) > indexThreshold {
		c.index = make(map[string]int, len(c.members)*2)
		for i, m := range c.members {
			c.index[m.Key] = i
		}
	}
	return c
}

// MarshalJSON encodes the object with its members in order.
func (o *Object) MarshalJSON() ([]byte, error) { return Append(nil, o), nil }

// Clone returns a deep copy of v. Values are immutable by convention; Clone
// is for the few places that hand data to code that may not honour it.
func Clone(v Value) Value {
	switch t := v.(type) {
	case *Object:
		c := NewObject(t.Len())
		for _, m := range t.members {
			c.Set(m.Key, Clone(m.Value))
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// TypeName names the JSON type of v: null, boolean, number, string, array, object.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case *Object:
		return "object"
	default:
		return "unknown"
	}
}

// Equal reports whether a and b are equal JSON values: numbers compare by
// value (1 == 1.0), objects regardless of key order.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Number:
		y, ok := b.(Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		return x.Float64() == y.Float64()
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, m := range x.Members() {
			w, ok := y.Get(m.Key)
			if !ok || !Equal(m.Value, w) {
				return false
			}
		}
		return true
	}
	return false
}

// FromGo converts plain Go values (as produced by encoding/json into any,
// or literals in tests) into Values. Maps are ordered by key.
func FromGo(v any) Value {
	switch t := v.(type) {
	case nil, bool, string, Number, *Object:
		return t
	case int:
		return Int(int64(t))
	case int64:
		return Int(t)
	case float64:
		return Float(t)
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = FromGo(e)
		}
		return c
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sortStrings(keys)
		o := NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, FromGo(t[k]))
		}
		return o
	default:
		if s, ok := v.(interface{ String() string }); ok {
			return s.String()
		}
		return nil
	}
}

// ToGo converts v into plain Go values (map[string]any, []any, string,
// bool, nil) for libraries that do not know this package, such as a JSON
// Schema validator or an expression evaluator. Each of them wants numbers in
// its own form, so number converts every Number.
func ToGo(v Value, number func(Number) any) any {
	switch t := v.(type) {
	case Number:
		return number(t)
	case *Object:
		m := make(map[string]any, t.Len())
		for _, mem := range t.Members() {
			m[mem.Key] = ToGo(mem.Value, number)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = ToGo(e, number)
		}
		return a
	default:
		return v
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
