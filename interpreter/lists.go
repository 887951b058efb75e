package interpreter

import (
	"errors"
	"strconv"

	"github.com/sfn-project/sfn/dsl/value"
)

// A Map's children state holds one entry per item in three lists (thread
// ids, done flags, results), and the Map's thread is decoded and encoded
// again in every step of its iterations. Through reflection each step cost
// a slice grown entry by entry and a value.Marshal per result; these list
// types encode and decode the same JSON by hand, sized once.

// intList is a JSON array of integers.
type intList []int

// boolList is a JSON array of booleans.
type boolList []bool

// jvList is a JSON array of values; most of a large Map's are null.
type jvList []jv

var errNotList = errors.New("not a JSON array of the expected kind")

func (l intList) MarshalJSON() ([]byte, error) {
	return marshalList(l, 2, func(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) })
}

func (l *intList) UnmarshalJSON(b []byte) error {
	return unmarshalList(b, l, func(e []byte) (int, error) {
		n, err := strconv.Atoi(string(e))
		if err != nil {
			return 0, errNotList
		}
		return n, nil
	})
}

func (l boolList) MarshalJSON() ([]byte, error) {
	return marshalList(l, 6, strconv.AppendBool)
}

func (l *boolList) UnmarshalJSON(b []byte) error {
	return unmarshalList(b, l, func(e []byte) (bool, error) {
		switch string(e) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, errNotList
	})
}

func (l jvList) MarshalJSON() ([]byte, error) {
	// encoding/json escapes the whole as it does jv's
	return marshalList(l, 5, func(b []byte, v jv) []byte { return value.Append(b, v.V) })
}

func (l *jvList) UnmarshalJSON(b []byte) error {
	return unmarshalList(b, l, func(e []byte) (jv, error) {
		var j jv
		err := j.UnmarshalJSON(e)
		return j, err
	})
}

// marshalList writes l as a JSON array, each element by add (about per
// bytes each); a nil list is null, as encoding/json writes a nil slice.
func marshalList[T any](l []T, per int, add func([]byte, T) []byte) ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 2+per*len(l))
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = add(b, v)
	}
	return append(b, ']'), nil
}

// unmarshalList reads the JSON array b into *l, each element by elem; null
// is a no-op, as encoding/json treats it.
func unmarshalList[L ~[]T, T any](b []byte, l *L, elem func([]byte) (T, error)) error {
	if isNull(b) {
		return nil
	}
	out := make(L, 0, countElements(b))
	err := eachElement(b, func(e []byte) error {
		v, err := elem(e)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return err
	}
	*l = out
	return nil
}

func isNull(b []byte) bool {
	i := skipSpace(b, 0)
	return string(b[i:]) == "null"
}

// countElements counts the elements of the JSON array b (encoding/json has
// checked it before an UnmarshalJSON sees it).
func countElements(b []byte) int {
	n := 0
	_ = eachElement(b, func([]byte) error { n++; return nil })
	return n
}

// eachElement calls f with each element of the JSON array b (callers
// take null, an absent list, first: isNull).
func eachElement(b []byte, f func([]byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errNotList
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for i < len(b) {
		start := skipSpace(b, i)
		end := skipJSON(b, start)
		if end < 0 {
			return errNotList
		}
		if err := f(b[start:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return errNotList
		}
		if b[i] == ']' {
			return nil
		}
		if b[i] != ',' {
			return errNotList
		}
		i++
	}
	return errNotList
}
