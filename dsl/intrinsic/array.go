package intrinsic

import (
	"github.com/sfn-project/sfn/dsl/value"
)

// MaxRange is the most elements States.ArrayRange (and JSONata's $range
// in workflows) may produce (AWS's limit).
const MaxRange = 1000

// array is States.Array: its arguments as an array.
func array(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

// arrayPartition is States.ArrayPartition: chunks of the given size
// (rounded to the nearest integer, as AWS documents), the last one shorter
// when the length is not a multiple.
func arrayPartition(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	return Partition(args[0].([]any), roundedOf(args[1])), nil
}

// Partition splits a into chunks of size items (size at least 1), the
// last one shorter when the length is not a multiple; each chunk is a
// copy.
func Partition(a []any, size int64) []any {
	out := make([]any, 0, len(a)/int(min(size, int64(len(a))+1))+1)
	for i := 0; i < len(a); {
		end := len(a)
		if int64(end-i) > size {
			end = i + int(size)
		}
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
		i = end
	}
	return out
}

// arrayContains is States.ArrayContains; numbers compare by value.
func arrayContains(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	for _, e := range args[0].([]any) {
		if value.Equal(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// arrayRange is States.ArrayRange(first, last, step): first, first+step, …
// up to and including last when a step lands on it; at most 1000 elements.
// Each argument is first rounded to the nearest integer, as AWS documents.
func arrayRange(_ *Env, n *callNode, args []value.Value) (value.Value, error) {
	start, end, step := roundedOf(args[0]), roundedOf(args[1]), roundedOf(args[2])
	// Counted in uint64: end-start and |step| may not fit an int64.
	var steps uint64
	switch {
	case step > 0 && end >= start:
		steps = (uint64(end) - uint64(start)) / uint64(step)
	case step < 0 && end <= start:
		steps = (uint64(start) - uint64(end)) / (uint64(-(step + 1)) + 1)
	default:
		return []any{}, nil
	}
	if steps >= MaxRange {
		return nil, intrinsicFailure(n.fn.name, "the range would have more than %d elements", MaxRange)
	}
	count := steps + 1
	out := make([]any, count)
	for i := range out {
		out[i] = value.Int(start + int64(i)*step)
	}
	return out, nil
}

// arrayGetItem is States.ArrayGetItem: the element at a zero-based index.
func arrayGetItem(_ *Env, n *callNode, args []value.Value) (value.Value, error) {
	a, i := args[0].([]any), int64Of(args[1])
	if i >= int64(len(a)) {
		return nil, intrinsicFailure(n.fn.name, "index %d is out of bounds for an array of length %d", i, len(a))
	}
	return a[i], nil
}

// arrayLength is States.ArrayLength.
func arrayLength(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	return value.Int(int64(len(args[0].([]any)))), nil
}

// arrayUnique is States.ArrayUnique: first occurrences, in order.
func arrayUnique(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	a := args[0].([]any)
	out := make([]any, 0, len(a))
	seen := make(map[string]bool, len(a))
	for _, e := range a {
		// Scalars are deduplicated by a canonical key; containers compare
		// structurally against what was kept.
		if k, ok := scalarKey(e); ok {
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, e)
			continue
		}
		dup := false
		for _, o := range out {
			if value.Equal(o, e) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out, nil
}

// scalarKey is a map key under which equal scalars collide (1 and 1.0 too).
func scalarKey(v value.Value) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "n", true
	case bool:
		if t {
			return "t", true
		}
		return "f", true
	case string:
		return "s" + t, true
	case value.Number:
		if i, ok := t.Int64(); ok {
			return "i" + string(value.Int(i)), true
		}
		return "d" + string(value.Float(t.Float64())), true
	}
	return "", false
}
