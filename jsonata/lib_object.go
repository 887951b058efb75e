package jsonata

import "math"

// registerObjectFunctions adds the object functions, $error, $assert and
// $type.
func registerObjectFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "keys", Signature: "<x-:a<s>>", Fn: fnKeys})
	add(&Builtin{Name: "lookup", Signature: "<x-s:x>", Fn: fnLookup})
	add(&Builtin{Name: "spread", Signature: "<x-:a<o>>", Fn: fnSpread})
	add(&Builtin{Name: "merge", Signature: "<a<o>:o>", Fn: fnMerge})
	add(&Builtin{Name: "each", Signature: "<o-f:a>", Fn: fnEach})
	add(&Builtin{Name: "sift", Signature: "<o-f?:o>", Fn: fnSift})
	add(&Builtin{Name: "error", Signature: "<s?:x>", Fn: fnError})
	add(&Builtin{Name: "assert", Signature: "<bs?:x>", Fn: fnAssert})
	add(&Builtin{Name: "type", Signature: "<x:s>", Fn: fnType})
	add(&Builtin{Name: "clone", Signature: "<(oa)-:o>", Fn: fnClone})
}

// $keys is the member names of an object, or the union of those of the
// objects in an array (in order of first appearance), as a sequence.
func fnKeys(_ *Call, args []any) (any, error) {
	switch x := args[0].(type) {
	case *Object:
		return seqResult(libAnyStrings(x.Keys())), nil
	case []any, Seq:
		seen := map[string]struct{}{}
		out := Seq{}
		libCollectKeys(x, seen, &out)
		return seqResult(out), nil
	}
	return Undefined, nil
}

func libAnyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func libCollectKeys(v any, seen map[string]struct{}, out *Seq) {
	switch x := v.(type) {
	case *Object:
		for _, k := range x.Keys() {
			if _, ok := seen[k]; !ok {
				seen[k] = struct{}{}
				*out = append(*out, k)
			}
		}
	case []any:
		for _, it := range x {
			libCollectKeys(it, seen, out)
		}
	case Seq:
		for _, it := range x {
			libCollectKeys(it, seen, out)
		}
	}
}

// $lookup is the member key of an object; over an array, the members of
// its objects as one sequence (arrays among them flattened one level).
func fnLookup(_ *Call, args []any) (any, error) {
	key, _ := libStrArg(args, 1)
	if items, ok := libArray(args[0]); ok {
		return seqResult(lookupItems(items, key)), nil
	}
	return lookupField(args[0], key), nil
}

// $spread splits an object into a sequence of one-member objects; over an
// array, the pieces of each item in turn (an item that is not an object
// is kept as it is).
func fnSpread(_ *Call, args []any) (any, error) {
	r := libSpread(args[0])
	if s, ok := r.(Seq); ok {
		return seqResult(s), nil
	}
	return r, nil
}

func libSpread(v any) any {
	switch x := v.(type) {
	case *Object:
		out := make(Seq, 0, x.Len())
		for _, k := range x.Keys() {
			m, _ := x.Get(k)
			o := NewObject(1)
			o.Set(k, m)
			out = append(out, o)
		}
		return out
	case []any, Seq:
		items, _ := libArray(x)
		// jsonata-js appends with Array#concat, so the result is a plain
		// array once anything is added, and the empty sequence otherwise.
		var out []any
		for _, it := range items {
			s := libSpread(it)
			if IsUndefined(s) {
				continue
			}
			if arr, ok := libArray(s); ok {
				out = append(out, arr...)
			} else {
				out = append(out, s)
			}
			if out == nil {
				out = []any{}
			}
		}
		if out == nil {
			return Seq{}
		}
		return out
	}
	return v
}

// $merge is one object with the members of all, a later one winning.
func fnMerge(_ *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	out := NewObject(len(items) * 2)
	for _, it := range items {
		if o, ok := it.(*Object); ok {
			for _, k := range o.Keys() {
				m, _ := o.Get(k)
				out.Set(k, m)
			}
		}
	}
	return out, nil
}

// $each calls fn(value, key, object) for each member and collects the
// results that are not Undefined, as a sequence.
func fnEach(c *Call, args []any) (any, error) {
	out := Seq{}
	obj, ok := args[0].(*Object)
	if !ok {
		return Undefined, nil
	}
	fn := args[1]
	arity := functionArity(fn)
	for _, k := range obj.Keys() {
		m, _ := obj.Get(k)
		r, err := c.Apply(fn, hofArgs(arity, m, k, obj))
		if err != nil {
			return nil, err
		}
		if !IsUndefined(r) {
			out = append(out, r)
		}
	}
	return seqResult(out), nil
}

// $sift keeps the members for which fn(value, key, object) is true; an
// object left empty is Undefined.
func fnSift(c *Call, args []any) (any, error) {
	obj, ok := args[0].(*Object)
	if !ok {
		return Undefined, nil
	}
	fn := Undefined
	if len(args) > 1 {
		fn = args[1]
	}
	if IsUndefined(fn) {
		// jsonata-js fails here with a TypeError of its own; say what is
		// missing instead.
		return nil, errorf("T0410", "Argument 2 of function \"sift\" does not match function signature: a function is required")
	}
	arity := functionArity(fn)
	out := NewObject(obj.Len())
	for _, k := range obj.Keys() {
		m, _ := obj.Get(k)
		r, err := c.Apply(fn, hofArgs(arity, m, k, obj))
		if err != nil {
			return nil, err
		}
		if ok, err := toBoolean(r); err != nil {
			return nil, err
		} else if ok {
			out.Set(k, m)
		}
	}
	if out.Len() == 0 {
		return Undefined, nil
	}
	return out, nil
}

// $error raises D3137 with the message given.
func fnError(_ *Call, args []any) (any, error) {
	msg, _ := libStrArg(args, 0)
	if msg == "" {
		msg = "$error() function evaluated"
	}
	return nil, &Error{Code: "D3137", Message: msg}
}

// $assert raises D3141 with the message given when the condition is not
// true.
func fnAssert(_ *Call, args []any) (any, error) {
	if b, _ := args[0].(bool); b {
		return Undefined, nil
	}
	msg, _ := libStrArg(args, 1)
	if msg == "" {
		msg = "$assert() statement failed"
	}
	return nil, &Error{Code: "D3141", Message: msg}
}

// $type names the type of a value.
func fnType(_ *Call, args []any) (any, error) {
	switch x := args[0].(type) {
	case undefinedType:
		return Undefined, nil
	case nil:
		return "null", nil
	case float64:
		if math.IsInf(x, 0) {
			return nil, libError("D1001", x)
		}
		if math.IsNaN(x) {
			return "object", nil // not numeric to jsonata-js, and typeof NaN is no string or boolean
		}
		return "number", nil
	case string:
		return "string", nil
	case bool:
		return "boolean", nil
	case []any, Seq:
		return "array", nil
	case *Object:
		return "object", nil
	}
	if isFunction(args[0]) {
		return "function", nil
	}
	return "object", nil
}

// $clone is a deep copy made as jsonata-js makes it, through $string's
// JSON: numbers cut to 15 significant digits, functions become "".
func fnClone(_ *Call, args []any) (any, error) {
	if IsUndefined(args[0]) {
		return Undefined, nil
	}
	s, err := stringifyValue(args[0], false)
	if err != nil {
		return nil, err
	}
	return DecodeJSON([]byte(s))
}
