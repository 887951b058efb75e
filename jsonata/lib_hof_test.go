package jsonata

import (
	"errors"
	"testing"
)

// mustJSON decodes a JSON literal of a test.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func num(v any) float64 { f, _ := v.(float64); return f }

func member(v any, k string) any {
	o, _ := v.(*Object)
	m, ok := o.Get(k)
	if !ok {
		return Undefined
	}
	return m
}

// TestHigherOrderFunctions calls the functions that take a function with
// Go callbacks standing for the lambdas of the expressions named, whose
// results are jsonata-js 2.0.6's.
func TestHigherOrderFunctions(t *testing.T) {
	t.Parallel()
	lib := testLibrary()
	add := goFn{2, func(a []any) (any, error) { return num(a[0]) + num(a[1]), nil }}
	cases := []struct {
		expr string // the jsonata-js expression the call stands for
		fn   string
		args func(t *testing.T) []any
		want string
	}{
		{"$map([1,2,3], function($v,$i,$a){[$v,$i,$count($a)]})", "map", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{3, func(a []any) (any, error) {
				n, _ := libArray(a[2])
				return []any{a[0], a[1], float64(len(n))}, nil
			}}}
		}, "([1,0,3],[2,1,3],[3,2,3])"},
		{"$map([1], function($v){$v*2})", "map", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1]"), goFn{1, func(a []any) (any, error) { return num(a[0]) * 2, nil }}}
		}, "(2)"},
		{"$map([1,2], function($v){$v>1?$v:nothing})", "map", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2]"), goFn{1, func(a []any) (any, error) {
				if num(a[0]) > 1 {
					return a[0], nil
				}
				return Undefined, nil
			}}}
		}, "(2)"},
		{"$map([1,2],$string)", "map", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2]"), lib["string"]}
		}, `("1","2")`},
		{"$filter([1,2,3,4], function($v,$i){$i%2=0})", "filter", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3,4]"), goFn{2, func(a []any) (any, error) { return int(num(a[1]))%2 == 0, nil }}}
		}, "(1,3)"},
		{"$filter([1,2,3], function($v){$v>5})", "filter", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{1, func(a []any) (any, error) { return num(a[0]) > 5, nil }}}
		}, "undefined"},
		{"$single([1,2,3], function($v){$v=2})", "single", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{1, func(a []any) (any, error) { return num(a[0]) == 2, nil }}}
		}, "2"},
		{"$single([1,2,3], function($v){$v>1})", "single", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{1, func(a []any) (any, error) { return num(a[0]) > 1, nil }}}
		}, "ERR D3138"},
		{"$single([1,2,3], function($v){$v>5})", "single", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{1, func(a []any) (any, error) { return num(a[0]) > 5, nil }}}
		}, "ERR D3139"},
		{"$single([7])", "single", func(t *testing.T) []any { return []any{mustJSON(t, "[7]"), Undefined} }, "7"},
		{"$reduce([1,2,3,4], function($a,$b){$a+$b})", "reduce", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3,4]"), add, Undefined}
		}, "10"},
		{"$reduce([1,2,3], function($a,$b){$a+$b}, 10)", "reduce", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), add, 10.0}
		}, "16"},
		{"$reduce([], function($a,$b){$a+$b})", "reduce", func(t *testing.T) []any {
			return []any{[]any{}, add, Undefined}
		}, "undefined"},
		{"$reduce([], function($a,$b){$a+$b}, 5)", "reduce", func(t *testing.T) []any {
			return []any{[]any{}, add, 5.0}
		}, "5"},
		{"$reduce([1,2,3], function($a,$b,$i,$arr){$a+$b*$i+$count($arr)})", "reduce", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2,3]"), goFn{4, func(a []any) (any, error) {
				n, _ := libArray(a[3])
				return num(a[0]) + num(a[1])*num(a[2]) + float64(len(n)), nil
			}}, Undefined}
		}, "15"},
		{"$reduce([1,2], function($a){$a})", "reduce", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2]"), goFn{1, func(a []any) (any, error) { return a[0], nil }}, Undefined}
		}, "ERR D3050"},
		{"$reduce([[1],[2]], $append)", "reduce", func(t *testing.T) []any {
			return []any{mustJSON(t, "[[1],[2]]"), lib["append"], Undefined}
		}, "[1,2]"},
		{"$sort([3,1,2,5,4], function($a,$b){$a<$b})", "sort", func(t *testing.T) []any {
			return []any{mustJSON(t, "[3,1,2,5,4]"), goFn{2, func(a []any) (any, error) { return num(a[0]) < num(a[1]), nil }}}
		}, "[5,4,3,2,1]"},
		{`$sort([{"k":2,"n":"a"},{"k":1,"n":"b"},{"k":2,"n":"c"},{"k":1,"n":"d"}], function($a,$b){$a.k>$b.k})`, "sort", func(t *testing.T) []any {
			return []any{mustJSON(t, `[{"k":2,"n":"a"},{"k":1,"n":"b"},{"k":2,"n":"c"},{"k":1,"n":"d"}]`), goFn{2, func(a []any) (any, error) {
				return num(member(a[0], "k")) > num(member(a[1], "k")), nil
			}}}
		}, `[{"k":1,"n":"b"},{"k":1,"n":"d"},{"k":2,"n":"a"},{"k":2,"n":"c"}]`},
		{`$each({"a":1,"b":2}, function($v,$k){$k&$v})`, "each", func(t *testing.T) []any {
			return []any{mustJSON(t, `{"a":1,"b":2}`), goFn{2, func(a []any) (any, error) {
				s, _ := stringify(a[0])
				return a[1].(string) + s, nil
			}}}
		}, `("a1","b2")`},
		{`$each({"a":1}, function($v,$k,$o){$count($keys($o))})`, "each", func(t *testing.T) []any {
			return []any{mustJSON(t, `{"a":1}`), goFn{3, func(a []any) (any, error) { return float64(a[2].(*Object).Len()), nil }}}
		}, "(1)"},
		{`$sift({"a":1,"b":2,"c":3}, function($v){$v>1})`, "sift", func(t *testing.T) []any {
			return []any{mustJSON(t, `{"a":1,"b":2,"c":3}`), goFn{1, func(a []any) (any, error) { return num(a[0]) > 1, nil }}}
		}, `{"b":2,"c":3}`},
		{`$sift({"a":1}, function($v){$v>1})`, "sift", func(t *testing.T) []any {
			return []any{mustJSON(t, `{"a":1}`), goFn{1, func(a []any) (any, error) { return num(a[0]) > 1, nil }}}
		}, "undefined"},
		{`$sift({"a":1,"b":2}, function($v,$k){$k="b"})`, "sift", func(t *testing.T) []any {
			return []any{mustJSON(t, `{"a":1,"b":2}`), goFn{2, func(a []any) (any, error) { return a[1] == "b", nil }}}
		}, `{"b":2}`},
		{"a callback's error stops $map", "map", func(t *testing.T) []any {
			return []any{mustJSON(t, "[1,2]"), goFn{1, func(a []any) (any, error) { return nil, &Error{Code: "T2001"} }}}
		}, "ERR T2001"},
	}
	for _, tc := range cases {
		got := showResult(lib[tc.fn].Fn(testCall(), tc.args(t)))
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestSortComparatorCalls checks that the comparator sees the pairs
// jsonata-js's merge sort gives it, in the same order (which decides
// which error a failing comparator raises first).
func TestSortComparatorCalls(t *testing.T) {
	t.Parallel()
	var pairs []string
	cmp := goFn{2, func(a []any) (any, error) {
		pairs = append(pairs, show(a[0])+">"+show(a[1]))
		return num(a[0]) > num(a[1]), nil
	}}
	got, err := fnSort(testCall(), []any{[]any{3.0, 1.0, 2.0}, cmp})
	if err != nil {
		t.Fatal(err)
	}
	// msort([3,1,2]): left [3], right msort([1,2]) = merge([1],[2]) (1>2),
	// then merge([3],[1,2]): 3>1, 3>2.
	want := "1>2 3>1 3>2"
	if s := joinStrings(pairs); s != want || show(got) != "[1,2,3]" {
		t.Errorf("comparator saw %q and sorted to %s, want %q and [1,2,3]", s, show(got), want)
	}
}

func joinStrings(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

// TestEval checks $eval's input and its error codes: a syntax error of the
// expression is D3120, an evaluation error D3121.
func TestEval(t *testing.T) {
	t.Parallel()
	var gotInput any
	c := &Call{Input: "context", Eval: func(expr string, input any) (any, error) {
		gotInput = input
		switch expr {
		case "bad syntax":
			return nil, &Error{Code: "S0201", Message: "Syntax error"}
		case "bad eval":
			return nil, &Error{Code: "T2001", Message: "not a number"}
		}
		return expr + "!", nil
	}}
	cases := []struct {
		args      []any
		want      string
		wantInput any
	}{
		{[]any{"x", Undefined}, `"x!"`, "context"},
		{[]any{"x", 5.0}, `"x!"`, 5.0},
		{[]any{Undefined, Undefined}, "undefined", nil},
		{[]any{"bad syntax", Undefined}, "ERR D3120", "context"},
		{[]any{"bad eval", Undefined}, "ERR D3121", "context"},
	}
	for _, tc := range cases {
		gotInput = nil
		got := showResult(fnEval(c, tc.args))
		if got != tc.want || gotInput != tc.wantInput {
			t.Errorf("$eval(%v) = %s with input %v, want %s with input %v", tc.args, got, gotInput, tc.want, tc.wantInput)
		}
	}
	_, err := fnEval(c, []any{"bad eval", Undefined})
	var e *Error
	if !errors.As(err, &e) || e.Message != `Dynamic error evaluating the expression passed to function eval: "not a number"` {
		t.Errorf("D3121 message = %v", err)
	}
}

// TestLibraryErrorMessages checks messages are jsonata-js's words, values
// written as JSON.
func TestLibraryErrorMessages(t *testing.T) {
	t.Parallel()
	lib := testLibrary()
	cases := []struct{ expr, want string }{
		{`$number("abc")`, `Unable to cast value to a number: "abc"`},
		{`$sqrt(-1)`, `The sqrt function cannot be applied to a negative number: -1`},
		{`$power(10, 400)`, `The power function has resulted in a value that cannot be represented as a JSON number: base=10, exponent=400`},
		{`$decodeUrl("%")`, `Malformed URL passed to $decodeUrl(): "%"`},
		{`$error("boom")`, `boom`},
		{`$error()`, `$error() function evaluated`},
		{`$assert(false)`, `$assert() statement failed`},
		{`$assert(false, "no")`, `no`},
		{`$string({"inf": 1e400})`, `Number out of range: null`},
	}
	for _, tc := range cases {
		_, err := callLiteral(t, lib, tc.expr)
		var e *Error
		if !errors.As(err, &e) || e.Message != tc.want {
			t.Errorf("%s: error %v, want message %q", tc.expr, err, tc.want)
		}
	}
}
