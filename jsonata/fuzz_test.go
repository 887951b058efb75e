package jsonata

import (
	"strings"
	"testing"
	"time"
)

// FuzzEvaluate compiles and evaluates arbitrary expressions: whatever the
// text, the result is a value or an *Error, never a panic or a hang.
func FuzzEvaluate(f *testing.F) {
	seeds := []string{
		"a.b[c > 1]{d: $sum(e)}", "$map([1..5], function($x){$x*2})", "a.b#$i.%.c", "|a|{'x':1},['y']|",
		"($f := function($n){$n > 0 ? $f($n-1) : 0}; $f(5))", "/ab+c/i", "a@$x.b^(>c)", "$substring(?, 1)('abc')",
		"**[*]", "'\\ud83d\\ude00' & `x y`", "[1,2][-1] ~> $string", "(1; 2)[0]", "{}", "a[[0..2]]",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	input, err := DecodeJSON([]byte(`{"a": {"b": [{"c": 1, "e": [1, 2]}, {"c": 2, "e": 3}]}, "x": [1, [2, 3]]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Compile(expr)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q): %T %v, want *Error", expr, err, err)
			}
			return
		}
		_, err = e.Evaluate(input, nil, WithTimeout(time.Second), WithMaxDepth(500))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Evaluate(%q): %T %v", expr, err, err)
			}
		}
	})
}

// TestHostileExpressions: deep nesting and long chains end in an error,
// not a crash.
func TestHostileExpressions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		code string
	}{
		{"deep parentheses", strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000), "S0201"},
		{"long path", "a" + strings.Repeat(".a", 100000), "S0201"},
		{"long sum", "1" + strings.Repeat("+1", 100000), "S0201"},
		{"runaway recursion", "($f := function($n){ 1 + $f($n + 1) }; $f(0))", "U1001"},
		{"infinite loop", "($f := function($n){ $f($n + 1) }; $f(0))", "U1001"},
	}
	for _, tt := range tests {
		e, err := Compile(tt.expr)
		if err == nil {
			_, err = e.Evaluate(Undefined, nil, WithTimeout(200*time.Millisecond))
		}
		if je, ok := err.(*Error); !ok || je.Code != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}
}
