package jsonata

import "math"

// libError builds the error code about value, its message the code's text
// with {{value}} written as jsonata-js writes it (JSON.stringify).
func libError(code string, value any) *Error {
	return &Error{Code: code, Value: value, Message: fillLibMessage(messages[code], map[string]string{"value": jsonForMessage(value)})}
}

// fillLibMessage fills a jsonata-js template: {{{name}}} and {{name}} both
// take fields[name] (the caller has already written a {{…}} field as JSON).
func fillLibMessage(tmpl string, fields map[string]string) string {
	out := make([]byte, 0, len(tmpl)+16)
	for i := 0; i < len(tmpl); {
		if tmpl[i] == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{' {
			open := 2
			if i+2 < len(tmpl) && tmpl[i+2] == '{' {
				open = 3
			}
			j := i + open
			for j < len(tmpl) && tmpl[j] != '}' {
				j++
			}
			if j+open <= len(tmpl) {
				out = append(out, fields[tmpl[i+open:j]]...)
				i = j + open
				continue
			}
		}
		out = append(out, tmpl[i])
		i++
	}
	return string(out)
}

// jsonForMessage is JSON.stringify(v) as a message shows it ("undefined"
// for Undefined).
func jsonForMessage(v any) string {
	if IsUndefined(v) {
		return "undefined"
	}
	b, err := EncodeJSON(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// libArray returns the items of an array or a sequence.
func libArray(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case Seq:
		return x, true
	}
	return nil, false
}

// jsArity overrides the arity of builtins whose JavaScript implementation
// declares fewer parameters than their signature has: jsonata-js passes a
// higher-order function's callback as many arguments as the implementation
// declares ($map([1,2], $string) calls $string(1), not $string(1, 0)).
var jsArity = map[string]int{"string": 1, "zip": 0}

// functionArity is the number of arguments $map, $filter, $reduce, $each,
// $sift and $single pass to fn.
func functionArity(fn any) int {
	if b, ok := fn.(*Builtin); ok {
		if n, ok := jsArity[b.Name]; ok {
			return n
		}
	}
	if f, ok := fn.(Function); ok {
		return f.Arity()
	}
	return 1
}

// hofArgs builds the arguments for a callback of arity n (functionArity,
// worked out once per call of the higher-order function): the value, then
// the position and the whole structure when the callback takes them.
func hofArgs(n int, value, pos, whole any) []any {
	switch {
	case n >= 3:
		return []any{value, pos, whole}
	case n == 2:
		return []any{value, pos}
	}
	return []any{value}
}

// jsTruthy is JavaScript's truthiness, which $sort applies to its
// comparator's result (unlike JSONata's Truthy, [] and {} are true).
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

// libIsNumeric is numeric (jsonata-js's isNumeric) for the library: its
// D1001 writes the value as the library's messages do (jsonForMessage,
// not the evaluator's jsonText).
func libIsNumeric(v any) (bool, error) {
	_, ok, err := numeric(v)
	if err != nil {
		return false, libError("D1001", v)
	}
	return ok, nil
}

// seqResult is a sequence result as the evaluator finishes it: an empty
// one is Undefined (jsonata-js returns the empty sequence and its
// evaluator then drops it; returning Undefined saves it the step).
func seqResult(s Seq) any {
	if len(s) == 0 {
		return Undefined
	}
	return s
}
