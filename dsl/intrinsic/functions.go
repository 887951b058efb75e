package intrinsic

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// kind is the JSON type a parameter accepts.
type kind int

const (
	kAny kind = iota
	kString
	kNumber  // any number (the functions that round decimals take these)
	kInteger // a number without a fractional part
	kArray
	kObject
	kBool
)

var kindNames = [...]string{
	kAny: "any value", kString: "a string", kNumber: "a number", kInteger: "an integer",
	kArray: "an array", kObject: "an object", kBool: "a boolean",
}

// param describes one parameter: its type and an optional check of the value
// that returns a problem ("" when fine). The same checks run on literal
// arguments at parse time and on every argument at run time.
type param struct {
	kind  kind
	valid func(v value.Value) string
}

func (p param) check(v value.Value) string {
	ok := true
	switch p.kind {
	case kString:
		_, ok = v.(string)
	case kNumber:
		_, ok = v.(value.Number)
	case kInteger:
		var n value.Number
		if n, ok = v.(value.Number); ok && !n.IsInteger() {
			return "must be an integer, got " + string(n)
		}
	case kArray:
		_, ok = v.([]any)
	case kObject:
		_, ok = v.(*value.Object)
	case kBool:
		_, ok = v.(bool)
	}
	if !ok {
		return "must be " + kindNames[p.kind] + ", got " + describe(v)
	}
	if p.valid != nil {
		return p.valid(v)
	}
	return ""
}

// describe names a value's type for messages, with the value when short.
func describe(v value.Value) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case value.Number:
		return "the number " + string(t)
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	case string:
		if len(t) <= 30 {
			return "the string " + strconv.Quote(t)
		}
		return "a string"
	default:
		return value.TypeName(v)
	}
}

// function is one intrinsic: its parameters (rest repeats after them for
// variadic functions), the fewest arguments it takes, optional extra
// load-time checks, and its implementation over checked argument values.
// argSize, for functions whose result grows with every argument, says how
// many bytes argument i adds to the result (room is what is left under the
// payload limit; false once it is passed), so that evaluation stops at the
// argument that passes the limit rather than after computing them all.
type function struct {
	name    string
	params  []param
	min     int
	rest    *param
	static  func(n *callNode) string
	impl    func(env *Env, n *callNode, args []value.Value) (value.Value, error)
	argSize func(n *callNode, i int, v value.Value, room int) (int, bool)
}

func (f *function) param(i int) param {
	if i < len(f.params) {
		return f.params[i]
	}
	if f.rest != nil {
		return *f.rest
	}
	return param{kind: kAny}
}

func (f *function) arity() string {
	switch {
	case f.rest != nil && f.min == 0:
		return "any number of arguments"
	case f.rest != nil:
		return "at least " + plural(f.min, "argument")
	case f.min == len(f.params):
		return plural(f.min, "argument")
	default:
		return itoa(f.min) + " or " + plural(len(f.params), "argument")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}

func itoa(i int) string { return strconv.Itoa(i) }

var anyParam = param{kind: kAny}

// functions is the table of intrinsics, by full name.
var functions = map[string]*function{}

func init() {
	for _, f := range []*function{
		{name: "States.Format", params: []param{{kind: kString}}, min: 1, rest: &anyParam, static: formatStatic, impl: format, argSize: formatArgSize},
		{name: "States.StringToJson", params: []param{{kind: kString}}, min: 1, impl: stringToJSON},
		{name: "States.JsonToString", params: []param{anyParam}, min: 1, impl: jsonToString, argSize: jsonArgSize},
		{name: "States.JsonMerge", params: []param{{kind: kObject}, {kind: kObject}, {kind: kBool, valid: mustBeFalse}}, min: 3, impl: jsonMerge},
		{name: "States.Array", min: 0, rest: &anyParam, impl: array, argSize: jsonArgSize},
		{name: "States.ArrayPartition", params: []param{{kind: kArray}, {kind: kNumber, valid: roundsToPositive}}, min: 2, impl: arrayPartition},
		{name: "States.ArrayContains", params: []param{{kind: kArray}, anyParam}, min: 2, impl: arrayContains},
		{name: "States.ArrayRange", params: []param{{kind: kNumber, valid: roundsToInt64}, {kind: kNumber, valid: roundsToInt64}, {kind: kNumber, valid: roundsToNonZero}}, min: 3, impl: arrayRange},
		{name: "States.ArrayGetItem", params: []param{{kind: kArray}, {kind: kInteger, valid: nonNegative}}, min: 2, impl: arrayGetItem},
		{name: "States.ArrayLength", params: []param{{kind: kArray}}, min: 1, impl: arrayLength},
		{name: "States.ArrayUnique", params: []param{{kind: kArray}}, min: 1, impl: arrayUnique},
		{name: "States.Base64Encode", params: []param{{kind: kString, valid: maxChars(maxEncodeInput)}}, min: 1, impl: base64Encode},
		{name: "States.Base64Decode", params: []param{{kind: kString, valid: maxChars(maxDecodeInput)}}, min: 1, impl: base64Decode},
		{name: "States.Hash", params: []param{{kind: kString, valid: maxChars(maxHashInput)}, {kind: kString, valid: knownAlgorithm}}, min: 2, impl: hashDigest},
		{name: "States.MathRandom", params: []param{{kind: kNumber, valid: roundsToInt32}, {kind: kNumber, valid: roundsToInt32}, {kind: kNumber, valid: roundsToInt32}}, min: 2, impl: mathRandom},
		{name: "States.MathAdd", params: []param{{kind: kNumber, valid: roundsToInt32}, {kind: kNumber, valid: roundsToInt32}}, min: 2, impl: mathAdd},
		{name: "States.StringSplit", params: []param{{kind: kString}, {kind: kString}}, min: 2, impl: stringSplit},
		{name: "States.UUID", min: 0, impl: uuid},
	} {
		functions[f.name] = f
	}
}

// Value checks shared by several functions.

func nonNegative(v value.Value) string {
	if i, ok := v.(value.Number).Int64(); !ok || i < 0 {
		return "must be a non-negative integer, got " + string(v.(value.Number))
	}
	return ""
}

// roundsToInt64 accepts a number that, rounded to the nearest integer, fits
// an int64.
func roundsToInt64(v value.Value) string {
	if _, ok := roundInt64(v.(value.Number)); !ok {
		return "is out of range: " + string(v.(value.Number))
	}
	return ""
}

// roundsToPositive accepts a number that rounds to a positive integer.
func roundsToPositive(v value.Value) string {
	if i, ok := roundInt64(v.(value.Number)); !ok || i <= 0 {
		return "must be a positive integer, got " + roundedText(v.(value.Number))
	}
	return ""
}

// roundsToNonZero accepts a number that rounds to an integer other than 0.
func roundsToNonZero(v value.Value) string {
	if i, ok := roundInt64(v.(value.Number)); !ok || i == 0 {
		return "must be a non-zero integer, got " + roundedText(v.(value.Number))
	}
	return ""
}

// roundedText shows a number and, when it has a fraction, what it rounds to.
func roundedText(n value.Number) string {
	if n.IsInteger() {
		return string(n)
	}
	if i, ok := roundInt64(n); ok {
		return string(n) + " (rounded to " + string(value.Int(i)) + ")"
	}
	return string(n)
}

func mustBeFalse(v value.Value) string {
	if v.(bool) {
		return "must be false (only shallow merges are supported)"
	}
	return ""
}

// roundHalfUp rounds to the nearest integer as Java's Math.round does:
// halves go towards +Inf (1.5 -> 2, -1.5 -> -1, -2.5 -> -2). AWS documents
// that ArrayRange, ArrayPartition's chunk size, MathRandom's bounds and
// MathAdd "round it off to the nearest integer" without saying where halves
// go; Step Functions runs on Java, so its rule is the one used here.
// Written with Floor and a comparison so 0.49999999999999994 stays 0.
func roundHalfUp(f float64) float64 {
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return r
}

// roundsToInt32 accepts numbers that, rounded half-up, fit a 32-bit integer
// (AWS documents the range -2147483648..2147483647 for the math intrinsics).
func roundsToInt32(v value.Value) string {
	f := v.(value.Number).Float64()
	if math.IsNaN(f) {
		return "is not a valid number: " + string(v.(value.Number))
	}
	if r := roundHalfUp(f); r < math.MinInt32 || r > math.MaxInt32 {
		return "must be within -2147483648..2147483647, got " + string(v.(value.Number))
	}
	return ""
}

func maxChars(limit int) func(v value.Value) string {
	return func(v value.Value) string {
		if n := utf8.RuneCountInString(v.(string)); n > limit {
			return "is too long: " + itoa(n) + " characters, at most " + itoa(limit) + " allowed"
		}
		return ""
	}
}

// roundInt64 rounds n to the nearest integer (roundHalfUp) and reports
// whether the result fits an int64. Integers are taken exactly, so large
// ones keep every digit.
func roundInt64(n value.Number) (int64, bool) {
	if n.IsInteger() {
		return n.Int64()
	}
	f := n.Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	r := roundHalfUp(f)
	if r < math.MinInt64 || r >= math.MaxInt64 {
		return 0, false
	}
	return int64(r), true
}

func int32Of(v value.Value) int64 { return int64(roundHalfUp(v.(value.Number).Float64())) }

// int64Of is an argument that a check has accepted as an integer.
func int64Of(v value.Value) int64 {
	i, _ := v.(value.Number).Int64()
	return i
}

// roundedOf is an argument that a check has accepted as rounding to an int64.
func roundedOf(v value.Value) int64 {
	i, _ := roundInt64(v.(value.Number))
	return i
}
