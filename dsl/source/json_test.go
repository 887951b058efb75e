package source

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestJSONPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want map[string]where
	}{
		{
			name: "nested objects and arrays",
			text: "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": [1, [2, 3]]}\n  }\n}",
			want: map[string]where{
				"":                   {at(1, 1), at(1, 1)},
				"/StartAt":           {at(2, 14), at(2, 3)},
				"/States":            {at(3, 13), at(3, 3)},
				"/States/A":          {at(4, 10), at(4, 5)},
				"/States/A/Type":     {at(4, 19), at(4, 11)},
				"/States/A/Next":     {at(4, 35), at(4, 27)},
				"/States/A/Next/0":   {at(4, 36), at(4, 36)},
				"/States/A/Next/1":   {at(4, 39), at(4, 39)},
				"/States/A/Next/1/1": {at(4, 43), at(4, 43)},
			},
		},
		{
			name: "characters before a value are counted as runes",
			text: `{"é€😀": "ñ", "x": 1}`,
			want: map[string]where{
				"/é€😀": {at(1, 9), at(1, 2)},
				"/x":   {at(1, 19), at(1, 14)},
			},
		},
		{
			name: "an escape counts as the characters written",
			text: `{"a\u00e9": true}`,
			want: map[string]where{"/aé": {at(1, 13), at(1, 2)}},
		},
		{
			name: "CRLF line endings",
			text: "{\r\n\t\"a\": 1,\r\n\t\"b\":\r\n\t\t[null]\r\n}\r\n",
			want: map[string]where{
				"/a":   {at(2, 7), at(2, 2)},
				"/b":   {at(4, 3), at(3, 2)},
				"/b/0": {at(4, 4), at(4, 4)},
			},
		},
		{
			name: "a byte-order mark is not a column",
			text: "\ufeff{\"a\": 1}",
			want: map[string]where{"": {at(1, 1), at(1, 1)}, "/a": {at(1, 7), at(1, 2)}},
		},
		{
			name: "escaped pointer tokens",
			text: `{"a/b": {"c~d": 1}}`,
			want: map[string]where{"/a~1b/c~0d": {at(1, 17), at(1, 10)}},
		},
		{
			name: "missing members point at the nearest key",
			text: "{\n  \"States\": {\n    \"A\": {\"Type\": \"Task\"}\n  },\n  \"L\": [{}]\n}",
			want: map[string]where{
				"/States/A/Resource": {at(3, 5), at(3, 5)},
				"/States/B/Next":     {at(2, 3), at(2, 3)},
				"/StartAt":           {at(1, 1), at(1, 1)},
				"/L/0/x":             {at(5, 9), at(5, 9)},
				"/L/7":               {at(5, 3), at(5, 3)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, tt.text, JSON)
			checkPositions(t, doc, tt.want)
		})
	}
}

func TestJSONValues(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `{"b": 1.50, "a": [-0, 1e+3, "x\n\ud83d\ude00", true, false, null], "s": "\ud800"}`, JSON)
	want := value.ObjectOf(
		"b", value.Number("1.50"),
		"a", []any{value.Number("-0"), value.Number("1e+3"), "x\n😀", true, false, nil},
		"s", "\uFFFD",
	)
	if got := value.MarshalString(doc.Root); got != value.MarshalString(want) {
		t.Errorf("root = %s, want %s", got, value.MarshalString(want))
	}
	if doc.Format != JSON {
		t.Errorf("format = %v", doc.Format)
	}
}

func TestJSONProblems(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name string
		text string
		want []problemWant
	}{
		{"empty", "", []problemWant{{at(1, 1), "", "found end of text"}}},
		{"trailing comma in object", `{"a": 1,}`, []problemWant{{at(1, 9), "", "trailing comma"}}},
		{"trailing comma in array", `{"a": [1,]}`, []problemWant{{at(1, 10), "", "trailing comma"}}},
		{"missing colon", `{"a" 1}`, []problemWant{{at(1, 6), "", "expected ':'"}}},
		{"bad literal", `{"a": tru}`, []problemWant{{at(1, 7), "", "expected true"}}},
		{"single quotes", `{"a": 'x'}`, []problemWant{{at(1, 7), "", "double quotes"}}},
		{"unterminated string", `{"a": "x`, []problemWant{{at(1, 9), "", "unterminated string"}}},
		{"line break in string", "{\"a\": \"x\ny\"}", []problemWant{{at(1, 9), "", "unterminated string"}}},
		{"bad escape", `{"a": "\q"}`, []problemWant{{at(1, 8), "", `invalid escape '\q'`}}},
		{"bad unicode escape", `{"a": "\u12x4"}`, []problemWant{{at(1, 12), "", "not a hex digit"}}},
		{"leading zero", `{"a": 01}`, []problemWant{{at(1, 8), "", "leading zero"}}},
		{"no fraction digits", `{"a": 1.}`, []problemWant{{at(1, 9), "", "after '.'"}}},
		{"missing comma on the next line", "{\n  \"a\": 1\n  \"b\": 2\n}", []problemWant{{at(3, 3), "", "expected ',' or '}'"}}},
		{"text after the document", `{} x`, []problemWant{{at(1, 4), "", "after the end"}}},
		{"unclosed object", "{\"a\": 1\n", []problemWant{{at(2, 1), "", "found end of text"}}},
		{"after multibyte text", `{"ééé": x}`, []problemWant{{at(1, 9), "", `found 'x'`}}},
		{
			"duplicate keys, each reported",
			"{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2},\n \"a\": 3}",
			[]problemWant{{at(2, 16), "/b/c", `duplicate key "c" (first at 2:8)`}, {at(3, 2), "/a", `duplicate key "a" (first at 1:2)`}},
		},
		{"too deep", deep(MaxDepth + 1), []problemWant{{at(1, MaxDepth+1), strings.Repeat("/0", MaxDepth), "more than 100 levels"}}},
		{"invalid UTF-8", "{\"é\": \"\xff\"}", []problemWant{{at(1, 8), "", "not valid UTF-8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, ps := Parse([]byte(tt.text), JSON)
			if doc != nil {
				t.Error("a document despite problems")
			}
			checkProblems(t, ps, tt.want)
		})
	}
}

func TestJSONDepthLimitIsInclusive(t *testing.T) {
	t.Parallel()
	text := strings.Repeat(`{"a":`, MaxDepth-1) + "[]" + strings.Repeat("}", MaxDepth-1)
	doc := mustParse(t, text, JSON)
	ptr := strings.Repeat("/a", MaxDepth-1)
	if got, ok := doc.Lookup(ptr); !ok || cmp.Diff([]any{}, got) != "" {
		t.Errorf("Lookup(deepest) = %v, %v", got, ok)
	}
}
