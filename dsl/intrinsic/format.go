package intrinsic

import (
	"math"
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/dsl/value"
)

// formatStatic checks a literal template against the argument count.
func formatStatic(n *callNode) string {
	lit, ok := n.args[0].(*litNode)
	if !ok || lit.parts == nil {
		return ""
	}
	if holes := len(lit.parts) - 1; holes != len(n.args)-1 {
		return "the template has " + plural(holes, "placeholder") + " but " + plural(len(n.args)-1, "value") + " follow it"
	}
	return ""
}

// format is States.Format. A literal template keeps escaped braces apart
// from placeholders; a template read from a path has no escapes, so every
// "{}" in it is a placeholder.
func format(_ *Env, n *callNode, args []value.Value) (value.Value, error) {
	var parts []string
	if lit, ok := n.args[0].(*litNode); ok && lit.parts != nil {
		parts = lit.parts
	} else {
		parts = strings.Split(args[0].(string), "{}")
	}
	if holes := len(parts) - 1; holes != len(args)-1 {
		return nil, intrinsicFailure(n.fn.name, "the template has %s but %s follow it", plural(holes, "placeholder"), plural(len(args)-1, "value"))
	}
	var b []byte
	for i, part := range parts {
		b = append(b, part...)
		if i+1 < len(parts) {
			b = appendRendered(b, args[i+1])
		}
	}
	return string(b), nil
}

// appendRendered appends v as AWS's Java runtime prints it into a
// States.Format result: strings raw (no quotes), null as "null", numbers as
// Java prints an int or a double, objects as Map.toString ("{a=1, b=x}") and
// arrays as List.toString ("[1, x]"), recursively.
func appendRendered(b []byte, v value.Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, t...)
	case bool:
		return strconv.AppendBool(b, t)
	case value.Number:
		return append(b, javaNumber(t)...)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRendered(b, e)
		}
		return append(b, ']')
	case *value.Object:
		b = append(b, '{')
		for i, m := range t.Members() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, m.Key...)
			b = append(b, '=')
			b = appendRendered(b, m.Value)
		}
		return append(b, '}')
	default:
		return append(b, value.MarshalString(v)...)
	}
}

// javaNumber renders a JSON number as AWS's Java runtime does: a number
// written without fraction or exponent is an integer and prints as one
// (1 -> "1"); any other is a double and prints as Double.toString does
// (1.0 -> "1.0", 1e3 -> "1000.0", 1.5e10 -> "1.5E10", 0.0001 -> "1.0E-4").
func javaNumber(n value.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		return s // a big integer prints in full
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if math.IsInf(f, 1) {
			return "Infinity"
		}
		if math.IsInf(f, -1) {
			return "-Infinity"
		}
		return s
	}
	return javaDouble(f)
}

// javaDouble is Java's Double.toString: plain decimal notation with at least
// one fractional digit for 1e-3 <= |f| < 1e7, otherwise computerized
// scientific notation ("d.dddE±n" without a plus sign); shortest digits.
func javaDouble(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
