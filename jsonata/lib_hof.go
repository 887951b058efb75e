package jsonata

// registerHigherOrderFunctions adds $map, $filter, $single and $reduce.
func registerHigherOrderFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "map", Signature: "<af>", Fn: fnMap})
	add(&Builtin{Name: "filter", Signature: "<af>", Fn: fnFilter})
	add(&Builtin{Name: "single", Signature: "<af?>", Fn: fnSingle})
	add(&Builtin{Name: "reduce", Signature: "<afj?:j>", Fn: fnReduce})
}

// $map calls fn(item, index, array) for each item and collects the
// results that are not Undefined, as a sequence.
func fnMap(c *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	fn := args[1]
	arity := functionArity(fn)
	out := make(Seq, 0, len(items))
	for i, it := range items {
		r, err := c.Apply(fn, hofArgs(arity, it, float64(i), args[0]))
		if err != nil {
			return nil, err
		}
		if !IsUndefined(r) {
			out = append(out, r)
		}
	}
	return seqResult(out), nil
}

// $filter keeps, as a sequence, the items for which fn(item, index,
// array) is true.
func fnFilter(c *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	fn := args[1]
	arity := functionArity(fn)
	out := Seq{}
	for i, it := range items {
		r, err := c.Apply(fn, hofArgs(arity, it, float64(i), args[0]))
		if err != nil {
			return nil, err
		}
		if ok, err := toBoolean(r); err != nil {
			return nil, err
		} else if ok {
			out = append(out, it)
		}
	}
	return seqResult(out), nil
}

// $single is the one item for which fn is true (every item without fn):
// none is D3139, a second one D3138.
func fnSingle(c *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	var fn any = Undefined
	if len(args) > 1 {
		fn = args[1]
	}
	arity := functionArity(fn)
	found := false
	var result any = Undefined
	for i, it := range items {
		match := true
		if !IsUndefined(fn) {
			r, err := c.Apply(fn, hofArgs(arity, it, float64(i), args[0]))
			if err != nil {
				return nil, err
			}
			if match, err = toBoolean(r); err != nil {
				return nil, err
			}
		}
		if !match {
			continue
		}
		if found {
			return nil, &Error{Code: "D3138", Value: float64(i), Message: messages["D3138"]}
		}
		result, found = it, true
	}
	if !found {
		return nil, &Error{Code: "D3139", Message: messages["D3139"]}
	}
	return result, nil
}

// $reduce folds the items with fn(accumulator, item[, index[, array]]),
// starting from init or, without it, from the first item. fn must take at
// least two arguments (D3050).
func fnReduce(c *Call, args []any) (any, error) {
	items, ok := libArray(args[0])
	if !ok {
		return Undefined, nil
	}
	fn := args[1]
	arity := functionArity(fn)
	if arity < 2 {
		return nil, &Error{Code: "D3050", Message: messages["D3050"]}
	}
	var init any = Undefined
	if len(args) > 2 {
		init = args[2]
	}
	acc, i := init, 0
	if IsUndefined(init) && len(items) > 0 {
		acc, i = items[0], 1
	}
	for ; i < len(items); i++ {
		call := []any{acc, items[i]}
		if arity >= 3 {
			call = append(call, float64(i))
		}
		if arity >= 4 {
			call = append(call, args[0])
		}
		r, err := c.Apply(fn, call)
		if err != nil {
			return nil, err
		}
		acc = r
	}
	return acc, nil
}
