package jsonata

// registerBooleanFunctions adds $boolean, $not and $exists.
func registerBooleanFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "boolean", Signature: "<x-:b>", Fn: fnBoolean})
	add(&Builtin{Name: "not", Signature: "<x-:b>", Fn: fnNot})
	add(&Builtin{Name: "exists", Signature: "<x:b>", Fn: fnExists})
}

// $boolean is the effective boolean value (Truthy); Undefined stays
// Undefined.
func fnBoolean(_ *Call, args []any) (any, error) {
	if IsUndefined(args[0]) {
		return Undefined, nil
	}
	if err := libCheckFinite(args[0]); err != nil {
		return nil, err
	}
	return Truthy(args[0]), nil
}

func fnNot(_ *Call, args []any) (any, error) {
	if IsUndefined(args[0]) {
		return Undefined, nil
	}
	if err := libCheckFinite(args[0]); err != nil {
		return nil, err
	}
	return !Truthy(args[0]), nil
}

// libCheckFinite is the D1001 jsonata-js's $boolean raises for an infinite
// number (its isNumeric test), directly or as an item of an array.
// toBoolean is jsonata-js's boolean cast where the language makes one
// (and, or, conditions, predicates, $filter, $sift …): Truthy, except that
// an infinite number anywhere it looks is D1001, as jsonata-js's isNumeric
// raises it.
func toBoolean(v any) (bool, error) {
	if err := libCheckFinite(v); err != nil {
		return false, err
	}
	return Truthy(v), nil
}

func libCheckFinite(v any) error {
	if items, ok := libArray(v); ok {
		for _, it := range items {
			if err := libCheckFinite(it); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := libIsNumeric(v)
	return err
}

func fnExists(_ *Call, args []any) (any, error) {
	return !IsUndefined(args[0]), nil
}
