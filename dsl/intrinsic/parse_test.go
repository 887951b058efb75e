package intrinsic

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("States.Array(", MaxDepth+1) + strings.Repeat(")", MaxDepth+1)
	tests := []struct {
		name   string
		expr   string
		offset int
		fn     string
		msg    string
	}{
		{"not a call", "$.x", 0, "", `expected a call starting with "States."`},
		{"no name", "States.()", 0, "", "missing function name"},
		{"unknown", "States.Frobnicate(1)", 0, "", "unknown intrinsic function States.Frobnicate"},
		{"unknown nested", "States.Array(States.Nope())", 13, "", "unknown intrinsic function States.Nope"},
		{"no paren", "States.UUID", 11, "States.UUID", "expected '('"},
		{"too many", "States.UUID(1)", 0, "States.UUID", "takes 0 arguments, got 1 argument"},
		{"too few", "States.ArrayGetItem($.a)", 0, "States.ArrayGetItem", "takes 2 arguments, got 1 argument"},
		{"optional range", "States.MathRandom(1, 2, 3, 4)", 0, "States.MathRandom", "takes 2 or 3 arguments, got 4"},
		{"format no template", "States.Format()", 0, "States.Format", "takes at least 1 argument, got 0"},
		{"format count", "States.Format('{} {}', 1)", 0, "States.Format", "2 placeholders but 1 value follow"},
		{"format extra", "States.Format('x', 1)", 0, "States.Format", "0 placeholders but 1 value"},
		{"format escaped", "States.Format('\\{}', 1)", 0, "States.Format", "0 placeholders but 1 value"},
		{"illegal escape", `States.StringToJson('{"text":"An \"q\" here"}')`, 33, "States.StringToJson", `illegal escape "\\\""`},
		{"illegal escape n", `States.Format('a\nb')`, 16, "States.Format", "illegal escape"},
		{"escape at end", `States.Format('a\`, 16, "States.Format", "unterminated escape"},
		{"unterminated string", "States.Format('abc", 14, "States.Format", "unterminated string literal"},
		{"unclosed call", "States.Array(1, 2", 17, "States.Array", "missing ')'"},
		{"trailing garbage", "States.UUID() x", 14, "States.UUID", `unexpected "x" after the closing parenthesis`},
		{"trailing call", "States.UUID()States.UUID()", 13, "States.UUID", "after the closing parenthesis"},
		{"missing argument", "States.Array(1, , 2)", 16, "States.Array", "missing argument before ','"},
		{"trailing comma", "States.Array(1,)", 15, "States.Array", "missing argument before ')'"},
		{"bad word", "States.Array(yes)", 13, "States.Array", `unexpected "yes"`},
		{"double quotes", `States.Format("x")`, 14, "States.Format", "at the start of an argument"},
		{"bad number", "States.Array(1.)", 13, "States.Array", "no digits after '.'"},
		{"bad exponent", "States.Array(1e)", 13, "States.Array", "no digits in the exponent"},
		{"number then letters", "States.Array(12ab)", 13, "States.Array", `invalid number "12ab"`},
		{"leading zero", "States.Array(012)", 13, "States.Array", "invalid number"},
		{"lone minus", "States.Array(-)", 13, "States.Array", "invalid number"},
		{"no comma", "States.Array(1 2)", 15, "States.Array", "expected ',' or ')'"},
		{"unterminated bracket", "States.Array($.a[0)", 13, "States.Array", "unterminated bracket"},
		{"too deep", deep, 13 * MaxDepth, "States.Array", "nested more than 10 deep"},
		{"literal not array", "States.ArrayLength('abc')", 19, "States.ArrayLength", `argument 1 must be an array, got the string "abc"`},
		{"literal not string", "States.StringToJson(1)", 20, "States.StringToJson", "argument 1 must be a string, got the number 1"},
		{"literal not integer", "States.ArrayGetItem($.a, 1.5)", 25, "States.ArrayGetItem", "argument 2 must be an integer, got 1.5"},
		{"negative index", "States.ArrayGetItem($.a, -1)", 25, "States.ArrayGetItem", "non-negative integer"},
		{"partition zero", "States.ArrayPartition($.a, 0)", 27, "States.ArrayPartition", "positive integer"},
		{"range step zero", "States.ArrayRange(1, 2, 0)", 24, "States.ArrayRange", "non-zero integer"},
		{"range too big literal", "States.ArrayRange(1, 1e30, 1)", 21, "States.ArrayRange", "out of range"},
		{"partition rounds to zero", "States.ArrayPartition($.a, 0.49)", 27, "States.ArrayPartition", "positive integer, got 0.49 (rounded to 0)"},
		{"partition negative half", "States.ArrayPartition($.a, -0.5)", 27, "States.ArrayPartition", "positive integer, got -0.5 (rounded to 0)"},
		{"range step rounds to zero", "States.ArrayRange(1, 2, -0.5)", 24, "States.ArrayRange", "non-zero integer, got -0.5 (rounded to 0)"},
		{"range decimal too big", "States.ArrayRange(1.5e19, 1, 1)", 18, "States.ArrayRange", "out of range"},
		{"merge deep", "States.JsonMerge($.a, $.b, true)", 27, "States.JsonMerge", "must be false"},
		{"hash algorithm", "States.Hash('x', 'SHA-2')", 17, "States.Hash", "must be one of MD5"},
		{"add out of int32", "States.MathAdd(2147483648, 1)", 15, "States.MathAdd", "within -2147483648..2147483647"},
		{"add string", "States.MathAdd('1', 1)", 15, "States.MathAdd", "must be a number"},
		{"space before paren", "States.UUID ()", 11, "States.UUID", "expected '('"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tc.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", tc.expr, c, err)
			}
			if se.Offset != tc.offset || se.Func != tc.fn || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) error = {Offset: %d, Func: %q, Msg: %q}; want offset %d, func %q, message containing %q",
					tc.expr, se.Offset, se.Func, se.Msg, tc.offset, tc.fn, tc.msg)
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("error text %q does not name the offset", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		"States.UUID()",
		"States.Array()",
		"States.Array( )",
		"States.Array( 1 ,\t'a' ,\n$.x )",
		"States.UUID()  ",
		"States.Format('{}', $.a[?(@.n == 'x,y)')])",
		"States.Format('{}', $['a,b'])",
		`States.Format('{}', $["a)b"])`,
		"States.Format('{}', $..x)",
		"States.Format('{}', $$.Execution.Id)",
		"States.Format('{}', $)",
		"States.Array(-1, 0, 1.5, 2e10, -3.25E-2, true, false, null)",
		"States.StringToJson('{\"from_literal\": \"false\"}')",
		"States.Format('it\\'s {} \\\\ \\{\\}', 1)",
		strings.Repeat("States.Array(", MaxDepth) + strings.Repeat(")", MaxDepth),
		"States.MathRandom(1, 2)",
		"States.MathRandom(1, 2, 3)",
		// AWS rounds these to the nearest integer instead of refusing them.
		"States.ArrayRange(0.5, 9.4, 1.5)",
		"States.ArrayPartition($.a, 0.5)",
		"States.MathRandom(0.5, 2.5)",
	} {
		c, err := Parse(expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
			continue
		}
		if c.String() != expr {
			t.Errorf("String() = %q, want %q", c.String(), expr)
		}
	}
}

func TestLooks(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"States.Format('x')": true,
		"States.UUID()":      true,
		"States.Nope(":       true, // looks like one; Parse reports the unknown name
		"States.":            false,
		"States.(":           false,
		"States.Format":      false,
		"$.States.Format()":  false,
		"States.Format ()":   false,
		"":                   false,
	} {
		if got := Looks(s); got != want {
			t.Errorf("Looks(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	c, err := Parse("States.Format('{}', States.UUID())")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "States.Format" {
		t.Errorf("Name() = %q", c.Name())
	}
}
