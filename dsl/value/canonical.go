package value

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Canonical encodes v in the JSON Canonicalization Scheme (RFC 8785): members
// sorted by their UTF-16 code units, no whitespace, numbers as ECMAScript
// prints them. Two documents that mean the same thing encode the same, so
// its hash identifies a definition whatever its formatting or syntax.
func Canonical(v Value) []byte { return appendCanonical(make([]byte, 0, 256), v) }

func appendCanonical(buf []byte, v Value) []byte {
	switch t := v.(type) {
	case Number:
		return append(buf, canonicalNumber(t)...)
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendCanonical(buf, e)
		}
		return append(buf, ']')
	case *Object:
		ms := make([]Member, t.Len())
		copy(ms, t.Members())
		sort.Slice(ms, func(i, j int) bool { return utf16Less(ms[i].Key, ms[j].Key) })
		buf = append(buf, '{')
		for i, m := range ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, m.Key)
			buf = append(buf, ':')
			buf = appendCanonical(buf, m.Value)
		}
		return append(buf, '}')
	default:
		return Append(buf, v)
	}
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// canonicalNumber prints a number as ECMAScript's Number.prototype.toString.
func canonicalNumber(n Number) string {
	f := n.Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return string(n)
	}
	if f == 0 {
		return "0"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest round-trip digits and decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±xx
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	k := len(digits)
	nExp := exp + 1 // position of the decimal point
	var s string
	switch {
	case k <= nExp && nExp <= 21:
		s = digits + strings.Repeat("0", nExp-k)
	case 0 < nExp && nExp <= 21:
		s = digits[:nExp] + "." + digits[nExp:]
	case -6 < nExp && nExp <= 0:
		s = "0." + strings.Repeat("0", -nExp) + digits
	default:
		sign := "+"
		if nExp-1 < 0 {
			sign = "-"
		}
		ex := nExp - 1
		if ex < 0 {
			ex = -ex
		}
		if k == 1 {
			s = digits + "e" + sign + strconv.Itoa(ex)
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(ex)
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}
