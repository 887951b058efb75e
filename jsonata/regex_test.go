package jsonata

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/internal/testenv"
)

// rxWantMatch is what jsonata-js's regex closure returns (without next).
type rxWantMatch struct {
	match      string
	start, end int
	groups     []any
}

// TestRegexExec runs patterns through the translation and compares the
// first match at or after a UTF-16 index with what JavaScript's RegExp
// finds (the expectations were produced by node 20).
func TestRegexExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, flags, s string
		from              int
		want              *rxWantMatch
	}{
		{`b+`, "", "ababbxabbcc", 0, &rxWantMatch{"b", 1, 2, []any{}}},
		{`b+`, "", "ababbxabbcc", 2, &rxWantMatch{"bb", 3, 5, []any{}}},
		{`(\w+)\s(\w+)`, "", "John Smith", 0, &rxWantMatch{"John Smith", 0, 10, []any{"John", "Smith"}}},
		{`a.c`, "", "a\nc abc", 0, &rxWantMatch{"abc", 4, 7, []any{}}},
		{`a.c`, "", "a\u000dc a\u2028c", 0, nil},
		{`^b`, "", "ab\nb", 0, nil},
		{`^b`, "m", "ab\nb", 0, &rxWantMatch{"b", 3, 4, []any{}}},
		{`^b`, "", "bab", 1, nil},
		{`\bb`, "", "ab b", 1, &rxWantMatch{"b", 3, 4, []any{}}},
		{`\Bb`, "", "b ab", 1, &rxWantMatch{"b", 3, 4, []any{}}},
		{`a$`, "", "a\na", 0, &rxWantMatch{"a", 2, 3, []any{}}},
		{`a$`, "m", "a\na", 0, &rxWantMatch{"a", 0, 1, []any{}}},
		{`\s+`, "", "a\u000b\u00a0\ufeffb", 0, &rxWantMatch{"\u000b\u00a0\ufeff", 1, 4, []any{}}},
		{`\S+`, "", " \u00a0xy\u2003", 0, &rxWantMatch{"xy", 2, 4, []any{}}},
		{`[\s]+`, "", "x \t\u3000y", 0, &rxWantMatch{" \t\u3000", 1, 4, []any{}}},
		{`[\S]+`, "", "  xy ", 0, &rxWantMatch{"xy", 2, 4, []any{}}},
		{`[^\s]+`, "", "  xy ", 0, &rxWantMatch{"xy", 2, 4, []any{}}},
		{`[]`, "", "abc", 0, nil},
		{`[^]+`, "", "a\nb", 0, &rxWantMatch{"a\nb", 0, 3, []any{}}},
		{`x`, "i", "aXbx", 0, &rxWantMatch{"X", 1, 2, []any{}}},
		{`[a-c]+`, "i", "xAbCd", 0, &rxWantMatch{"AbC", 1, 4, []any{}}},
		{`(?<year>\d{4})-(?<m>\d\d)`, "", "on 2024-05-01", 0, &rxWantMatch{"2024-05", 3, 10, []any{"2024", "05"}}},
		{`(a)|(b)`, "", "b", 0, &rxWantMatch{"b", 0, 1, []any{Undefined, "b"}}},
		{`\u0041\x42`, "", "zAB", 0, &rxWantMatch{"AB", 1, 3, []any{}}},
		{`\u{2}`, "", "uu", 0, &rxWantMatch{"uu", 0, 2, []any{}}},
		{`a{`, "", "a{", 0, &rxWantMatch{"a{", 0, 2, []any{}}},
		{`a{2,}`, "", "aaaa", 0, &rxWantMatch{"aaaa", 0, 4, []any{}}},
		{`a{1,2}?`, "", "aaaa", 0, &rxWantMatch{"a", 0, 1, []any{}}},
		{`a{,2}`, "", "a{,2}", 0, &rxWantMatch{"a{,2}", 0, 5, []any{}}},
		{`\a\e\k\8\/`, "", "aek8/", 0, &rxWantMatch{"aek8/", 0, 5, []any{}}},
		{`\2(a)`, "", "\u0002a", 0, &rxWantMatch{"\u0002a", 0, 2, []any{"a"}}},
		{`\0`, "", "x\u0000", 0, &rxWantMatch{"\u0000", 1, 2, []any{}}},
		{`\101`, "", "A", 0, &rxWantMatch{"A", 0, 1, []any{}}},
		{`\cJ`, "", "x\n", 0, &rxWantMatch{"\n", 1, 2, []any{}}},
		{`\c1`, "", "\\c1", 0, &rxWantMatch{"\\c1", 0, 3, []any{}}},
		{`[\cJ]`, "", "\n", 0, &rxWantMatch{"\n", 0, 1, []any{}}},
		{`[\b]`, "", "a\u0008b", 0, &rxWantMatch{"\u0008", 1, 2, []any{}}},
		{`[\d-z]+`, "", "1-z", 0, &rxWantMatch{"1-z", 0, 3, []any{}}},
		{`[a-]+`, "", "a-a", 0, &rxWantMatch{"a-a", 0, 3, []any{}}},
		{`[-a]+`, "", "a-a", 0, &rxWantMatch{"a-a", 0, 3, []any{}}},
		{`[[]+`, "", "[[", 0, &rxWantMatch{"[[", 0, 2, []any{}}},
		{`[.]`, "", "a.", 0, &rxWantMatch{".", 1, 2, []any{}}},
		{`é+`, "", "x\u00e9\u00e9y", 0, &rxWantMatch{"\u00e9\u00e9", 1, 3, []any{}}},
		{`b`, "", "\u00e9\U0001f600bb", 0, &rxWantMatch{"b", 3, 4, []any{}}},
		{`b`, "", "\u00e9\U0001f600bb", 4, &rxWantMatch{"b", 4, 5, []any{}}},
		{`\uD83D\uDE00`, "", "a\U0001f600", 0, &rxWantMatch{"\U0001f600", 1, 3, []any{}}},
		{`\w+`, "", "h\u00e9llo", 0, &rxWantMatch{"h", 0, 1, []any{}}},
		{`\d+\.?\d*`, "", "pi 3.14", 0, &rxWantMatch{"3.14", 3, 7, []any{}}},
		{`(?:ab)+`, "", "xababy", 0, &rxWantMatch{"abab", 1, 5, []any{}}},
		{`a|`, "", "b", 0, &rxWantMatch{"", 0, 0, []any{}}},
		{`a*?`, "", "aa", 0, &rxWantMatch{"", 0, 0, []any{}}},
		{`x*`, "", "abc", 0, &rxWantMatch{"", 0, 0, []any{}}},
		{`}`, "", "a}", 0, &rxWantMatch{"}", 1, 2, []any{}}},
		{`]`, "", "a]", 0, &rxWantMatch{"]", 1, 2, []any{}}},
		{`\-\]\[\(\)\{\}\|\^\$\.\*\+\?`, "", "-][(){}|^$.*+?", 0, &rxWantMatch{"-][(){}|^$.*+?", 0, 14, []any{}}},
		{`\t\n\v\f\r`, "", "\t\n\u000b\u000c\u000d", 0, &rxWantMatch{"\t\n\u000b\u000c\u000d", 0, 5, []any{}}},
		{`[^a-z]+`, "", "abcDEF", 0, &rxWantMatch{"DEF", 3, 6, []any{}}},
		{`[\u0041-\u0043]+`, "", "ABCD", 0, &rxWantMatch{"ABC", 0, 3, []any{}}},
		{`[\x41-\x43]+`, "i", "abcd", 0, &rxWantMatch{"abc", 0, 3, []any{}}},
		{`\W+`, "i", "ks!", 0, &rxWantMatch{"!", 2, 3, []any{}}},
		{`b`, "", "abc", 5, nil},
		{`$`, "", "abc", 0, &rxWantMatch{"", 3, 3, []any{}}},
		{`^`, "m", "a\nb", 1, &rxWantMatch{"", 2, 2, []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"/"+tt.flags, func(t *testing.T) {
			re, err := compileRegex(tt.pattern, tt.flags)
			if err != nil {
				t.Fatalf("compileRegex(%q, %q): %v", tt.pattern, tt.flags, err)
			}
			m := re.Exec(tt.s, tt.from)
			if tt.want == nil {
				if m != nil {
					t.Fatalf("Exec(%q, %d) = %s, want no match", tt.s, tt.from, rxJSON(t, m))
				}
				return
			}
			if m == nil {
				t.Fatalf("Exec(%q, %d): no match, want %q", tt.s, tt.from, tt.want.match)
			}
			got := rxWantMatch{match: rxMember(m, "match").(string), start: int(rxMember(m, "start").(float64)), end: int(rxMember(m, "end").(float64)), groups: rxMember(m, "groups").([]any)}
			if diff := cmp.Diff(*tt.want, got, cmp.AllowUnexported(rxWantMatch{}), cmp.Comparer(func(a, b undefinedType) bool { return true })); diff != "" {
				t.Errorf("Exec(%q, %d) (-want +got):\n%s", tt.s, tt.from, diff)
			}
			if next, ok := rxMember(m, "next").(*Builtin); !ok || next.Arity() != 0 {
				t.Errorf("next is %T, want a *Builtin of no arguments", rxMember(m, "next"))
			}
		})
	}
}

func rxMember(o *Object, k string) any {
	v, ok := o.Get(k)
	if !ok {
		return Undefined
	}
	return v
}

func rxJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := EncodeJSON(v)
	if err != nil {
		t.Fatalf("EncodeJSON: %v", err)
	}
	return string(b)
}

// TestRegexRefused: what RE2 cannot do, and what JavaScript refuses, is a
// compile error saying what and where.
func TestRegexRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, flags string
		code, why      string
	}{
		{"", "", "S0301", ""},
		{"a(?=b)", "", "S0303", "lookahead (?= is not supported"},
		{"a(?!b)", "", "S0303", "lookahead (?! is not supported"},
		{"(?<=a)b", "", "S0303", "lookbehind (?<= is not supported"},
		{"(?<!a)b", "", "S0303", "lookbehind (?<! is not supported"},
		{`(a)\1`, "", "S0303", `backreference \1 is not supported`},
		{`\1(a)`, "", "S0303", `backreference \1 is not supported`},
		{`(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10`, "", "S0303", `backreference \10 is not supported`},
		{`(?<n>a)\k<n>`, "", "S0303", `backreference \k is not supported`},
		{"a*+", "", "S0303", "nothing to repeat at 2"},
		{"a**", "", "S0303", "nothing to repeat"},
		{"+a", "", "S0303", "nothing to repeat at 0"},
		{"{2}", "", "S0303", "nothing to repeat at 0"},
		{"^*", "", "S0303", "nothing to repeat"},
		{`a|*`, "", "S0303", "nothing to repeat"},
		{`\b+`, "", "S0303", "nothing to repeat"},
		{"a{2,1}", "", "S0303", "numbers out of order in {} quantifier"},
		{"a{1001}", "", "S0303", "repetition count over 1000"},
		{"[z-a]", "", "S0303", "range out of order in character class at 0"},
		{"(a", "", "S0303", "unterminated group at 0"},
		{"a)", "", "S0303", "unmatched ')'"},
		{"[a", "", "S0303", "unterminated character class at 0"},
		{"(?i)a", "", "S0303", "invalid group at 0"},
		{"(?<1a>x)", "", "S0303", "invalid capture group name at 0"},
		{`a\`, "", "S0303", `\ at end of pattern`},
		{"a", "g", "S0303", `invalid flags "g"`},
		{"a", "ii", "S0303", `invalid flags "ii"`},
		{strings.Repeat("a", maxPatternLen+1), "", "S0303", "longer than 16384 bytes"},
		{strings.Repeat("(", 600) + strings.Repeat(")", 600), "", "S0303", "nested too deeply"},
		{"((a{1000}){1000}){1000}", "", "S0303", "invalid repeat count"},
	}
	for _, tt := range tests {
		name := tt.pattern
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			re, err := compileRegex(tt.pattern, tt.flags)
			if err == nil {
				t.Fatalf("compileRegex(%q, %q) = %v, want error %s", tt.pattern, tt.flags, re, tt.code)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Code != tt.code || !strings.Contains(e.Message, tt.why) {
				t.Errorf("error %s %q, want %s containing %q", e.Code, e.Message, tt.code, tt.why)
			}
		})
	}
}

// TestRegexNext walks matches with next() as jsonata-js's closures do: the
// indexes count UTF-16 code units, the end is undefined, and an empty match
// after the first is D1004.
func TestRegexNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       []float64 // the starts
		code       string    // the error ending the walk
	}{
		{"b", "é😀bb", []float64{3, 4}, ""},
		{`\bx`, "x x-x", []float64{0, 2, 4}, ""},
		{"^x", "xxx", []float64{0}, ""},
		{"a*", "aa", []float64{0}, ""},
		{"a*", "aab", []float64{0}, "D1004"},
		{"x*", "abc", []float64{0}, "D1004"},
		{"x*", "", []float64{0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.s, func(t *testing.T) {
			re, err := compileRegex(tt.pattern, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			var v any = re.Exec(tt.s, 0)
			for {
				m, ok := v.(*Object)
				if !ok {
					break
				}
				got = append(got, rxMember(m, "start").(float64))
				v, err = rxMember(m, "next").(*Builtin).Fn(nil, nil)
				if err != nil {
					break
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("starts (-want +got):\n%s", diff)
			}
			code := ""
			if err != nil {
				code = err.(*Error).Code
			}
			if code != tt.code {
				t.Errorf("walk ended with %v, want code %q", err, tt.code)
			}
		})
	}
}

// TestRegexApply calls a regex as a function, as /re/(str, from) does.
func TestRegexApply(t *testing.T) {
	t.Parallel()
	re, err := compileRegex("b", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []any
		want any // the start, or Undefined
	}{
		{[]any{"abcb"}, 1.0},
		{[]any{"abcb", 2.0}, 3.0},
		{[]any{"abcb", 2.7}, 3.0},
		{[]any{"abcb", -1.0}, 1.0},
		{[]any{"abcb", 9.0}, Undefined},
		{[]any{"abcb", "x"}, 1.0},
		{[]any{}, Undefined},     // "undefined" has no b
		{[]any{true}, Undefined}, // "true" neither
		{[]any{[]any{"b"}}, Undefined},
	}
	for i, tt := range tests {
		v, err := re.Apply(tt.args)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var got any = Undefined
		if m, ok := v.(*Object); ok {
			got = rxMember(m, "start")
		}
		if !DeepEqual(got, tt.want) {
			t.Errorf("Apply(%v) start = %v, want %v", tt.args, got, tt.want)
		}
	}
	if re.Arity() != 2 || !isFunction(re) {
		t.Errorf("a regex is a function of 2 arguments for the evaluator")
	}
	u, err := compileRegex("u", "")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := u.Apply(nil); IsUndefined(v) {
		t.Errorf(`/u/() found no u in "undefined"`)
	}
}

// TestRegexFunctions calls $match, $split, $contains and $replace with
// literal arguments; the expectations are jsonata-js 2.0.6's (node).
func TestRegexFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // JSON, "undefined", or an error code
	}{
		{`$match("ababbxabbcc", /b+/)`, `[{"match":"b","index":1,"groups":[]},{"match":"bb","index":3,"groups":[]},{"match":"bb","index":7,"groups":[]}]`},
		{`$match("ababbxabbcc", /b+/, 2)`, `[{"match":"b","index":1,"groups":[]},{"match":"bb","index":3,"groups":[]}]`},
		{`$match("ababbxabbcc", /b+/, 0)`, "undefined"},
		{`$match("ababbxabbcc", /b+/, 1.5)`, `[{"match":"b","index":1,"groups":[]},{"match":"bb","index":3,"groups":[]}]`},
		{`$match("aa", /a*/)`, `{"match":"aa","index":0,"groups":[]}`},
		{`$match("aab", /a*/)`, "D1004"},
		{`$match("abc", /x*/, 1)`, "D1004"},
		{`$match("é😀bb", /b/)`, `[{"match":"b","index":3,"groups":[]},{"match":"b","index":4,"groups":[]}]`},
		{`$match("b", /(a)|b/)`, `{"match":"b","index":0,"groups":[null]}`},
		{`$match("John Smith, Jane Doe", /(\w+) (\w+)/)`, `[{"match":"John Smith","index":0,"groups":["John","Smith"]},{"match":"Jane Doe","index":12,"groups":["Jane","Doe"]}]`},
		{`$match("a b", /\b/)`, "D1004"},
		{`$match("ab", /b/, -1)`, "D3040"},
		{`$match("aaa", /^a/)`, `{"match":"a","index":0,"groups":[]}`},
		{`$match("a\na", /^a/m)`, `[{"match":"a","index":0,"groups":[]},{"match":"a","index":2,"groups":[]}]`},
		{`$split("ababbxabbcc", /b+/)`, `["a","a","xa","cc"]`},
		{`$split("ababbxabbcc", /b+/, 2)`, `["a","a"]`},
		{`$split("ababbxabbcc", /b+/, 2.5)`, `["a","a","xa"]`},
		{`$split("ababbxabbcc", /d+/)`, `["ababbxabbcc"]`},
		{`$split("ababbxabbcc", /b+/, 0)`, `[]`},
		{`$split("abb", /b/)`, `["a","",""]`},
		{`$split("b", /b/)`, `["",""]`},
		{`$split("aab", /a*/)`, "D1004"},
		{`$split("a, b, c, d", ", ", 2)`, `["a","b"]`},
		{`$split("a, b, c, d", ", ", 2.5)`, `["a","b"]`},
		{`$split("a, b, c, d", ", ", 0)`, `[]`},
		{`$split("a, b, c, d", ", ", -3)`, "D3020"},
		{`$split("Hello", "")`, `["H","e","l","l","o"]`},
		{`$split("Hello", "", 2)`, `["H","e"]`},
		{`$split("", "")`, `[]`},
		{`$split("", ",")`, `[""]`},
		{`$split(",a,", ",")`, `["","a",""]`},
		{`$split('12💩345💩6', '💩')`, `["12","345","6"]`},
		{`$split("é😀bé", /b/)`, `["é😀","é"]`},
		{`$contains("ababbxabbcc", /ab+/)`, `true`},
		{`$contains("ababbxabbcc", /ax+/)`, `false`},
		{`$contains("abc", /x*/)`, `true`},
		{`$contains("Hello World", "lo")`, `true`},
		{`$contains("Hello World", "world")`, `false`},
		{`$replace("ababbxabbcc", /b+/, "yy")`, `"ayyayyxayycc"`},
		{`$replace("ababbxabbcc", /b+/, "yy", 2)`, `"ayyayyxabbcc"`},
		{`$replace("ababbxabbcc", /b+/, "yy", 1.5)`, `"ayyayyxabbcc"`},
		{`$replace("ababbxabbcc", /b+/, "yy", 0)`, `"ababbxabbcc"`},
		{`$replace("John Smith", /(\w+)\s(\w+)/, "$2, $1")`, `"Smith, John"`},
		{`$replace("265USD", /([0-9]+)USD/, "$$$1")`, `"$265"`},
		{`$replace("265USD", /([0-9]+)USD/, "$w")`, `"$w"`},
		{`$replace("265USD", /([0-9]+)USD/, "$0 -> $$$1")`, `"265USD -> $265"`},
		{`$replace("265USD", /([0-9]+)USD/, "$0$1$2")`, `"265USD265"`},
		{`$replace("abcd", /(ab)|(a)/, "[1=$1][2=$2]")`, `"[1=ab][2=]cd"`},
		{`$replace("abracadabra", /a.*?a/, "*")`, `"*c*bra"`},
		{`$replace("abracadabra", /.*?/, "$1")`, "D1004"},
		{`$replace("abcdefghijklmno", /(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)/, "$8$5$12$12$18$123")`, `"hella8l3no"`},
		{`$replace("abcdefghijklmno", /ijk/, "$8$5$12$12$18$123")`, `"abcdefgh22823lmno"`},
		{`$replace("abcdefghijklmno", /(ijk)/, "$8$5$12$12$18$123")`, `"abcdefghijk2ijk2ijk8ijk23lmno"`},
		{`$replace("abcdefghijklmno", /(ijk)/, "$x$")`, `"abcdefgh$x$lmno"`},
		{`$replace("abc", /(b)/, "[$ 1]")`, `"a[$ 1]c"`},
		{`$replace("abc", /(b)/, "[$-1]")`, `"a[$-1]c"`},
		{`$replace("abcdefghijkl", /(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)/, "[$ 1][$-1][$+1]")`, `"[a1][][a1]l"`},
		{`$replace("abc", /(b)/, "$")`, `"a$c"`},
		{`$replace("a😀b😀", /😀/, "-")`, `"a-b-"`},
		{`$replace("the cat sat on the mat", "at", "it")`, `"the cit sit on the mit"`},
		{`$replace("the cat sat on the mat", "at", "it", 2)`, `"the cit sit on the mat"`},
		{`$replace("the cat sat on the mat", "at", "it", 0)`, `"the cat sat on the mat"`},
		{`$replace("hello", "l", "1", -2)`, "D3011"},
		{`$replace("hello", "", "bye")`, "D3010"},
		{`$replace("a$1b", "$1", "$$")`, `"a$$b"`},
		{`$replace("abc", /c/, "x")`, `"abx"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			rxCheckLiteralCall(t, tt.expr, tt.want)
		})
	}
}

// rxCheckLiteralCall evaluates a call of a regex function with literal
// arguments and compares the result with want (JSON, "undefined" or an
// error code).
func rxCheckLiteralCall(t *testing.T, expr, want string) {
	t.Helper()
	b, args, ok := rxParseLiteralCall(t, expr)
	if !ok {
		t.Fatalf("%s is not a call with literal arguments", expr)
	}
	v, err := b.Fn(&Call{}, args)
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("%s: error %T %v, want *Error", expr, err, err)
		}
		if e.Code != want {
			t.Fatalf("%s: error %v, want %s", expr, err, want)
		}
		if strings.Contains(e.Message, "{{") || e.Message == "error" {
			t.Errorf("%s: message %q has no text of its own", expr, e.Message)
		}
		return
	}
	got := "undefined"
	if v = rxFinish(v); !IsUndefined(v) {
		got = rxJSON(t, v)
	}
	if got != want {
		t.Errorf("%s = %s, want %s", expr, got, want)
	}
}

// rxFinish is what a result becomes at the end of an evaluation: a sequence
// of one item is the item, an empty one undefined.
func rxFinish(v any) any {
	if s, ok := v.(Seq); ok {
		switch len(s) {
		case 0:
			return Undefined
		case 1:
			return s[0]
		}
		return []any(s)
	}
	return v
}

// regexLibrary is this file's functions by name.
func regexLibrary() map[string]*Builtin {
	lib := map[string]*Builtin{}
	registerRegexFunctions(func(b *Builtin) { lib[b.Name] = b })
	return lib
}

// rxParseLiteralCall reads `$name(arg, …)` whose arguments are literals:
// strings, numbers, null, booleans, /regex/flags, or `nothing` (a missing
// field: undefined). Absent trailing arguments are undefined, as the
// evaluator passes them. ok is false for anything else.
func rxParseLiteralCall(t *testing.T, expr string) (*Builtin, []any, bool) {
	t.Helper()
	expr = strings.TrimSpace(expr)
	open := strings.IndexByte(expr, '(')
	if !strings.HasPrefix(expr, "$") || open < 0 || !strings.HasSuffix(expr, ")") {
		return nil, nil, false
	}
	b := regexLibrary()[expr[1:open]]
	if b == nil {
		return nil, nil, false
	}
	src := expr[open+1 : len(expr)-1]
	var args []any
	for i := 0; ; {
		for i < len(src) && src[i] == ' ' {
			i++
		}
		if i >= len(src) {
			break
		}
		var v any
		switch c := src[i]; {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, nil, false
			}
			body := src[i+1 : j]
			if c == '\'' {
				body = strings.ReplaceAll(body, `"`, `\"`)
			}
			var s string
			if err := json.Unmarshal([]byte(`"`+body+`"`), &s); err != nil {
				return nil, nil, false
			}
			v, i = s, j+1
		case c == '/':
			j := i + 1
			for j < len(src) && src[j] != '/' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, nil, false
			}
			k := j + 1
			for k < len(src) && (src[k] == 'i' || src[k] == 'm') {
				k++
			}
			re, err := compileRegex(src[i+1:j], src[j+1:k])
			if err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			v, i = re, k
		default:
			j := i
			for j < len(src) && src[j] != ',' && src[j] != ' ' {
				j++
			}
			word := src[i:j]
			switch word {
			case "nothing":
				v = Undefined
			case "null":
				v = nil
			case "true", "false":
				v = word == "true"
			default:
				f, err := strconv.ParseFloat(word, 64)
				if err != nil {
					return nil, nil, false
				}
				v = f
			}
			i = j
		}
		args = append(args, v)
		for i < len(src) && src[i] == ' ' {
			i++
		}
		if i < len(src) {
			if src[i] != ',' {
				return nil, nil, false
			}
			i++
		}
	}
	for len(args) < b.Arity() {
		args = append(args, Undefined)
	}
	return b, args, true
}

// regexSuiteCase is a case of the JSONata test suite.
type regexSuiteCase struct {
	Expr            string          `json:"expr"`
	Data            json.RawMessage `json:"data"`
	Dataset         *string         `json:"dataset"`
	Result          json.RawMessage `json:"result"`
	UndefinedResult bool            `json:"undefinedResult"`
	Code            string          `json:"code"`
}

// regexSuiteGroups are the suite's groups about regexes and the functions
// that take them.
var regexSuiteGroups = []string{"regex", "function-replace", "function-split", "function-contains", "matchers"}

// TestRegexSuiteLiteralCalls runs the suite's cases of these groups that are
// one call with literal arguments straight through the builtins. (Cases
// that need the evaluator: paths, lambdas, signature errors T0410, are
// left to the evaluator's run of the suite.)
func TestRegexSuiteLiteralCalls(t *testing.T) {
	t.Parallel()
	ran := 0
	for _, group := range regexSuiteGroups {
		files := testenv.SharedFiles(t, "jsonata-suite/groups/"+group+"/case*.json")
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c regexSuiteCase
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if c.Expr == "" || strings.HasPrefix(c.Code, "T04") || len(c.Data) > 0 || c.Dataset != nil {
				continue
			}
			if _, _, ok := rxParseLiteralCall(t, c.Expr); !ok {
				continue
			}
			want := c.Code
			switch {
			case c.UndefinedResult:
				want = "undefined"
			case want == "":
				v, err := DecodeJSON(c.Result)
				if err != nil {
					t.Fatalf("%s: result: %v", file, err)
				}
				want = rxJSON(t, v)
			}
			name := filepath.Join(group, filepath.Base(file))
			t.Run(name, func(t *testing.T) { rxCheckLiteralCall(t, c.Expr, want) })
			ran++
		}
	}
	if ran < 50 {
		t.Errorf("ran %d suite cases, want at least 50: did the suite change?", ran)
	}
	t.Logf("ran %d suite cases", ran)
}

// TestRegexMatcherFunction: a pattern may be any function returning
// jsonata's match objects; the call goes through Call.Apply.
func TestRegexMatcherFunction(t *testing.T) {
	t.Parallel()
	// matches every "a" of its string, as the suite's matchers case builds
	var matcher func(s string, offset int) any
	matcher = func(s string, offset int) any {
		i := strings.IndexByte(s, 'a')
		if i < 0 {
			return Undefined
		}
		o := NewObject(5)
		o.Set("match", "a")
		o.Set("start", float64(offset+i))
		o.Set("end", float64(offset+i+1))
		o.Set("groups", []any{})
		rest, end := s[i+1:], offset+i+1
		o.Set("next", &Builtin{Name: "next", Signature: "<:o>", Fn: func(*Call, []any) (any, error) { return matcher(rest, end), nil }})
		return o
	}
	fn := &Builtin{Name: "matcher", Signature: "<s:o>"}
	call := &Call{Apply: func(f any, args []any) (any, error) {
		switch f := f.(type) {
		case *Builtin:
			if f == fn {
				return matcher(args[0].(string), 0), nil
			}
			return f.Fn(nil, args)
		}
		return nil, fmt.Errorf("cannot apply %T", f)
	}}
	upper := &Builtin{Name: "upper", Signature: "<o:s>", Fn: func(_ *Call, args []any) (any, error) {
		return strings.ToUpper(rxMember(args[0].(*Object), "match").(string)) + "!", nil
	}}
	notString := &Builtin{Name: "n", Signature: "<o:n>", Fn: func(*Call, []any) (any, error) { return 1.0, nil }}
	bad := &Builtin{Name: "bad", Signature: "<s:s>", Fn: func(*Call, []any) (any, error) { return "oops", nil }}
	tests := []struct {
		name string
		fn   func(*Call, []any) (any, error)
		args []any
		want string
	}{
		{"match", fnMatch, []any{"abracadabra", fn, Undefined}, `[{"match":"a","index":0,"groups":[]},{"match":"a","index":3,"groups":[]},{"match":"a","index":5,"groups":[]},{"match":"a","index":7,"groups":[]},{"match":"a","index":10,"groups":[]}]`},
		{"match limit", fnMatch, []any{"abracadabra", fn, 2.0}, `[{"match":"a","index":0,"groups":[]},{"match":"a","index":3,"groups":[]}]`},
		{"split", fnSplit, []any{"abracadabra", fn, Undefined}, `["","br","c","d","br",""]`},
		{"contains", fnContains, []any{"xyz", fn}, `false`},
		{"replace string", fnReplace, []any{"abracadabra", fn, "[$0]", Undefined}, `"[a]br[a]c[a]d[a]br[a]"`},
		{"replace function", fnReplace, []any{"banana", fn, upper, 2.0}, `"bA!nA!na"`},
		{"replace with a regex's matcher", fnReplace, []any{"banana", rxMustRegex(t, "an"), upper, Undefined}, `"bAN!AN!a"`},
		{"replace not a string", fnReplace, []any{"banana", fn, notString, Undefined}, `D3012`},
		{"T1010", fnSplit, []any{"abc", bad, Undefined}, `T1010`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.fn(call, tt.args)
			got := ""
			if err != nil {
				got = err.(*Error).Code
				if got == "T1010" && !strings.Contains(err.Error(), "function split does not return") {
					t.Errorf("T1010 message %q does not name the function", err.Error())
				}
			} else {
				got = rxJSON(t, rxFinish(v))
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func rxMustRegex(t *testing.T, pattern string) *Regex {
	t.Helper()
	re, err := compileRegex(pattern, "")
	if err != nil {
		t.Fatal(err)
	}
	return re
}

// TestRegexConcurrent: a compiled regex and its match objects are used by
// many evaluations at once (run with -race).
func TestRegexConcurrent(t *testing.T) {
	t.Parallel()
	re := rxMustRegex(t, `\bé(\w)`)
	done := make(chan string)
	for range 8 {
		go func() {
			v, err := fnReplace(&Call{}, []any{"éa éb xéc éd", re, "<$1>", Undefined})
			if err != nil {
				done <- err.Error()
				return
			}
			done <- v.(string)
		}()
	}
	for range 8 {
		if got := <-done; got != "éa éb x<c> éd" {
			t.Errorf("got %q", got)
		}
	}
}

func BenchmarkRegexReplace(b *testing.B) {
	re, err := compileRegex(`(\w+)@(\w+)\.com`, "i")
	if err != nil {
		b.Fatal(err)
	}
	s := strings.Repeat("write to John@Example.com or jane@example.COM today; ", 20)
	args := []any{s, re, "$2:$1", Undefined}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fnReplace(&Call{}, args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegexMatchNonASCII(b *testing.B) {
	re, err := compileRegex(`é\w`, "")
	if err != nil {
		b.Fatal(err)
	}
	s := strings.Repeat("éa b éb c 😀 ", 50)
	args := []any{s, re, Undefined}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fnMatch(&Call{}, args); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRegexEvaluate runs regexes through the evaluator: a regex called as a
// function, ~>, higher-order functions, matcher lambdas, errors with their
// positions. The expectations are jsonata-js 2.0.6's, except the S0303
// cases: jsonata-js accepts lookahead and backreferences and throws a
// JavaScript SyntaxError (no JSONata code) for /+/.
func TestRegexEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // JSON, "undefined", or an error code
	}{
		{`/b/("abc")`, `{"match":"b","start":1,"end":2,"groups":[]}`},
		{`"abc" ~> /b/`, `{"match":"b","start":1,"end":2,"groups":[]}`},
		{`/b/("abcb").next()`, `{"match":"b","start":3,"end":4,"groups":[]}`},
		{`/b/("abcb", 2)`, `{"match":"b","start":3,"end":4,"groups":[]}`},
		{`$map(["ab","ab"], /a/)`, `{"match":"a","start":0,"end":1,"groups":[]}`},
		{`$type(/a/)`, `"function"`},
		{`$string(/a/)`, `""`},
		{`$match("b", /(a)|b/).groups`, `[null]`},
		{`$count($match("b", /(a)|b/).groups)`, `1`},
		{`$match("a b", /\b/)`, "D1004"},
		{`/x*/("abc").next()`, "D1004"},
		{`$split("abc", /x*/)`, "D1004"},
		{`$replace("a-b-c", /-/, function($m){ $string($m.start) & $m.match })`, `"a1-b3-c"`},
		{`$replace("banana", /(an)/, function($m){ $uppercase($m.groups[0]) }, 1)`, `"bANana"`},
		{`$contains("abc", function($s){ /b/($s) })`, `true`},
		{`$match("abcb", function($s){ /b/($s) })`, `[{"match":"b","index":1,"groups":[]},{"match":"b","index":3,"groups":[]}]`},
		{`$split("a1b22c", /\d+/)`, `["a","b","c"]`},
		{`["Hat", "cap", "hat"][$contains($, /^h/i)]`, `["Hat","hat"]`},
		{`$replace("x", /x/, $uppercase)`, "T0410"},
		{`/(?=a)/`, "S0303"},
		{`/a\1(b)/`, "S0303"},
		{`/+/`, "S0303"},
		{`/[/`, "S0302"},
		{`/ab/i("xAB").match`, `"AB"`},
		{`$match("é😀bb", /b/).index`, `[3,4]`},
		{`$split('some text', $uppercase)`, "T1010"},
		{`$match("abc", "b")`, "T0410"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Compile(tt.expr)
			var v any
			if err == nil {
				v, err = e.Evaluate(Undefined, nil)
			}
			if err != nil {
				je, ok := err.(*Error)
				if !ok {
					t.Fatalf("error %T %v, want *Error", err, err)
				}
				if je.Code != tt.want {
					t.Fatalf("error %v, want %s", err, tt.want)
				}
				if je.Position == 0 {
					t.Errorf("error %v has no position", err)
				}
				return
			}
			got := "undefined"
			if !IsUndefined(v) {
				got = rxJSON(t, rxStripFunctions(v))
			}
			if got != tt.want {
				t.Errorf("= %s, want %s", got, tt.want)
			}
		})
	}
}

// rxStripFunctions drops the function members of objects, as
// JSON.stringify does with the results the expectations were made from
// (EncodeJSON writes them as "", as $string does).
func rxStripFunctions(v any) any {
	switch x := v.(type) {
	case *Object:
		c := NewObject(x.Len())
		for _, k := range x.Keys() {
			m, _ := x.Get(k)
			if !isFunction(m) {
				c.Set(k, rxStripFunctions(m))
			}
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i := range x {
			c[i] = rxStripFunctions(x[i])
		}
		return c
	case Seq:
		return rxStripFunctions([]any(x))
	}
	return v
}

// FuzzCompileRegex: any pattern compiles or is refused with an *Error, and
// a compiled one matches and walks its matches without panicking, with
// indexes inside the string.
func FuzzCompileRegex(f *testing.F) {
	for _, seed := range []string{`b+`, `(\w+)\s(\w+)`, `[^\s\d-z]`, `\u{2}\cJ\c1\101\8`, `(?<n>a)|[]|[^]`, `a{2,}?b{,3}{`, `^\b.$`, `\uD83D\uDE00[\uD83D]`} {
		f.Add(seed, "i", "ab 12 é😀\n x")
	}
	f.Fuzz(func(t *testing.T, pattern, flags, s string) {
		re, err := compileRegex(pattern, flags)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("compileRegex(%q, %q): error %T, want *Error", pattern, flags, err)
			}
			return
		}
		n := float64(rxUTF16Len(s))
		var v any = re.Exec(s, 0)
		for i := 0; i < 100; i++ {
			m, ok := v.(*Object)
			if !ok || m == nil {
				break
			}
			start, end := rxMember(m, "start").(float64), rxMember(m, "end").(float64)
			if start < 0 || end < start || end > n {
				t.Fatalf("/%s/%s on %q: match [%v, %v] outside the string of %v", pattern, flags, s, start, end, n)
			}
			if v, err = rxMember(m, "next").(*Builtin).Fn(nil, nil); err != nil {
				break
			}
		}
		for _, fn := range []func(*Call, []any) (any, error){fnSplit, fnMatch} {
			if _, err := fn(&Call{}, []any{s, re, Undefined}); err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %T, want *Error", err)
				}
			}
		}
		if _, err := fnReplace(&Call{}, []any{s, re, "[$1$0$$]", Undefined}); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T, want *Error", err)
			}
		}
	})
}
