package intrinsic

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// testEnv is the environment of the evaluation tests.
func testEnv() Env {
	return Env{
		Input: value.MustDecode(`{
			"name": "Arnav", "template": "Hello, my name is {}.",
			"n": 5, "f": 1.5, "s": "a,b", "arr": [1, 2, 3], "obj": {"a": 1},
			"empty": [], "big": 1e3, "t": true, "zero": 0.4
		}`),
		Context: value.MustDecode(`{"Execution": {"Id": "arn:exec:1", "Input": {"x": 1}}}`),
		UUID:    func() string { return "0c4b9a0e-0f5e-4a4e-9b4e-3f5b0c1d2e3f" },
		Random:  func() float64 { return 0.5 },
		Field:   "v.$",
	}
}

type evalCase struct {
	name string
	expr string
	want string // JSON of the result
	err  string // failure name; cause checked with cause
	// cause is a substring of the failure's cause.
	cause string
}

func runEval(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			got, err := c.Eval(testEnv())
			if tc.err != "" {
				var fe *failure.Error
				if !errors.As(err, &fe) {
					t.Fatalf("Eval(%q) = %v, %v; want a *failure.Error %s", tc.expr, value.MarshalString(got), err, tc.err)
				}
				if fe.Name != tc.err || !strings.Contains(fe.Cause, tc.cause) {
					t.Fatalf("Eval(%q) error = %s: %q; want %s containing %q", tc.expr, fe.Name, fe.Cause, tc.err, tc.cause)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.expr, err)
			}
			if diff := cmp.Diff(tc.want, value.MarshalString(got)); diff != "" {
				t.Errorf("Eval(%q) mismatch (-want +got):\n%s", tc.expr, diff)
			}
		})
	}
}

const iFail = failure.IntrinsicFailure

func TestFormat(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "literal", expr: `States.Format('Hello, my name is {}.', 'Arnav')`, want: `"Hello, my name is Arnav."`},
		{name: "no placeholders", expr: `States.Format('plain')`, want: `"plain"`},
		{name: "escapes", expr: `States.Format('\{\} \'q\' \\ {}', 1)`, want: `"{} 'q' \\ 1"`},
		{name: "escaped brace next to placeholder", expr: `States.Format('\{{}\}', 'x')`, want: `"{x}"`},
		{name: "lone braces are text", expr: `States.Format('{"a": {}}', 'x')`, want: `"{\"a\": x}"`},
		{name: "integer", expr: `States.Format('{}', 2020)`, want: `"2020"`},
		{name: "negative integer", expr: `States.Format('{}', -7)`, want: `"-7"`},
		{name: "decimal", expr: `States.Format('{}', 1.1)`, want: `"1.1"`},
		{name: "decimal with zero fraction", expr: `States.Format('{}', 1.0)`, want: `"1.0"`},
		{name: "exponent", expr: `States.Format('{}', 1e3)`, want: `"1000.0"`},
		{name: "large double", expr: `States.Format('{}', 1.5e10)`, want: `"1.5E10"`},
		{name: "small double", expr: `States.Format('{}', 0.0001)`, want: `"1.0E-4"`},
		{name: "booleans and null", expr: `States.Format('{} {} {}', true, false, null)`, want: `"true false null"`},
		{name: "array", expr: `States.Format('{}', States.Array(1, 'a', null, States.Array()))`, want: `"[1, a, null, []]"`},
		{name: "object", expr: `States.Format('{}', States.StringToJson('{"a":1,"b":"x","c":{"d":[true]}}'))`, want: `"{a=1, b=x, c={d=[true]}}"`},
		{name: "empty object", expr: `States.Format('[{}]', States.StringToJson('{}'))`, want: `"[{}]"`},
		{name: "template from path", expr: `States.Format($.template, $.name)`, want: `"Hello, my name is Arnav."`},
		{name: "path number", expr: `States.Format('{}/{}', $.n, $.big)`, want: `"5/1000.0"`},
		{name: "path template count mismatch", expr: `States.Format($.template, $.name, 1)`, err: iFail, cause: "1 placeholder but 2 values"},
		{name: "template not a string", expr: `States.Format($.n)`, err: iFail, cause: "argument 1 must be a string"},
	})
}

func TestJSON(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "StringToJson object keeps order", expr: `States.StringToJson('{"b": 1, "a": [1, 2]}')`, want: `{"b":1,"a":[1,2]}`},
		{name: "StringToJson number", expr: `States.StringToJson('1.1')`, want: `1.1`},
		{name: "StringToJson empty is null", expr: `States.StringToJson('')`, want: `null`},
		{name: "StringToJson invalid", expr: `States.StringToJson('{nope')`, err: iFail, cause: "not valid JSON"},
		{name: "StringToJson path", expr: `States.StringToJson($.s)`, err: iFail, cause: "not valid JSON"},
		{name: "JsonToString object", expr: `States.JsonToString(States.StringToJson('{"b": 1, "a": []}'))`, want: `"{\"b\":1,\"a\":[]}"`},
		{name: "JsonToString string", expr: `States.JsonToString('x')`, want: `"\"x\""`},
		{name: "JsonToString null", expr: `States.JsonToString(null)`, want: `"null"`},
		{name: "JsonToString path", expr: `States.JsonToString($.obj)`, want: `"{\"a\":1}"`},
		{name: "JsonMerge shallow", expr: `States.JsonMerge(States.StringToJson('{"a":{"x":1},"b":2,"d":3}'), States.StringToJson('{"a":{"y":1},"c":3,"d":4}'), false)`, want: `{"a":{"y":1},"b":2,"d":4,"c":3}`},
		{name: "JsonMerge non-object", expr: `States.JsonMerge($.arr, $.obj, false)`, err: iFail, cause: "argument 1 must be an object, got array"},
		{name: "JsonMerge deep from path", expr: `States.JsonMerge($.obj, $.obj, $.t)`, err: iFail, cause: "must be false"},
		{name: "JsonMerge context path", expr: `States.JsonMerge($$.Execution.Input, $.obj, false)`, want: `{"x":1,"a":1}`},
	})
}

func TestArrays(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "Array", expr: `States.Array(1, 'two', true, null, States.Array(3))`, want: `[1,"two",true,null,[3]]`},
		{name: "Array empty", expr: `States.Array()`, want: `[]`},
		{name: "Array path", expr: `States.Array($.n)`, want: `[5]`},
		{name: "ArrayPartition", expr: `States.ArrayPartition(States.ArrayRange(1, 7, 1), 3)`, want: `[[1,2,3],[4,5,6],[7]]`},
		{name: "ArrayPartition exact", expr: `States.ArrayPartition(States.Array(1, 2), 2)`, want: `[[1,2]]`},
		{name: "ArrayPartition huge size", expr: `States.ArrayPartition(States.Array(1, 2), 9223372036854775807)`, want: `[[1,2]]`},
		{name: "ArrayPartition empty", expr: `States.ArrayPartition(States.Array(), 2)`, want: `[]`},
		{name: "ArrayPartition zero from path", expr: `States.ArrayPartition($.arr, States.MathAdd(0, 0))`, err: iFail, cause: "must be a positive integer"},
		{name: "ArrayContains", expr: `States.ArrayContains($.arr, 2)`, want: `true`},
		{name: "ArrayContains number by value", expr: `States.ArrayContains($.arr, 2.0)`, want: `true`},
		{name: "ArrayContains missing", expr: `States.ArrayContains($.arr, '2')`, want: `false`},
		{name: "ArrayContains object", expr: `States.ArrayContains(States.Array($.obj), $.obj)`, want: `true`},
		{name: "ArrayRange", expr: `States.ArrayRange(1, 9, 2)`, want: `[1,3,5,7,9]`},
		{name: "ArrayRange uneven", expr: `States.ArrayRange(1, 10, 4)`, want: `[1,5,9]`},
		{name: "ArrayRange down", expr: `States.ArrayRange(5, 1, -2)`, want: `[5,3,1]`},
		{name: "ArrayRange wrong direction", expr: `States.ArrayRange(1, 5, -1)`, want: `[]`},
		{name: "ArrayRange single", expr: `States.ArrayRange(3, 3, 1)`, want: `[3]`},
		{name: "ArrayRange 1000", expr: `States.ArrayLength(States.ArrayRange(1, 1000, 1))`, want: `1000`},
		{name: "ArrayRange 1001", expr: `States.ArrayRange(0, 1000, 1)`, err: iFail, cause: "more than 1000 elements"},
		{name: "ArrayRange huge", expr: `States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)`, err: iFail, cause: "more than 1000 elements"},
		{name: "ArrayRange decimal from path", expr: `States.ArrayRange($.f, 3, 1)`, want: `[2,3]`},
		{name: "ArrayGetItem", expr: `States.ArrayGetItem($.arr, 1)`, want: `2`},
		{name: "ArrayGetItem out of range", expr: `States.ArrayGetItem($.arr, 3)`, err: iFail, cause: "index 3 is out of bounds for an array of length 3"},
		{name: "ArrayGetItem on object", expr: `States.ArrayGetItem($.obj, 0)`, err: iFail, cause: "argument 1 must be an array, got object"},
		{name: "ArrayLength", expr: `States.ArrayLength($.arr)`, want: `3`},
		{name: "ArrayLength empty", expr: `States.ArrayLength($.empty)`, want: `0`},
		{name: "ArrayLength string", expr: `States.ArrayLength($.name)`, err: iFail, cause: `must be an array, got the string "Arnav"`},
		{name: "ArrayUnique", expr: `States.ArrayUnique(States.Array(1, 2, 3, 3, 3, 3, 3, 3, 4))`, want: `[1,2,3,4]`},
		{name: "ArrayUnique mixed", expr: `States.ArrayUnique(States.Array(1, 1.0, '1', null, null, $.obj, $.obj, States.Array(1), States.Array(1)))`, want: `[1,"1",null,{"a":1},[1]]`},
	})
}

func TestEncodingAndHash(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", maxEncodeInput+1)
	runEval(t, []evalCase{
		{name: "Base64Encode", expr: `States.Base64Encode('Data to encode')`, want: `"RGF0YSB0byBlbmNvZGU="`},
		{name: "Base64Encode empty", expr: `States.Base64Encode('')`, want: `""`},
		{name: "Base64Encode unicode", expr: `States.Base64Encode('é')`, want: `"w6k="`},
		{name: "Base64Decode", expr: `States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, want: `"Data to encode"`},
		{name: "Base64Decode empty", expr: `States.Base64Decode('')`, want: `""`},
		{name: "Base64Decode invalid", expr: `States.Base64Decode('!!!')`, err: iFail, cause: "not valid Base64"},
		{name: "Base64Decode non-UTF-8", expr: `States.Base64Decode('/w==')`, want: "\"\uFFFD\""},
		{name: "Base64Encode limit", expr: `States.Base64Encode(States.Format('{}', '` + long + `'))`, err: iFail, cause: "at most 10000"},
		{name: "MD5", expr: `States.Hash('input data', 'MD5')`, want: `"812f45842bc6d66ee14572ce20db8e86"`},
		{name: "SHA-1", expr: `States.Hash('input data', 'SHA-1')`, want: `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{name: "SHA-256", expr: `States.Hash('input data', 'SHA-256')`, want: `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{name: "SHA-384", expr: `States.Hash('input data', 'SHA-384')`, want: `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
		{name: "SHA-512", expr: `States.Hash('input data', 'SHA-512')`, want: `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`},
		{name: "Hash unknown algorithm from path", expr: `States.Hash('x', $.name)`, err: iFail, cause: "must be one of MD5"},
	})
}

func TestMath(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "MathAdd", expr: `States.MathAdd(111, -1)`, want: `110`},
		{name: "MathAdd rounds each half-up", expr: `States.MathAdd(1.49, 1.5)`, want: `3`},
		{name: "MathAdd negative halves", expr: `States.MathAdd(-1.5, -1.51)`, want: `-3`},
		{name: "MathAdd -2.5", expr: `States.MathAdd(-2.5, 0)`, want: `-2`},
		{name: "MathAdd -0.5 + 0.5", expr: `States.MathAdd(-0.5, 0.5)`, want: `1`},
		{name: "MathAdd just below a half", expr: `States.MathAdd(0.49999999999999994, 0)`, want: `0`},
		{name: "MathAdd int32 bounds", expr: `States.MathAdd(2147483647, 2147483647)`, want: `4294967294`},
		{name: "MathAdd path", expr: `States.MathAdd($.n, $.f)`, want: `7`},
		{name: "MathAdd string from path", expr: `States.MathAdd($.name, 1)`, err: iFail, cause: "argument 1 must be a number"},
		{name: "MathAdd nested", expr: `States.MathAdd(States.ArrayLength(States.StringSplit('a-b-c', '-')), -1)`, want: `2`},
		{name: "MathRandom from Env", expr: `States.MathRandom(1, 10)`, want: `5`},
		{name: "MathRandom one value", expr: `States.MathRandom(4, 5)`, want: `4`},
		{name: "MathRandom start equals end", expr: `States.MathRandom(5, $.n)`, err: iFail, cause: "the end 5 must be greater than the start 5"},
		{name: "MathRandom reversed", expr: `States.MathRandom(6, $.n)`, err: iFail, cause: "the end 5 must be greater than the start 6"},
	})
}

// TestRoundedArguments pins AWS's documented rule for the integer arguments of
// States.ArrayRange, States.ArrayPartition's chunk size and States.MathRandom's
// bounds: a non-integer is rounded to the nearest integer (halves as Java's
// Math.round: towards +Inf), then the function's own checks apply.
func TestRoundedArguments(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "ArrayRange all rounded", expr: `States.ArrayRange(0.5, 2.5, 1.4)`, want: `[1,2,3]`},
		{name: "ArrayRange step rounds up", expr: `States.ArrayRange(1, 6, 1.5)`, want: `[1,3,5]`},
		{name: "ArrayRange negative halves towards +Inf", expr: `States.ArrayRange(1.5, -1.5, -1.5)`, want: `[2,1,0,-1]`},
		{name: "ArrayRange below a half", expr: `States.ArrayRange(1.49, 3.49, 1)`, want: `[1,2,3]`},
		{name: "ArrayRange from path", expr: `States.ArrayRange(1, $.f, 1)`, want: `[1,2]`},
		{name: "ArrayRange integral decimal", expr: `States.ArrayRange(1.0, 3e0, 1)`, want: `[1,2,3]`},
		{name: "ArrayRange step rounds to zero", expr: `States.ArrayRange(1, 3, $.zero)`, err: iFail, cause: "argument 3 must be a non-zero integer, got 0.4 (rounded to 0)"},
		{name: "ArrayRange limit after rounding", expr: `States.ArrayRange(0.5, 1000.4, 1)`, want: `[` + seq(1, 1000) + `]`},
		{name: "ArrayRange over limit after rounding", expr: `States.ArrayRange(0.4, 1000.4, 1)`, err: iFail, cause: "more than 1000 elements"},
		{name: "ArrayPartition size rounds up", expr: `States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 1.5)`, want: `[[1,2],[3,4],[5]]`},
		{name: "ArrayPartition size rounds down", expr: `States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2.49)`, want: `[[1,2],[3,4],[5]]`},
		{name: "ArrayPartition size from path", expr: `States.ArrayPartition($.arr, $.f)`, want: `[[1,2],[3]]`},
		{name: "ArrayPartition size rounds to zero", expr: `States.ArrayPartition($.arr, $.zero)`, err: iFail, cause: "argument 2 must be a positive integer, got 0.4 (rounded to 0)"},
		{name: "MathRandom end is exclusive", expr: `States.MathRandom(1, 2)`, want: `1`},
		{name: "MathRandom bounds rounded", expr: `States.MathRandom(0.5, 1.5)`, want: `1`},
		{name: "MathRandom bounds rounded from path", expr: `States.MathRandom($.f, 3.4)`, want: `2`},
		{name: "MathRandom negative halves towards +Inf", expr: `States.MathRandom(-1.5, -0.5)`, want: `-1`},
		{name: "MathRandom empty after rounding", expr: `States.MathRandom(0.6, 1.4)`, err: iFail, cause: "the end 1 must be greater than the start 1"},
	})
}

// TestMathRandomEndExclusive draws across the whole of [0,1) and checks that
// the end is never produced, with and without a seed.
func TestMathRandomEndExclusive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr   string
		lo, hi int64 // the values allowed: lo ≤ v < hi
	}{
		{`States.MathRandom(0, 3)`, 0, 3},
		{`States.MathRandom(-2, 2)`, -2, 2},
		{`States.MathRandom(7, 8)`, 7, 8},
		{`States.MathRandom(0.5, 2.5)`, 1, 3},
	} {
		c, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, r := range []float64{0, 0.1, 0.34, 0.5, 0.67, 0.9, 0.999999999999} {
			v, err := c.Eval(Env{Random: func() float64 { return r }})
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			i, _ := v.(value.Number).Int64()
			if i < tc.lo || i >= tc.hi {
				t.Errorf("%s with Random()=%v = %d, want %d ≤ v < %d", tc.expr, r, i, tc.lo, tc.hi)
			}
			seen[i] = true
		}
		if int64(len(seen)) != tc.hi-tc.lo {
			t.Errorf("%s gave %d distinct values, want all %d", tc.expr, len(seen), tc.hi-tc.lo)
		}
	}
}

// seq is the JSON of the integers lo..hi, comma-separated.
func seq(lo, hi int) string {
	var b strings.Builder
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteByte(',')
		}
		b.WriteString(itoa(i))
	}
	return b.String()
}

func TestMathRandomSeeded(t *testing.T) {
	t.Parallel()
	c, err := Parse(`States.MathRandom(0, 999, 3)`)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Random: func() float64 { panic("the seeded form must not use Env.Random") }}
	first, err := c.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if again, _ := c.Eval(env); !value.Equal(first, again) {
			t.Fatalf("seeded MathRandom gave %v then %v", first, again)
		}
	}
	seen := map[string]bool{}
	for seed := range 50 {
		c, err := Parse(`States.MathRandom(-3, 3, ` + itoa(seed) + `)`)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Eval(env)
		if err != nil {
			t.Fatal(err)
		}
		i, _ := v.(value.Number).Int64()
		if i < -3 || i >= 3 {
			t.Fatalf("seed %d: %d outside [-3, 3)", seed, i)
		}
		seen[string(v.(value.Number))] = true
	}
	if len(seen) < 5 {
		t.Errorf("50 seeds gave only %d distinct values", len(seen))
	}
}

func TestMathRandomBounds(t *testing.T) {
	t.Parallel()
	c, err := Parse(`States.MathRandom(-2147483648, 2147483647)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []float64{0, 0.999999999999, 1, -1} {
		v, err := c.Eval(Env{Random: func() float64 { return r }})
		if err != nil {
			t.Fatal(err)
		}
		i, _ := v.(value.Number).Int64()
		if i < -2147483648 || i >= 2147483647 {
			t.Errorf("Random()=%v gave %d", r, i)
		}
	}
	if _, err := c.Eval(Env{}); err == nil {
		t.Error("MathRandom without Env.Random and seed succeeded")
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "StringSplit", expr: `States.StringSplit('1,2,3,4,5', ',')`, want: `["1","2","3","4","5"]`},
		{name: "StringSplit character set", expr: `States.StringSplit('This.is+a,test=string', '.+,=')`, want: `["This","is","a","test","string"]`},
		{name: "StringSplit drops empty parts", expr: `States.StringSplit(',,,,', ',')`, want: `[]`},
		{name: "StringSplit keeps blanks", expr: `States.StringSplit(', , ,', ',')`, want: `[" "," "]`},
		{name: "StringSplit newline literal", expr: "States.StringSplit('Hello\nWorld', '\n')", want: `["Hello","World"]`},
		{name: "StringSplit empty delimiter", expr: `States.StringSplit('abc', '')`, want: `["abc"]`},
		{name: "StringSplit unicode", expr: `States.StringSplit('a→b→c', '→')`, want: `["a","b","c"]`},
		{name: "StringSplit path", expr: `States.StringSplit($.s, ',')`, want: `["a","b"]`},
		{name: "StringSplit non-string", expr: `States.StringSplit($.arr, ',')`, err: iFail, cause: "argument 1 must be a string, got array"},
		{name: "UUID", expr: `States.UUID()`, want: `"0c4b9a0e-0f5e-4a4e-9b4e-3f5b0c1d2e3f"`},
		{name: "nested last", expr: `States.ArrayGetItem(States.StringSplit('alpha-beta-gamma', '-'), States.MathAdd(States.ArrayLength(States.StringSplit('alpha-beta-gamma', '-')), -1))`, want: `"gamma"`},
	})
}

func TestPathArguments(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{name: "whole input", expr: `States.JsonToString($)`, want: `"` + strings.ReplaceAll(value.MarshalString(testEnv().Input), `"`, `\"`) + `"`},
		{name: "context", expr: `States.Format('{}', $$.Execution.Id)`, want: `"arn:exec:1"`},
		{name: "bracket path with comma", expr: `States.Array($['name'], $.arr[0])`, want: `["Arnav",1]`},
		{name: "missing", expr: `States.Format('{}', $.nope)`, err: failure.Runtime, cause: "The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{"},
	})
}

func TestUUIDWithoutSource(t *testing.T) {
	t.Parallel()
	c, _ := Parse(`States.UUID()`)
	_, err := c.Eval(Env{})
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Name != failure.IntrinsicFailure {
		t.Fatalf("got %v", err)
	}
}
