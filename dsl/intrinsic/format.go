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
// "{}" in it is a placeholder. The result is built within the payload limit:
// it stops at the first piece that would pass it, so a template that repeats
// a large value thousands of times costs no more than the limit.
func format(env *Env, n *callNode, args []value.Value) (value.Value, error) {
	var parts []string
	if lit, ok := n.args[0].(*litNode); ok && lit.parts != nil {
		parts = lit.parts
	} else {
		parts = strings.Split(args[0].(string), "{}")
	}
	if holes := len(parts) - 1; holes != len(args)-1 {
		return nil, intrinsicFailure(n.fn.name, "the template has %s but %s follow it", plural(holes, "placeholder"), plural(len(args)-1, "value"))
	}
	r := renderer{limit: env.Limit()}
	for i, part := range parts {
		if !r.write(part) || i+1 < len(parts) && !r.render(args[i+1]) {
			return nil, tooLarge(n.fn.name, r.limit)
		}
	}
	return string(r.b), nil
}

// formatArgSize counts a States.Format value by its rendering, so that the
// values of a template are refused as soon as they add up to more than the
// limit. The template itself is counted by format as it builds.
func formatArgSize(_ *callNode, i int, v value.Value, room int) (int, bool) {
	if i == 0 {
		return 0, true
	}
	r := renderer{limit: room, count: true}
	ok := r.render(v)
	return r.n, ok
}

// renderer writes values as AWS's Java runtime prints them into a
// States.Format result, up to limit bytes; with count set it only counts.
type renderer struct {
	b     []byte
	n     int // bytes rendered (or counted)
	limit int
	count bool
}

// write adds s and reports whether the limit still holds; s is not copied
// when it would pass the limit.
func (r *renderer) write(s string) bool {
	r.n += len(s)
	if r.n > r.limit {
		return false
	}
	if !r.count {
		r.b = append(r.b, s...)
	}
	return true
}

// render writes v: strings raw (no quotes), null as "null", numbers as Java
// prints an int or a double, objects as Map.toString ("{a=1, b=x}") and
// arrays as List.toString ("[1, x]"), recursively. It reports whether the
// limit still holds, and stops writing as soon as it does not.
func (r *renderer) render(v value.Value) bool {
	switch t := v.(type) {
	case nil:
		return r.write("null")
	case string:
		return r.write(t)
	case bool:
		return r.write(strconv.FormatBool(t))
	case value.Number:
		return r.write(javaNumber(t))
	case []any:
		if !r.write("[") {
			return false
		}
		for i, e := range t {
			if i > 0 && !r.write(", ") || !r.render(e) {
				return false
			}
		}
		return r.write("]")
	case *value.Object:
		if !r.write("{") {
			return false
		}
		for i, m := range t.Members() {
			if i > 0 && !r.write(", ") || !r.write(m.Key) || !r.write("=") || !r.render(m.Value) {
				return false
			}
		}
		return r.write("}")
	default:
		return r.write(value.MarshalString(v))
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
