package jsonata

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestEncodeJSONNumbers checks numbers are written as JSON.stringify
// writes them (the wants are node's output).
func TestEncodeJSONNumbers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{0.1, "0.1"},
		{0.30000000000000004, "0.30000000000000004"},
		{1e+21, "1e+21"},
		{100000000000000000000, "100000000000000000000"},
		{1.23e-18, "1.23e-18"},
		{1.5e-7, "1.5e-7"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{-1e-7, "-1e-7"},
		{5e-324, "5e-324"},
		{1.7976931348623157e+308, "1.7976931348623157e+308"},
		{9007199254740992, "9007199254740992"},
		{9007199254740994, "9007199254740994"},
		{123456789012345680000, "123456789012345680000"},
		{0.000001234, "0.000001234"},
		{1234.5678, "1234.5678"},
		{-1.2345678e+33, "-1.2345678e+33"},
		{100, "100"},
		{1e+100, "1e+100"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
	}
	for _, tc := range cases {
		got, err := EncodeJSON(tc.f)
		if err != nil || string(got) != tc.want {
			t.Errorf("EncodeJSON(%v) = %s, %v; want %s", tc.f, got, err, tc.want)
		}
	}
}

func TestEncodeJSON(t *testing.T) {
	t.Parallel()
	obj := NewObject(4)
	obj.Set("a", "\u0001\u001f\u007f\"\\/\b\f\n\r\t\u2028é😀")
	obj.Set("b", Seq{1.0, nil, NewObject(0)})
	obj.Set("gone", Undefined)
	obj.Set("c", NewObject(0))
	obj.Set("f", &Builtin{Name: "sum"})
	cases := []struct {
		name string
		v    any
		want string
	}{
		// The want is node's JSON.stringify of the same object (whose
		// undefined member it leaves out), with "f":"" for the function.
		{"escapes, sequences, undefined members", obj, "{\"a\":\"\\u0001\\u001f\u007f\\\"\\\\/\\b\\f\\n\\r\\t\u2028é😀\",\"b\":[1,null,{}],\"c\":{},\"f\":\"\"}"},
		{"undefined in an array is null", []any{Undefined, true}, "[null,true]"},
		{"lone surrogate escaped", "a\xed\xa0\x80b", `"a\ud800b"`},
		{"bytes that are not UTF-8", "a\xffb", `"a\ufffdb"`},
	}
	for _, tc := range cases {
		got, err := EncodeJSON(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: EncodeJSON = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	if got, err := EncodeJSON(Undefined); got != nil || err != nil {
		t.Errorf("EncodeJSON(Undefined) = %q, %v; want nil, nil", got, err)
	}
}

func TestEncodeJSONIndent(t *testing.T) {
	t.Parallel()
	v := mustJSON(t, `{"a":[1,{"b":[]},[2]],"c":{}}`)
	got, err := EncodeJSONIndent(v)
	want := "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    },\n    [\n      2\n    ]\n  ],\n  \"c\": {}\n}" // node's JSON.stringify(v, null, 2)
	if err != nil || string(got) != want {
		t.Errorf("EncodeJSONIndent = %q, %v; want %q", got, err, want)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null,"x"],"b":2}`, `{"b":2,"a":[true,false,null,"x"]}`},
		{` [ ] `, `[]`},
		{`{}`, `{}`},
		{`-0`, `-0`},
		{`123456789012345678901234567890`, `1.2345678901234568e+29`},
		{`1e400`, `Infinity`},
		{`-1.5E-3`, `-0.0015`},
		{`"\u00e9\ud83d\ude00\n\/"`, `"é😀\n/"`},
		{`"\ud800x"`, `"\ud800x"`},
		{`"\udc00\ud800"`, `"\udc00\ud800"`},
		{`"\ud800\u0041"`, `"\ud800A"`},
	}
	for _, tc := range cases {
		v, err := DecodeJSON([]byte(tc.in))
		if err != nil {
			t.Errorf("DecodeJSON(%s): %v", tc.in, err)
			continue
		}
		got := show(v)
		if got != tc.want {
			t.Errorf("DecodeJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in        string
		line, col int
		msg       string
	}{
		{``, 1, 1, "unexpected end of input"},
		{`{"a":1,}`, 1, 8, "expecting a member name"},
		{"[1,\n 2 x]", 2, 4, "expecting ',' or ']'"},
		{`[01]`, 1, 3, "leading zero"},
		{`1.`, 1, 3, "after a decimal point"},
		{`"a`, 1, 3, "unterminated string"},
		{"\"a\tb\"", 1, 3, "control character"},
		{`"\x"`, 1, 3, "invalid escape"},
		{`"\u12g4"`, 1, 4, "four hex digits"},
		{`tru`, 1, 1, "expecting \"true\""},
		{`{} {}`, 1, 4, "after the value"},
		{`NaN`, 1, 1, "expecting a value"},
		{strings.Repeat("[", maxJSONDepth+1), 1, maxJSONDepth + 1, "nested deeper"},
	}
	for _, tc := range cases {
		_, err := DecodeJSON([]byte(tc.in))
		var je *JSONError
		if !errors.As(err, &je) || je.Line != tc.line || je.Column != tc.col || !strings.Contains(je.Msg, tc.msg) {
			t.Errorf("DecodeJSON(%.20q) error = %v; want line %d column %d containing %q", tc.in, err, tc.line, tc.col, tc.msg)
		}
	}
}

// FuzzDecodeJSON checks that whatever DecodeJSON accepts, EncodeJSON
// writes back as a text that decodes to the same value, and that nothing
// panics.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,-0,1e21,"x\u0001"],"b":{"c":null}}`, `"\ud800"`, `[true,false]`, `1e-7`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			return
		}
		out, err := EncodeJSON(v)
		if err != nil {
			t.Fatalf("EncodeJSON of decoded %q: %v", data, err)
		}
		w, err := DecodeJSON(out)
		if err != nil {
			t.Fatalf("re-decoding %q (from %q): %v", out, data, err)
		}
		if !DeepEqual(v, w) && !hasNaNOrInf(v) {
			t.Fatalf("%q -> %q does not round-trip", data, out)
		}
	})
}

func hasNaNOrInf(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case []any:
		for _, it := range x {
			if hasNaNOrInf(it) {
				return true
			}
		}
	case *Object:
		for _, k := range x.Keys() {
			m, _ := x.Get(k)
			if hasNaNOrInf(m) {
				return true
			}
		}
	}
	return false
}
