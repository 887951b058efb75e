package jsonata

import (
	"math"
	"math/rand/v2"
)

// registerArrayFunctions adds the array functions.
func registerArrayFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "count", Signature: "<a:n>", Fn: fnCount})
	add(&Builtin{Name: "append", Signature: "<xx:a>", Fn: fnAppend})
	add(&Builtin{Name: "sort", Signature: "<af?:a>", Fn: fnSort})
	add(&Builtin{Name: "reverse", Signature: "<a:a>", Fn: fnReverse})
	add(&Builtin{Name: "shuffle", Signature: "<a:a>", Fn: fnShuffle})
	add(&Builtin{Name: "distinct", Signature: "<x:x>", Fn: fnDistinct})
	add(&Builtin{Name: "zip", Signature: "<a+>", Fn: fnZip})
}

func fnCount(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return 0.0, nil
	}
	return float64(len(items)), nil
}

// $append joins two values into a new array, a value that is not an array
// counting as an array of it; an absent one leaves the other as it is.
func fnAppend(_ *Call, args []any) (any, error) {
	a, b := args[0], args[1]
	if IsUndefined(a) {
		return b, nil
	}
	if IsUndefined(b) {
		return a, nil
	}
	as, aok := libArray(a)
	bs, bok := libArray(b)
	n := 1
	if aok {
		n = len(as)
	}
	if bok {
		n += len(bs)
	} else {
		n++
	}
	out := make([]any, 0, n)
	if aok {
		out = append(out, as...)
	} else {
		out = append(out, a)
	}
	if bok {
		out = append(out, bs...)
	} else {
		out = append(out, b)
	}
	return out, nil
}

func fnReverse(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	if len(items) <= 1 {
		return args[0], nil
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return out, nil
}

func fnShuffle(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	if len(items) <= 1 {
		return args[0], nil
	}
	out := make([]any, len(items))
	copy(out, items)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// libDistinctKey identifies a scalar for $distinct's fast path; -0 and 0 are
// one number, as === has them.
type libDistinctKey struct {
	kind byte
	s    string
	f    float64
}

// $distinct keeps the first of each group of deep-equal items, in order;
// a sequence stays a sequence.
func fnDistinct(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok || len(items) <= 1 {
		return args[0], nil
	}
	out := make([]any, 0, len(items))
	seen := make(map[libDistinctKey]struct{}, len(items))
	var composites []any // arrays and objects: compared with DeepEqual
	for _, it := range items {
		var k libDistinctKey
		switch x := it.(type) {
		case string:
			k = libDistinctKey{kind: 's', s: x}
		case float64:
			if math.IsNaN(x) {
				out = append(out, it) // NaN equals nothing, itself included
				continue
			}
			if x == 0 {
				x = 0
			}
			k = libDistinctKey{kind: 'n', f: x}
		case bool:
			k = libDistinctKey{kind: 'b'}
			if x {
				k.f = 1
			}
		case nil:
			k = libDistinctKey{kind: 'l'}
		case []any, Seq, *Object:
			dup := false
			for _, c := range composites {
				if DeepEqual(it, c) {
					dup = true
					break
				}
			}
			if !dup {
				composites = append(composites, it)
				out = append(out, it)
			}
			continue
		default:
			out = append(out, it) // functions equal nothing
			continue
		}
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			out = append(out, it)
		}
	}
	if _, isSeq := args[0].(Seq); isSeq {
		return Seq(out), nil
	}
	return out, nil
}

// $zip makes the i-th array of the i-th items of each argument, as many as
// the shortest argument has.
func fnZip(_ *Call, args []any) (any, error) {
	n := -1
	lists := make([][]any, len(args))
	for i, a := range args {
		items, _ := libArray(a)
		lists[i] = items
		if n < 0 || len(items) < n {
			n = len(items)
		}
	}
	if n < 0 {
		n = 0
	}
	out := make([]any, n)
	for i := range out {
		tuple := make([]any, len(lists))
		for j, l := range lists {
			tuple[j] = l[i]
		}
		out[i] = tuple
	}
	return out, nil
}

// $sort sorts stably: with no comparator, numbers or strings ascending
// (anything else is D3070); with one, comparator(a, b) true means b goes
// first. The merge sort is jsonata-js's, so the comparator sees the same
// pairs in the same order.
func fnSort(c *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	if len(items) <= 1 {
		return args[0], nil
	}
	var greater func(a, b any) (bool, error)
	if len(args) < 2 || IsUndefined(args[1]) {
		allNum, allStr := true, true
		for _, it := range items {
			num, err := libIsNumeric(it)
			if err != nil {
				return nil, err
			}
			allNum = allNum && num
			_, str := it.(string)
			allStr = allStr && str
		}
		switch {
		case allNum:
			greater = func(a, b any) (bool, error) { return a.(float64) > b.(float64), nil }
		case allStr:
			greater = func(a, b any) (bool, error) { return compareUTF16(a.(string), b.(string)) > 0, nil }
		default:
			return nil, &Error{Code: "D3070", Message: messages["D3070"]}
		}
	} else {
		fn := args[1]
		if c == nil || c.Apply == nil {
			return nil, errorf("D3070", "$sort: no way to call the comparator")
		}
		greater = func(a, b any) (bool, error) {
			// A fresh slice each call: the callee may keep its arguments.
			r, err := c.Apply(fn, []any{a, b})
			if err != nil {
				return false, err
			}
			return jsTruthy(r), nil
		}
	}
	src := make([]any, len(items))
	copy(src, items)
	tmp := make([]any, len(items))
	if err := mergeSort(src, tmp, greater); err != nil {
		return nil, err
	}
	return src, nil
}
