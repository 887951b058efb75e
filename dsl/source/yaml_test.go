package source

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestYAMLPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want map[string]where
	}{
		{
			name: "nested mappings and sequences",
			text: "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result:\n      - 1\n      - [2, {x: 3}]\n    End: true\n",
			want: map[string]where{
				"":                       {at(1, 1), at(1, 1)},
				"/StartAt":               {at(1, 10), at(1, 1)},
				"/States":                {at(3, 3), at(2, 1)},
				"/States/A":              {at(4, 5), at(3, 3)},
				"/States/A/Type":         {at(4, 11), at(4, 5)},
				"/States/A/Result/0":     {at(6, 9), at(6, 9)},
				"/States/A/Result/1":     {at(7, 9), at(7, 9)},
				"/States/A/Result/1/1/x": {at(7, 17), at(7, 14)},
				"/States/A/End":          {at(8, 10), at(8, 5)},
			},
		},
		{
			name: "a sequence of mappings",
			text: "Retry:\n  - ErrorEquals: [X]\n    MaxAttempts: 2\n",
			want: map[string]where{
				"/Retry/0":               {at(2, 5), at(2, 5)},
				"/Retry/0/ErrorEquals/0": {at(2, 19), at(2, 19)},
				"/Retry/0/MaxAttempts":   {at(3, 18), at(3, 5)},
			},
		},
		{
			name: "multi-line strings start at their indicator or first line",
			text: "a: |\n  one\n  two\nb: >-\n  x\n  y\nc: plain\n  continued\nd: \"quoted\n  too\"\n",
			want: map[string]where{
				"/a": {at(1, 4), at(1, 1)},
				"/b": {at(4, 4), at(4, 1)},
				"/c": {at(7, 4), at(7, 1)},
				"/d": {at(9, 4), at(9, 1)},
			},
		},
		{
			name: "characters before a value are counted as runes",
			text: "é€😀: ñ\nx: {ü: 1}\n",
			want: map[string]where{
				"/é€😀": {at(1, 6), at(1, 1)},
				"/x/ü": {at(2, 8), at(2, 5)},
			},
		},
		{
			name: "CRLF line endings",
			text: "a: 1\r\nb:\r\n  - c: 2\r\n",
			want: map[string]where{
				"/a":     {at(1, 4), at(1, 1)},
				"/b/0/c": {at(3, 8), at(3, 5)},
			},
		},
		{
			name: "a byte-order mark is not a column",
			text: "\ufeffa: 1\n",
			want: map[string]where{"/a": {at(1, 4), at(1, 1)}},
		},
		{
			name: "an alias is where it is written, its contents where the anchor is",
			text: "a: &r [1]\nb: *r\n",
			want: map[string]where{
				"/b":   {at(2, 4), at(2, 1)},
				"/b/0": {at(1, 8), at(1, 8)},
			},
		},
		{
			name: "missing members point at the nearest key",
			text: "States:\n  A:\n    Type: Task\n",
			want: map[string]where{
				"/States/A/Resource": {at(2, 3), at(2, 3)},
				"/StartAt":           {at(1, 1), at(1, 1)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, tt.text, YAML)
			checkPositions(t, doc, tt.want)
		})
	}
}

func TestYAMLScalars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want value.Value
	}{
		// YAML 1.2: only true and false are booleans.
		{"yes", "yes"}, {"no", "no"}, {"on", "on"}, {"off", "off"}, {"y", "y"}, {"Y", "Y"},
		{"true", true}, {"True", true}, {"FALSE", false},
		{"null", nil}, {"~", nil}, {"", nil}, {"Null", nil},
		{"12", value.Number("12")}, {"+12", value.Number("12")}, {"-0", value.Number("-0")},
		{"0", value.Number("0")}, {"0x1F", value.Number("31")}, {"-0x10", value.Number("-16")},
		{"0o17", value.Number("15")}, {"0b101", value.Number("5")}, {"1_000", value.Number("1000")},
		{"99999999999999999999", value.Number("99999999999999999999")},
		{"1.50", value.Number("1.50")}, {".5", value.Number("0.5")}, {"-.5", value.Number("-0.5")},
		{"1.", value.Number("1")}, {"1e3", value.Number("1e3")}, {"2.5E-3", value.Number("2.5E-3")},
		{"01.5", value.Number("1.5")},
		// Too big for yaml.v3 to call it a number: stays text.
		{"0xFFFFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFFFFF"},
		// Timestamps keep their text.
		{"2024-01-01", "2024-01-01"}, {"2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"},
		{`"12"`, "12"}, {"'true'", "true"}, {"!!str 12", "12"}, {"!!str", ""},
		{`!!int "12"`, value.Number("12")}, {"!!float 3", value.Number("3")}, {"!!float 0x10", value.Number("16")},
		{"!!bool true", true}, {"!!null ''", nil}, {"!!timestamp 2024-01-01", "2024-01-01"},
		{"$.a.b", "$.a.b"}, {"States.Format('{}', $.x)", "States.Format('{}', $.x)"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, "v: "+tt.text+"\n", YAML)
			got, _ := doc.Lookup("/v")
			if value.MarshalString(got) != value.MarshalString(tt.want) || value.TypeName(got) != value.TypeName(tt.want) {
				t.Errorf("v: %s = %#v, want %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestYAMLProblems(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name string
		text string
		want []problemWant
	}{
		{"duplicate keys", "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", []problemWant{
			{at(4, 3), "/b/c", `duplicate key "c" (first at 3:3)`},
			{at(5, 1), "/a", `duplicate key "a" (first at 1:1)`},
		}},
		{"merge key", "base: &b {x: 1}\nS:\n  <<: *b\n", []problemWant{{at(3, 3), "/S/<<", "merge keys"}}},
		{"quoted << is a plain key", "S: {\"<<\": 1, x: !!merge 1}\n", []problemWant{{at(1, 17), "/S/x", "tag !!merge"}}},
		{"integer key", "1: a\n", []problemWant{{at(1, 1), "", "the key 1 is read as a number; quote it"}}},
		{"boolean key", "S:\n  true: a\n", []problemWant{{at(2, 3), "/S", "read as a boolean"}}},
		{"null key", "S:\n  ~: a\n", []problemWant{{at(2, 3), "/S", "read as null"}}},
		{"float key", "1.5: a\n", []problemWant{{at(1, 1), "", "read as a number"}}},
		{"sequence key", "? [a]\n: x\n", []problemWant{{at(1, 3), "", "not a sequence"}}},
		{"alias key", "a: &k x\n*k : y\n", []problemWant{{at(2, 1), "", "alias (*k) cannot be a key"}}},
		{"two documents", "a: 1\n---\nb: 2\n", []problemWant{{at(2, 1), "", "more than one YAML document"}}},
		{"binary", "a: !!binary aGk=\n", []problemWant{{at(1, 4), "/a", "!!binary"}}},
		{"custom tag", "a: !Ref x\n", []problemWant{{at(1, 4), "/a", "tag !Ref is not supported"}}},
		{"custom tag on a mapping", "a: !Thing {x: 1}\n", []problemWant{{at(1, 4), "/a", "tag !Thing"}}},
		{"set", "a: !!set {x}\n", []problemWant{{at(1, 4), "/a", "tag !!set"}}},
		{"explicit bad int", "a: !!int x\n", []problemWant{{at(1, 4), "/a", `"x" is not an integer`}}},
		{"explicit bad bool", "a: !!bool yes\n", []problemWant{{at(1, 4), "/a", `"yes" is not a boolean`}}},
		{"infinity", "a: .inf\nb: -.Inf\n", []problemWant{{at(1, 4), "/a", "no infinity or NaN"}, {at(2, 4), "/b", "no infinity"}}},
		{"NaN", "a: .nan\n", []problemWant{{at(1, 4), "/a", "no infinity or NaN"}}},
		{"octal-looking", "a: 010\n", []problemWant{{at(1, 4), "/a", "write 10, 0o10 for octal, or quote it"}}},
		{"leading zero, not octal", "a: 08\n", []problemWant{{at(1, 4), "/a", "write 8 or quote it"}}},
		{"recursive alias", "a: &a [1, *a]\n", []problemWant{{at(1, 11), "/a/1", "alias *a refers to a value that contains it"}}},
		{"too deep", "a: " + nest(MaxDepth) + "\n", []problemWant{{at(1, 4+MaxDepth-1), "/a" + strings.Repeat("/0", MaxDepth-1), "more than 100 levels"}}},
		{"syntax error", "a: 1\nb: [\n", []problemWant{{at(2, 1), "", "YAML syntax error"}}},
		{"syntax error in the middle", "a: 1\nb: c: d\n", []problemWant{{at(2, 1), "", "mapping values are not allowed"}}},
		{"tab indentation", "a:\n\tb: 1\n", []problemWant{{at(2, 1), "", "YAML syntax error"}}},
		{"invalid UTF-8", "a: 1\nb: \xc3\n", []problemWant{{at(2, 4), "", "not valid UTF-8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, ps := Parse([]byte(tt.text), YAML)
			if doc != nil {
				t.Error("a document despite problems")
			}
			checkProblems(t, ps, tt.want)
		})
	}
}

// billionLaughs builds the classic alias bomb: levels of nine aliases to the
// level below, 9^levels strings once expanded.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestYAMLAliasBomb: a document whose aliases expand to 9^9 values is
// refused once the expansion passes 10,000 values, not after expanding it
// (which would not end before the test's timeout).
func TestYAMLAliasBomb(t *testing.T) {
	t.Parallel()
	doc, ps := Parse([]byte(billionLaughs(9)), YAML)
	if doc != nil || len(ps) != 1 || !strings.Contains(ps[0].Message, "aliases expand to more than 10000 values") {
		t.Fatalf("got %v, %v", doc, ps)
	}
	// A few aliases of small values are fine.
	doc = mustParse(t, billionLaughs(2), YAML)
	if v, ok := doc.Lookup("/l2/8/8/8"); !ok || v != "lol" {
		t.Errorf("Lookup(/l2/8/8/8) = %v, %v", v, ok)
	}
}

func TestYAMLEmptyAndComments(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "# only a comment\n", "---\n", "a: 1\n---\n"} {
		doc := mustParse(t, text, YAML)
		if doc.Format != YAML {
			t.Errorf("%q: format %v", text, doc.Format)
		}
	}
}
