package jsonata

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
)

// registerNumericFunctions adds the numeric and aggregation functions
// (formatting and parsing numbers belong to lib_format.go).
func registerNumericFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "number", Signature: "<(nsb)-:n>", Fn: fnNumber})
	add(&Builtin{Name: "abs", Signature: "<n-:n>", Fn: libMathFunc(math.Abs)})
	add(&Builtin{Name: "floor", Signature: "<n-:n>", Fn: libMathFunc(math.Floor)})
	add(&Builtin{Name: "ceil", Signature: "<n-:n>", Fn: libMathFunc(math.Ceil)})
	add(&Builtin{Name: "round", Signature: "<n-n?:n>", Fn: fnRound})
	add(&Builtin{Name: "power", Signature: "<n-n:n>", Fn: fnPower})
	add(&Builtin{Name: "sqrt", Signature: "<n-:n>", Fn: fnSqrt})
	add(&Builtin{Name: "random", Signature: "<:n>", Fn: func(*Call, []any) (any, error) { return rand.Float64(), nil }})
	add(&Builtin{Name: "sum", Signature: "<a<n>:n>", Fn: fnSum})
	add(&Builtin{Name: "max", Signature: "<a<n>:n>", Fn: fnMax})
	add(&Builtin{Name: "min", Signature: "<a<n>:n>", Fn: fnMin})
	add(&Builtin{Name: "average", Signature: "<a<n>:n>", Fn: fnAverage})
}

func libMathFunc(f func(float64) float64) func(*Call, []any) (any, error) {
	return func(_ *Call, args []any) (any, error) {
		x, ok := libNumArg(args, 0)
		if !ok {
			return Undefined, nil
		}
		return f(x), nil
	}
}

// $number casts: a number as it is, true 1, false 0, a string in JSON's
// number form (leading zeros allowed) or 0x/0o/0b integer form; anything
// else is D3030.
func fnNumber(_ *Call, args []any) (any, error) {
	switch x := args[0].(type) {
	case undefinedType:
		return Undefined, nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		if isDecimalNumber(x) {
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f, nil
			}
		} else if matchesRadixForm(x) {
			// jsonata-js's pattern for these forms is anchored at one end
			// only, so it lets through strings JavaScript's Number() then
			// reads as NaN ("0x1g"): the result is NaN, as there.
			return jsStringToNumber(x), nil
		}
	}
	return nil, libError("D3030", args[0])
}

// isDecimalNumber matches -?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?.
func isDecimalNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// matchesRadixForm is jsonata-js's test
// /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/: a hex prefix at the
// start, an octal form anywhere, or a binary form at the end.
func matchesRadixForm(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && libUnhex(s[2]) >= 0 {
		return true
	}
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '0' && (s[i+1] == 'o' || s[i+1] == 'O') && s[i+2] >= '0' && s[i+2] <= '7' {
			return true
		}
	}
	j := len(s)
	for j > 0 && (s[j-1] == '0' || s[j-1] == '1') {
		j--
	}
	return j < len(s) && j >= 2 && s[j-2] == '0' && (s[j-1] == 'b' || s[j-1] == 'B')
}

// jsStringToNumber is JavaScript's Number(string): surrounding white space
// ignored, "" is 0, 0x/0o/0b integers, decimal literals, Infinity; NaN
// for anything else.
func jsStringToNumber(s string) float64 {
	s = strings.TrimFunc(s, isJSSpace)
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			n, ok := new(big.Int).SetString(s[2:], base)
			if !ok || n.Sign() < 0 || strings.ContainsAny(s[2:], "_+-") {
				return math.NaN()
			}
			f, _ := new(big.Float).SetInt(n).Float64()
			return f
		}
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "Infinity" {
		if s[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	// A decimal literal: digits with an optional point ("1.", ".5") and
	// exponent; ParseFloat accepts more (hex floats, "inf", "_"), so check.
	i, n := 0, 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
		n++
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		m := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
			m++
		}
		if m == 0 {
			return math.NaN()
		}
	}
	if i != len(body) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// libJSRound is JavaScript's Math.round: to the nearest integer, a half up
// (toward +Infinity); -0.4 is -0.
func libJSRound(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == math.Trunc(x) {
		return x
	}
	f := math.Floor(x)
	if x-f >= 0.5 {
		f++
	}
	if f == 0 && x < 0 {
		return math.Copysign(0, -1)
	}
	return f
}

// roundShiftDecimal is jsonata-js's exact decimal shift: x times 10^by done on
// the decimal text of x ("1.005" "e" "2"), which multiplying would not do
// exactly. A by that is not an integer gives NaN, as the text "1e2.5" does.
func roundShiftDecimal(x, by float64) float64 {
	s := jsNumberString(x)
	mant, exp := s, 0.0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant = s[:i]
		e, _ := strconv.Atoi(s[i+1:])
		exp = float64(e)
	}
	return jsStringToNumber(mant + "e" + jsNumberString(exp+by))
}

// $round rounds half to even, to a number of decimal places (negative:
// to tens, hundreds …).
func fnRound(_ *Call, args []any) (any, error) {
	x, ok := libNumArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	precision, _ := libNumArg(args, 1)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x, nil
	}
	if precision != 0 && !math.IsNaN(precision) {
		x = roundShiftDecimal(x, precision)
	}
	r := libJSRound(x)
	if math.Abs(r-x) == 0.5 && math.Abs(math.Mod(r, 2)) == 1 {
		r-- // a half was rounded up to an odd number: go to the even one
	}
	if precision != 0 && !math.IsNaN(precision) && !math.IsNaN(r) && !math.IsInf(r, 0) {
		r = roundShiftDecimal(r, -precision)
	}
	if r == 0 {
		r = 0 // JSON has no -0
	}
	return r, nil
}

func fnSqrt(_ *Call, args []any) (any, error) {
	x, ok := libNumArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	if x < 0 {
		return nil, libError("D3060", x)
	}
	return math.Sqrt(x), nil
}

// libJSPow is Math.pow where it differs from math.Pow: a NaN exponent, or a
// base of ±1 with an infinite exponent, is NaN.
func libJSPow(x, y float64) float64 {
	if math.IsNaN(y) || (math.IsInf(y, 0) && math.Abs(x) == 1) {
		return math.NaN()
	}
	return math.Pow(x, y)
}

func fnPower(_ *Call, args []any) (any, error) {
	x, ok := libNumArg(args, 0)
	if !ok {
		return Undefined, nil
	}
	y, _ := libNumArg(args, 1)
	r := libJSPow(x, y)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return nil, &Error{Code: "D3061", Value: x, Message: fillLibMessage(messages["D3061"], map[string]string{"value": jsonForMessage(x), "exp": jsonForMessage(y)})}
	}
	return r, nil
}

func fnSum(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	total := 0.0
	for _, it := range items {
		f, _ := it.(float64)
		total += f
	}
	return total, nil
}

func fnMax(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok || len(items) == 0 {
		return Undefined, nil
	}
	m := math.Inf(-1)
	for _, it := range items {
		f, _ := it.(float64)
		m = math.Max(m, f)
	}
	return m, nil
}

func fnMin(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok || len(items) == 0 {
		return Undefined, nil
	}
	m := math.Inf(1)
	for _, it := range items {
		f, _ := it.(float64)
		m = math.Min(m, f)
	}
	return m, nil
}

func fnAverage(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok || len(items) == 0 {
		return Undefined, nil
	}
	total := 0.0
	for _, it := range items {
		f, _ := it.(float64)
		total += f
	}
	return total / float64(len(items)), nil
}
