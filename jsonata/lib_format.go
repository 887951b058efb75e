package jsonata

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// registerFormatFunctions adds $formatNumber, $formatBase, $formatInteger
// and $parseInteger.
func registerFormatFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "formatNumber", Signature: "<n-so?:s>", Fn: fnFormatNumber})
	add(&Builtin{Name: "formatBase", Signature: "<n-n?:s>", Fn: fnFormatBase})
	add(&Builtin{Name: "formatInteger", Signature: "<n-s:s>", Fn: fnFormatInteger})
	add(&Builtin{Name: "parseInteger", Signature: "<s-s:n>", Fn: fnParseInteger})
}

// fnFormatInteger is $formatInteger(number, picture).
func fnFormatInteger(_ *Call, args []any) (any, error) {
	value, ok := args[0].(float64)
	if !ok {
		return Undefined, nil
	}
	picture, _ := args[1].(string)
	f, err := analyseIntPicture(picture)
	if err != nil {
		return nil, err
	}
	return formatInt(math.Floor(value), f)
}

// fnParseInteger is $parseInteger(string, picture).
func fnParseInteger(_ *Call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	picture, _ := args[1].(string)
	f, err := analyseIntPicture(picture)
	if err != nil {
		return nil, err
	}
	return parseInt(s, f)
}

// fnFormatBase is $formatBase(number [, radix]).
func fnFormatBase(_ *Call, args []any) (any, error) {
	value, ok := args[0].(float64)
	if !ok {
		return Undefined, nil
	}
	value = roundHalfEven(value, 0)
	radix := 10.0
	if r, ok := args[1].(float64); ok {
		radix = roundHalfEven(r, 0)
	}
	if !(radix >= 2 && radix <= 36) {
		return nil, newError("D3100", 0, "", radix)
	}
	return integerInRadix(value, int(radix)), nil
}

// integerInRadix writes an integral number in a radix as JavaScript's
// toString(radix) does.
func integerInRadix(v float64, radix int) string {
	if radix == 10 || math.IsNaN(v) || math.IsInf(v, 0) {
		return jsNumberString(v)
	}
	if math.Abs(v) < 1<<63 {
		return strconv.FormatInt(int64(v), radix)
	}
	n, _ := big.NewFloat(v).Int(nil) // exact: v is an integer
	return n.Text(radix)
}

// roundHalfEven is $round(arg, precision) of jsonata-js (fnRound: the
// decimal point is moved in the number's decimal text, halves go to even).
func roundHalfEven(arg float64, precision int) float64 {
	r, _ := fnRound(nil, []any{arg, float64(precision)})
	f, _ := r.(float64)
	return f
}

// jsToFixed is JavaScript's x.toFixed(digits) for x >= 0: digits after the
// point, an exact tie rounded up; from 1e21 the number's own text.
func jsToFixed(x float64, digits int) string {
	if x >= 1e21 || math.IsNaN(x) || math.IsInf(x, 0) {
		return jsNumberString(x)
	}
	s := strconv.FormatFloat(x, 'f', digits, 64)
	// Go rounds an exact tie to even; JavaScript picks the larger. A tie
	// can only be when the next digit is a 5 with nothing after it.
	longer := strconv.FormatFloat(x, 'f', digits+1, 64)
	if longer[len(longer)-1] != '5' {
		return s
	}
	exact := new(big.Float).SetPrec(2048).SetFloat64(x)
	exact.Mul(exact, new(big.Float).SetPrec(2048).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits+1)), nil)))
	if !exact.IsInt() {
		return s
	}
	// exact tie: round the magnitude up by hand
	scaled := new(big.Float).SetPrec(2048).SetFloat64(x)
	scaled.Mul(scaled, new(big.Float).SetPrec(2048).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
	scaled.Add(scaled, big.NewFloat(0.5))
	n, _ := scaled.Int(nil)
	text := n.String()
	if digits == 0 {
		return text
	}
	if len(text) <= digits {
		text = strings.Repeat("0", digits-len(text)+1) + text
	}
	return text[:len(text)-digits] + "." + text[len(text)-digits:]
}
