package value

import (
	"math"
	"strconv"
)

// Measure returns the length in bytes of v's compact JSON encoding (what
// Append writes) and its depth (levels of arrays and objects, the outermost
// counting 1; 0 for a scalar). It stops as soon as the length passes maxSize
// or the depth passes maxDepth and then reports ok false, with size and depth
// as far as it got. Its cost is therefore bounded by maxSize, not by v: a
// document that shares one large subtree many times (as a recursive-descent
// path or States.Array($.big, $.big, …) builds) is small in memory but huge
// encoded, and is refused without being encoded.
func Measure(v Value, maxSize, maxDepth int) (size, depth int, ok bool) {
	m := measurer{maxSize: maxSize, maxDepth: maxDepth}
	ok = m.walk(v, 0)
	return m.size, m.depth, ok
}

type measurer struct {
	size, depth       int
	maxSize, maxDepth int
}

// walk adds v, found inside level arrays and objects, and reports whether the
// limits still hold.
func (m *measurer) walk(v Value, level int) bool {
	switch t := v.(type) {
	case nil:
		m.size += len("null")
	case bool:
		if t {
			m.size += len("true")
		} else {
			m.size += len("false")
		}
	case Number:
		m.size += max(len(t), 1) // "" encodes as 0
	case string:
		// The quotes and the bytes are a lower bound; the escapes are
		// counted only when that bound still fits, so a huge string is
		// refused without being scanned.
		m.size += len(t) + 2
		if m.size > m.maxSize {
			return false
		}
		m.size += escapeExtra(t)
	case []any:
		if !m.enter(level) {
			return false
		}
		m.size += 2 + max(len(t)-1, 0) // brackets and commas
		for _, e := range t {
			if m.size > m.maxSize || !m.walk(e, level+1) {
				return false
			}
		}
	case *Object:
		if !m.enter(level) {
			return false
		}
		ms := t.Members()
		m.size += 2 + max(len(ms)-1, 0) // braces and commas
		for _, mem := range ms {
			m.size += StringSize(mem.Key) + 1 // the key and its colon
			if m.size > m.maxSize || !m.walk(mem.Value, level+1) {
				return false
			}
		}
	case int:
		m.size += intLen(int64(t))
	case int64:
		m.size += intLen(t)
	case float64:
		m.size += len(Float(t))
	default:
		m.size += len("null")
	}
	return m.size <= m.maxSize
}

// enter records a container at level (the number of containers around it).
func (m *measurer) enter(level int) bool {
	if level+1 > m.depth {
		m.depth = level + 1
	}
	return m.depth <= m.maxDepth
}

func intLen(i int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], i, 10))
}

// StringSize is the length of s encoded as a JSON string literal by
// AppendString: quotes included.
func StringSize(s string) int { return len(s) + 2 + escapeExtra(s) }

// escapeExtra is how many bytes AppendString adds to s for its escapes.
func escapeExtra(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++ // \x
		case c < 0x20:
			n += 5 // \u00XX
		}
	}
	return n
}

// Unlimited is a size or depth limit that nothing reaches, for Measure's
// callers that want one of the two bounds only.
const Unlimited = math.MaxInt

// DepthWithin reports whether v is nested at most limit levels deep (arrays
// and objects; a scalar is 0). It visits containers only and stops at the
// first level too many, so it is cheaper than Measure when only the depth
// matters.
func DepthWithin(v Value, limit int) bool {
	if limit < 0 {
		return false
	}
	switch t := v.(type) {
	case []any:
		if limit < 1 {
			return false
		}
		for _, e := range t {
			if !DepthWithin(e, limit-1) {
				return false
			}
		}
	case *Object:
		if limit < 1 {
			return false
		}
		for _, m := range t.Members() {
			if !DepthWithin(m.Value, limit-1) {
				return false
			}
		}
	}
	return true
}
