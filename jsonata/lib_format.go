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

// formatMessages are the texts of the codes this file and the date/time
// functions raise, as jsonata-js words them.
var formatMessages = map[string]string{
	"D3080": "The picture string must only contain a maximum of two sub-pictures",
	"D3081": "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
	"D3082": "The sub-picture must not contain more than one instance of the 'percent' character",
	"D3083": "The sub-picture must not contain more than one instance of the 'per-mille' character",
	"D3084": "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
	"D3085": "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
	"D3086": "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
	"D3087": "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
	"D3088": "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
	"D3089": "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
	"D3090": "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
	"D3091": "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
	"D3092": "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
	"D3093": "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
	"D3100": "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
	"D3110": "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
	"D3130": "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation",
	"D3131": "In a decimal digit pattern, all digits must be from the same decimal group",
	"D3132": "Unknown component specifier {{value}} in date/time picture string",
	"D3133": "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}",
	"D3134": "The timezone integer format specifier cannot have more than four digits",
	"D3135": "No matching closing bracket ']' in date/time picture string",
	"D3136": "The date/time picture string is missing specifiers required to parse the timestamp",
}

func init() {
	for k, v := range formatMessages {
		messages[k] = v
	}
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
