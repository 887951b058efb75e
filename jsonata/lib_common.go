package jsonata

import "math"

// libMessages are the texts of the codes the function library raises, as
// jsonata-js 2.0.6 words them.
var libMessages = map[string]string{
	"D1001": "Number out of range: {{value}}",
	"D3001": "Attempting to invoke string function on Infinity or NaN",
	"D3030": "Unable to cast value to a number: {{value}}",
	"D3050": "The second argument of reduce function must be a function with at least two arguments",
	"D3060": "The sqrt function cannot be applied to a negative number: {{value}}",
	"D3061": "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}",
	"D3070": "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
	"D3120": "Syntax error in expression passed to function eval: {{value}}",
	"D3121": "Dynamic error evaluating the expression passed to function eval: {{value}}",
	"D3137": "{{{message}}}",
	"D3138": "The $single() function expected exactly 1 matching result.  Instead it matched more.",
	"D3139": "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
	"D3140": "Malformed URL passed to ${{{functionName}}}(): {{value}}",
	"D3141": "{{{message}}}",
}

func init() {
	for k, v := range libMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

// libError builds the error code about value, its message the code's text
// with {{value}} written as jsonata-js writes it (JSON.stringify).
func libError(code string, value any) *Error {
	return &Error{Code: code, Value: value, Message: fillLibMessage(libMessages[code], map[string]string{"value": jsonForMessage(value)})}
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

// libIsFunction reports whether v is something jsonata-js treats as a
// function: a builtin, a lambda, a partial application, a regex.
func libIsFunction(v any) bool {
	switch v.(type) {
	case Function, *Regex:
		return true
	}
	return false
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

// hofArgs builds the arguments for a callback: the value, then the
// position and the whole structure when the callback takes them.
func hofArgs(fn any, value, pos, whole any) []any {
	n := functionArity(fn)
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

// libIsNumeric is jsonata-js's isNumeric: a number that is not NaN; an
// infinite one is error D1001.
func libIsNumeric(v any) (bool, error) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return false, nil
	}
	if math.IsInf(f, 0) {
		return false, libError("D1001", f)
	}
	return true, nil
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
