package dsl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

func newTestCompiler() *compiler {
	return &compiler{schemaBad: map[string]bool{}, activity: map[string]bool{}}
}

// mustRule compiles a nested (Next-less) rule and fails on any problem.
func mustRule(t testing.TB, src string) *ChoiceRule {
	t.Helper()
	c := newTestCompiler()
	r := c.compileChoiceRule(value.MustDecode(src), "/r", false)
	if len(c.problems) > 0 {
		t.Fatalf("compile %s: %+v", src, c.problems)
	}
	return r
}

func evalRule(t *testing.T, rule, input string) (bool, error) {
	t.Helper()
	r := mustRule(t, rule)
	return r.Eval(Env{Input: value.MustDecode(input), Context: value.MustDecode(`{"Execution":{"Input":{"n":0},"Name":"x"}}`)})
}

// Each operator against every JSON type: a type mismatch is false, never an error.
func TestChoiceLiteralOperators(t *testing.T) {
	t.Parallel()
	inputs := []string{`null`, `0`, `1`, `1.0`, `1.5`, `-2`, `""`, `"abc"`, `"1"`, `"true"`,
		`"2016-08-18T17:33:00Z"`, `true`, `false`, `[]`, `[1]`, `{}`, `{"a":1}`}
	tests := []struct {
		rule string
		want []string // inputs (as written above) that match
	}{
		{`{"StringEquals":"abc"}`, []string{`"abc"`}},
		{`{"StringEquals":""}`, []string{`""`}},
		{`{"StringEquals":"1"}`, []string{`"1"`}},
		{`{"StringLessThan":"abc"}`, []string{`""`, `"1"`, `"2016-08-18T17:33:00Z"`}},
		{`{"StringLessThanEquals":"abc"}`, []string{`""`, `"abc"`, `"1"`, `"2016-08-18T17:33:00Z"`}},
		{`{"StringGreaterThan":"abc"}`, []string{`"true"`}},
		{`{"StringGreaterThanEquals":"abc"}`, []string{`"abc"`, `"true"`}},
		{`{"StringMatches":"*"}`, []string{`""`, `"abc"`, `"1"`, `"true"`, `"2016-08-18T17:33:00Z"`}},
		{`{"NumericEquals":1}`, []string{`1`, `1.0`}},
		{`{"NumericEquals":1.0}`, []string{`1`, `1.0`}},
		{`{"NumericLessThan":1}`, []string{`0`, `-2`}},
		{`{"NumericLessThanEquals":1}`, []string{`0`, `1`, `1.0`, `-2`}},
		{`{"NumericGreaterThan":1}`, []string{`1.5`}},
		{`{"NumericGreaterThanEquals":1}`, []string{`1`, `1.0`, `1.5`}},
		{`{"NumericGreaterThan":-1e400}`, []string{`0`, `1`, `1.0`, `1.5`, `-2`}},
		{`{"BooleanEquals":true}`, []string{`true`}},
		{`{"BooleanEquals":false}`, []string{`false`}},
		{`{"TimestampEquals":"2016-08-18T18:33:00+01:00"}`, []string{`"2016-08-18T17:33:00Z"`}},
		{`{"TimestampLessThan":"2016-08-18T17:33:00.000000001Z"}`, []string{`"2016-08-18T17:33:00Z"`}},
		{`{"TimestampLessThanEquals":"2016-08-18T17:33:00Z"}`, []string{`"2016-08-18T17:33:00Z"`}},
		{`{"TimestampGreaterThan":"2016-08-18T17:33:00Z"}`, nil},
		{`{"TimestampGreaterThanEquals":"2016-08-18T17:33:00Z"}`, []string{`"2016-08-18T17:33:00Z"`}},
		{`{"IsNull":true}`, []string{`null`}},
		{`{"IsNull":false}`, without(inputs, `null`)},
		{`{"IsPresent":true}`, inputs},
		{`{"IsPresent":false}`, nil},
		{`{"IsNumeric":true}`, []string{`0`, `1`, `1.0`, `1.5`, `-2`}},
		{`{"IsNumeric":false}`, without(inputs, `0`, `1`, `1.0`, `1.5`, `-2`)},
		{`{"IsString":true}`, []string{`""`, `"abc"`, `"1"`, `"true"`, `"2016-08-18T17:33:00Z"`}},
		{`{"IsBoolean":true}`, []string{`true`, `false`}},
		{`{"IsBoolean":false}`, without(inputs, `true`, `false`)},
		{`{"IsTimestamp":true}`, []string{`"2016-08-18T17:33:00Z"`}},
		{`{"IsTimestamp":false}`, without(inputs, `"2016-08-18T17:33:00Z"`)},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			rule := strings.Replace(tt.rule, "{", `{"Variable":"$.v",`, 1)
			var got []string
			for _, in := range inputs {
				ok, err := evalRule(t, rule, `{"v":`+in+`}`)
				if err != nil {
					t.Fatalf("input %s: unexpected error %v", in, err)
				}
				if ok {
					got = append(got, in)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matching inputs (-want +got):\n%s", diff)
			}
		})
	}
}

func without(all []string, drop ...string) []string {
	var out []string
	for _, s := range all {
		keep := true
		for _, d := range drop {
			if s == d {
				keep = false
			}
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

// The …Path forms: the operand comes from the data or the context object.
func TestChoicePathOperators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op    string
		v, w  string
		want  bool
		input string // overrides {"v":v,"w":w}
	}{
		{op: "StringEqualsPath", v: `"a"`, w: `"a"`, want: true},
		{op: "StringEqualsPath", v: `"a"`, w: `"b"`},
		{op: "StringEqualsPath", v: `1`, w: `1`},
		{op: "StringEqualsPath", v: `"1"`, w: `1`},
		{op: "StringLessThanPath", v: `"A"`, w: `"AB"`, want: true},
		{op: "StringLessThanPath", v: `1`, w: `"AB"`},
		{op: "StringGreaterThanPath", v: `"AB"`, w: `"A"`, want: true},
		{op: "StringLessThanEqualsPath", v: `""`, w: `""`, want: true},
		{op: "StringGreaterThanEqualsPath", v: `"b"`, w: `"a"`, want: true},
		{op: "StringGreaterThanEqualsPath", v: `"b"`, w: `null`},
		{op: "NumericEqualsPath", v: `1`, w: `1.0`, want: true},
		{op: "NumericEqualsPath", v: `1.1`, w: `1`},
		{op: "NumericEqualsPath", v: `"1"`, w: `1`},
		{op: "NumericEqualsPath", v: `1`, w: `"1"`},
		{op: "NumericEqualsPath", v: `true`, w: `1`},
		{op: "NumericLessThanPath", v: `0`, w: `1`, want: true},
		{op: "NumericLessThanEqualsPath", v: `1`, w: `1`, want: true},
		{op: "NumericGreaterThanPath", v: `1.5`, w: `1`, want: true},
		{op: "NumericGreaterThanEqualsPath", v: `0.0`, w: `0`, want: true},
		{op: "NumericEqualsPath", v: `9007199254740993`, w: `9007199254740992`},
		{op: "BooleanEqualsPath", v: `true`, w: `true`, want: true},
		{op: "BooleanEqualsPath", v: `false`, w: `false`, want: true},
		{op: "BooleanEqualsPath", v: `false`, w: `true`},
		{op: "BooleanEqualsPath", v: `"true"`, w: `true`},
		{op: "BooleanEqualsPath", v: `null`, w: `null`},
		{op: "TimestampEqualsPath", v: `"2012-10-09T19:00:55Z"`, w: `"2012-10-09T20:00:55+01:00"`, want: true},
		{op: "TimestampLessThanPath", v: `"2012-10-09T19:00:55Z"`, w: `"2012-10-09T19:00:56Z"`, want: true},
		{op: "TimestampLessThanEqualsPath", v: `"2012-10-09T19:00:55Z"`, w: `"2012-10-09T19:00:55Z"`, want: true},
		{op: "TimestampGreaterThanPath", v: `"2012-10-09T19:00:56Z"`, w: `"2012-10-09T19:00:55Z"`, want: true},
		{op: "TimestampGreaterThanEqualsPath", v: `"2012-10-09T19:00:56Z"`, w: `"2012-10-09T19:00:55Z"`, want: true},
		{op: "TimestampEqualsPath", v: `"2012-10-09T19:00:55Z"`, w: `"not a time"`},
		{op: "TimestampEqualsPath", v: `"2012-10-09T19:00:55"`, w: `"2012-10-09T19:00:55"`},
		{op: "TimestampEqualsPath", v: `1`, w: `1`},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s/%s", tt.op, tt.v, tt.w)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rule := fmt.Sprintf(`{"Variable":"$.v",%q:"$.w"}`, tt.op)
			got, err := evalRule(t, rule, `{"v":`+tt.v+`,"w":`+tt.w+`}`)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChoiceContextPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule string
		want bool
	}{
		{`{"Variable":"$$.Execution.Input.n","NumericLessThanEquals":0}`, true},
		{`{"Variable":"$$.Execution.Name","StringEquals":"x"}`, true},
		{`{"Variable":"$.name","StringEqualsPath":"$$.Execution.Name"}`, true},
		{`{"Variable":"$$.Execution.Name","StringEqualsPath":"$.other"}`, false},
		{`{"Variable":"$$.Execution.Missing","IsPresent":false}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			got, err := evalRule(t, tt.rule, `{"name":"x","other":"y"}`)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestChoiceMissingPathIsRuntimeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule  string
		cause string
	}{
		{`{"Variable":"$.missing","StringEquals":"x"}`, "Invalid path '$.missing' : The choice state's condition path references an invalid value."},
		{`{"Variable":"$.missing","IsNull":true}`, "Invalid path '$.missing' : The choice state's condition path references an invalid value."},
		{`{"Variable":"$.missing","IsPresent":true}`, ""},
		{`{"Variable":"$.missing","IsPresent":false}`, ""},
		{`{"Variable":"$.v","NumericEqualsPath":"$.right"}`, "Invalid path '$.right' : The choice state's condition path references an invalid value."},
		{`{"Variable":"$$.Execution.Nope","BooleanEquals":true}`, "Invalid path '$$.Execution.Nope' : The choice state's condition path references an invalid value."},
		{`{"Not":{"Variable":"$.missing","IsNumeric":true}}`, "Invalid path '$.missing' : The choice state's condition path references an invalid value."},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			_, err := evalRule(t, tt.rule, `{"v":1}`)
			if tt.cause == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *failure.Error", err)
			}
			if fe.Name != failure.Runtime || fe.Cause != tt.cause {
				t.Errorf("got %s / %q, want States.Runtime / %q", fe.Name, fe.Cause, tt.cause)
			}
		})
	}
}

func TestChoiceBooleanOperators(t *testing.T) {
	t.Parallel()
	// $.missing makes a data test error: it proves which rules were evaluated.
	boom := `{"Variable":"$.missing","StringEquals":"x"}`
	yes := `{"Variable":"$.a","NumericEquals":1}`
	no := `{"Variable":"$.a","NumericEquals":2}`
	tests := []struct {
		rule    string
		want    bool
		wantErr bool
	}{
		{`{"And":[` + yes + `,` + yes + `]}`, true, false},
		{`{"And":[` + yes + `,` + no + `]}`, false, false},
		{`{"And":[` + no + `,` + boom + `]}`, false, false}, // short-circuit
		{`{"And":[` + yes + `,` + boom + `]}`, false, true},
		{`{"Or":[` + no + `,` + yes + `]}`, true, false},
		{`{"Or":[` + no + `,` + no + `]}`, false, false},
		{`{"Or":[` + yes + `,` + boom + `]}`, true, false}, // short-circuit
		{`{"Or":[` + no + `,` + boom + `]}`, false, true},
		{`{"Not":` + yes + `}`, false, false},
		{`{"Not":` + no + `}`, true, false},
		{`{"Not":` + boom + `}`, false, true},
		{`{"Not":{"Not":` + yes + `}}`, true, false},
		{`{"And":[{"Or":[` + no + `,{"Not":` + no + `}]},{"Variable":"$.s","StringMatches":"a*"}]}`, true, false},
		{`{"Or":[{"And":[` + yes + `,` + no + `]},{"Not":{"Or":[` + no + `]}}]}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			got, err := evalRule(t, tt.rule, `{"a":1,"s":"abc"}`)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %v, %v; want %v (error: %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestStringMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string // as the Go string after JSON decoding
		s       string
		want    bool
	}{
		{"log-*.txt", "log-2021.txt", true},
		{"log-*.txt", "log-.txt", true},
		{"log-*.txt", "log.txt", false},
		{"log-*.txt", "xlog-1.txt", false},
		{"log-*.txt", "log-1.txt.bak", false},
		{"foo*.*", "foobar.zebra", true},
		{"foo*.*", "foo.", true},
		{"foo*.*", "foo", false},
		{"foo*.*", "bar.foo", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\*b`, "ab", false},
		{`a\*b`, `a\*b`, false},
		{`a\\b`, `a\b`, true},
		{`a\\*`, `a\xyz`, true},
		{`a\\*`, `ab`, false},
		{`a\b`, `a\b`, true}, // a backslash before another character stands for itself
		{`a\`, `a\`, true},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "", true},
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "acb", false},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aba", false},
		{"*.*.*", "1.2.3", true},
		{"héllo*", "héllo wörld", true},
		{"*😀", "x😀", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			t.Parallel()
			if got := compileGlob(tt.pattern).match(tt.s); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompareUTF16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "b", -1},
		{"A", "AB", -1},
		{"AB", "A", 1},
		{"A", "A ", -1},
		{"A", "A\t\n\r", -1},
		{"Z", "a", -1},
		{"é", "z", 1},
		// U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FF5E (Java),
		// although its code point (and UTF-8 bytes) sort after.
		{"\U0001F600", "\uFF5E", -1},
		{"\uFF5E", "\U0001F600", 1},
		{"x\U0001F600", "x\uE000", -1},
		{"\U0001F600", "\U0001F601", -1},
		{"\U00010000", "\U0010FFFF", -1},
		{"\U0001F600", "\U0001F600", 0},
		{"\U0001F600a", "\U0001F600", 1},
		{"\u00e9", "\u00ea", -1},
	}
	for _, tt := range tests {
		if got := compareUTF16(tt.a, tt.b); got != tt.want {
			t.Errorf("compareUTF16(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestChoiceCompileErrors(t *testing.T) {
	t.Parallel()
	type prob struct{ Ptr, Code string }
	tests := []struct {
		name    string
		rule    string
		top     bool
		want    []prob
		msgHas  string
		schemaB []string // pointers the schema already reported
	}{
		{name: "valid top", rule: `{"Variable":"$.a","StringEquals":"x","Next":"N"}`, top: true},
		{name: "valid nested", rule: `{"And":[{"Variable":"$.a","IsPresent":true},{"Not":{"Variable":"$.b","IsNull":true}}],"Next":"N"}`, top: true},
		{name: "comment allowed", rule: `{"Comment":"c","Variable":"$.a","IsString":true}`},
		{name: "not an object", rule: `"x"`, want: []prob{{"/r", CodeSchema}}},
		{name: "top needs Next", rule: `{"Variable":"$.a","StringEquals":"x"}`, top: true,
			want: []prob{{"/r", CodeInvalidChoiceRule}}, msgHas: `needs "Next"`},
		{name: "nested must not have Next", rule: `{"Variable":"$.a","StringEquals":"x","Next":"N"}`,
			want: []prob{{"/r/Next", CodeInvalidChoiceRule}}},
		{name: "Next inside And", rule: `{"And":[{"Variable":"$.a","IsNull":true,"Next":"N"}],"Next":"N"}`, top: true,
			want: []prob{{"/r/And/0/Next", CodeInvalidChoiceRule}}},
		{name: "Next inside Not", rule: `{"Not":{"Variable":"$.a","IsNull":true,"Next":"N"}}`,
			want: []prob{{"/r/Not/Next", CodeInvalidChoiceRule}}},
		{name: "two operators", rule: `{"Variable":"$.a","StringEquals":"x","NumericEquals":1}`,
			want: []prob{{"/r/NumericEquals", CodeInvalidChoiceRule}}, msgHas: "found StringEquals and NumericEquals"},
		{name: "three operators", rule: `{"Variable":"$.a","IsNull":true,"IsString":true,"IsBoolean":true}`,
			want: []prob{{"/r/IsString", CodeInvalidChoiceRule}}, msgHas: "found IsNull and IsString and IsBoolean"},
		{name: "no operator", rule: `{"Variable":"$.a"}`,
			want: []prob{{"/r", CodeInvalidChoiceRule}}, msgHas: "needs one comparison operator"},
		{name: "empty rule", rule: `{}`, want: []prob{{"/r", CodeInvalidChoiceRule}}},
		{name: "no Variable", rule: `{"StringEquals":"x"}`,
			want: []prob{{"/r", CodeInvalidChoiceRule}}, msgHas: `needs "Variable"`},
		{name: "boolean and test mixed", rule: `{"And":[{"Variable":"$.a","IsNull":true}],"Variable":"$.a","IsNull":true}`,
			want: []prob{{"/r", CodeInvalidChoiceRule}}, msgHas: "not both"},
		{name: "And and Or", rule: `{"And":[{"Variable":"$.a","IsNull":true}],"Or":[{"Variable":"$.a","IsNull":true}]}`,
			want: []prob{{"/r/Or", CodeInvalidChoiceRule}}},
		{name: "empty And", rule: `{"And":[]}`, want: []prob{{"/r/And", CodeInvalidChoiceRule}}},
		{name: "empty Or", rule: `{"Or":[]}`, want: []prob{{"/r/Or", CodeInvalidChoiceRule}}},
		{name: "And not array", rule: `{"And":{"Variable":"$.a","IsNull":true}}`, want: []prob{{"/r/And", CodeSchema}}},
		{name: "Not not object", rule: `{"Not":[{"Variable":"$.a","IsNull":true}]}`, want: []prob{{"/r/Not", CodeSchema}}},
		{name: "nested error pointer", rule: `{"Or":[{"Variable":"$.a","IsNull":true},{"And":[{"Variable":"$.a","NumericEquals":"1"}]}]}`,
			want: []prob{{"/r/Or/1/And/0/NumericEquals", CodeSchema}}},
		{name: "StringEquals number", rule: `{"Variable":"$.a","StringEquals":1}`, want: []prob{{"/r/StringEquals", CodeSchema}}},
		{name: "StringMatches number", rule: `{"Variable":"$.a","StringMatches":1}`, want: []prob{{"/r/StringMatches", CodeSchema}}},
		{name: "Numeric string", rule: `{"Variable":"$.a","NumericLessThan":"1"}`, want: []prob{{"/r/NumericLessThan", CodeSchema}}},
		{name: "Boolean string", rule: `{"Variable":"$.a","BooleanEquals":"true"}`, want: []prob{{"/r/BooleanEquals", CodeSchema}}},
		{name: "IsNull number", rule: `{"Variable":"$.a","IsNull":1}`, want: []prob{{"/r/IsNull", CodeSchema}}},
		{name: "IsPresent string", rule: `{"Variable":"$.a","IsPresent":"true"}`, want: []prob{{"/r/IsPresent", CodeSchema}}},
		{name: "Timestamp number", rule: `{"Variable":"$.a","TimestampEquals":1}`, want: []prob{{"/r/TimestampEquals", CodeSchema}}},
		{name: "Timestamp invalid", rule: `{"Variable":"$.a","TimestampGreaterThan":"2016-12-05T21:29:29"}`,
			want: []prob{{"/r/TimestampGreaterThan", CodeInvalidTimestamp}}},
		{name: "Timestamp no T", rule: `{"Variable":"$.a","TimestampLessThan":"2016-12-05 21:29:29Z"}`,
			want: []prob{{"/r/TimestampLessThan", CodeInvalidTimestamp}}},
		{name: "Variable not a path", rule: `{"Variable":"a","IsNull":true}`, want: []prob{{"/r/Variable", CodeInvalidPath}}},
		{name: "Variable number", rule: `{"Variable":1,"IsNull":true}`, want: []prob{{"/r/Variable", CodeSchema}}},
		{name: "Path operand not a path", rule: `{"Variable":"$.a","StringEqualsPath":"b"}`, want: []prob{{"/r/StringEqualsPath", CodeInvalidPath}}},
		{name: "Path operand number", rule: `{"Variable":"$.a","NumericEqualsPath":1}`, want: []prob{{"/r/NumericEqualsPath", CodeSchema}}},
		{name: "Variable not a reference path", rule: `{"Variable":"$.a[*]","IsNull":true}`, want: []prob{{"/r/Variable", CodeInvalidPath}}},
		{name: "Path operand not a reference path", rule: `{"Variable":"$.a","StringEqualsPath":"$..b"}`, want: []prob{{"/r/StringEqualsPath", CodeInvalidPath}}},
		{name: "unknown field", rule: `{"Variable":"$.a","IsNull":true,"Foo":1}`, want: []prob{{"/r/Foo", CodeInvalidChoiceRule}}},
		{name: "misspelt operator", rule: `{"Variable":"$.a","Stringequals":"x"}`,
			want: []prob{{"/r/Stringequals", CodeInvalidChoiceRule}, {"/r", CodeInvalidChoiceRule}}, msgHas: `did you mean "StringEquals"`},
		{name: "no StringMatchesPath", rule: `{"Variable":"$.a","StringMatchesPath":"$.b"}`,
			want: []prob{{"/r/StringMatchesPath", CodeInvalidChoiceRule}, {"/r", CodeInvalidChoiceRule}}},
		{name: "JSONata Condition", rule: `{"Condition":"{% true %}","Next":"N"}`, top: true,
			want: []prob{{"/r/Condition", CodeInvalidQueryLanguage}, {"/r", CodeInvalidChoiceRule}}},
		{name: "schema already reported type", rule: `{"Variable":"$.a","StringEquals":1}`, schemaB: []string{"/r/StringEquals"}},
		{name: "schema already reported rule", rule: `{"Variable":"$.a","Foo":1,"IsNull":1}`, schemaB: []string{"/r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestCompiler()
			for _, p := range tt.schemaB {
				c.schemaBad[p] = true
			}
			r := c.compileChoiceRule(value.MustDecode(tt.rule), "/r", tt.top)
			if r == nil {
				t.Fatal("nil rule")
			}
			var got []prob
			var msgs []string
			for _, p := range c.problems {
				got = append(got, prob{p.ptr, p.code})
				msgs = append(msgs, p.msg)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nmessages: %q", diff, msgs)
			}
			if tt.msgHas != "" && !strings.Contains(strings.Join(msgs, "\n"), tt.msgHas) {
				t.Errorf("messages %q do not mention %q", msgs, tt.msgHas)
			}
			// A rule that did not compile never matches and never panics.
			if _, err := r.Eval(Env{Input: value.MustDecode(`{"a":1}`)}); err != nil && len(got) > 0 {
				t.Errorf("broken rule evaluated with error %v", err)
			}
		})
	}
}

func TestChoiceTopLevelNext(t *testing.T) {
	t.Parallel()
	c := newTestCompiler()
	r := c.compileChoiceRule(value.MustDecode(`{"Not":{"Variable":"$.a","IsNull":true},"Next":"Target"}`), "/States/C/Choices/0", true)
	if len(c.problems) > 0 || r.Next != "Target" {
		t.Fatalf("Next %q, problems %+v", r.Next, c.problems)
	}
}

func FuzzStringMatches(f *testing.F) {
	for _, seed := range [][2]string{
		{"log-*.txt", "log-2021.txt"}, {`a\*b`, "a*b"}, {`a\\*`, `a\b`}, {"*", ""}, {"**a**", "bab"},
		{"foo*.*", "foo."}, {`\`, `\`}, {"a*b*c", "aXbYc"}, {"😀*", "😀x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g := compileGlob(pattern)
		got := g.match(s)
		if want := globReference(g.segs, s); got != want {
			t.Fatalf("pattern %q (segments %q) on %q: got %v, reference %v", pattern, g.segs, s, got, want)
		}
		// A pattern without stars or backslashes matches exactly itself.
		if !strings.ContainsAny(pattern, `*\`) && got != (pattern == s) {
			t.Fatalf("literal pattern %q on %q: got %v", pattern, s, got)
		}
		// Every string matches itself when it has no special characters.
		if !strings.ContainsAny(s, `*\`) && !compileGlob(s).match(s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

// globReference is a slow, obviously correct matcher: the textbook
// dynamic programme over pattern tokens (bytes, and a star between segments).
func globReference(segs []string, s string) bool {
	type tok struct {
		star bool
		b    byte
	}
	var toks []tok
	for i, seg := range segs {
		if i > 0 {
			toks = append(toks, tok{star: true})
		}
		for j := 0; j < len(seg); j++ {
			toks = append(toks, tok{b: seg[j]})
		}
	}
	// m[j] reports whether toks[:i] matches s[:j], row by row.
	m := make([]bool, len(s)+1)
	m[0] = true
	for _, tk := range toks {
		next := make([]bool, len(s)+1)
		for j := 0; j <= len(s); j++ {
			if tk.star {
				next[j] = m[j] || j > 0 && next[j-1]
			} else {
				next[j] = j > 0 && m[j-1] && s[j-1] == tk.b
			}
		}
		m = next
	}
	return m[len(s)]
}

// A typical Choice: five rules, the match in the last one.
func BenchmarkChoiceEval(b *testing.B) {
	rules := []string{
		`{"Variable":"$.type","StringEquals":"refund"}`,
		`{"And":[{"Variable":"$.amount","IsNumeric":true},{"Variable":"$.amount","NumericGreaterThan":1000}]}`,
		`{"Variable":"$.customer.tier","StringMatches":"gold-*"}`,
		`{"Variable":"$.createdAt","TimestampLessThan":"2020-01-01T00:00:00Z"}`,
		`{"Or":[{"Variable":"$.priority","BooleanEquals":true},{"Variable":"$.customer.region","StringEqualsPath":"$.home"}]}`,
	}
	compiled := make([]*ChoiceRule, len(rules))
	for i, r := range rules {
		compiled[i] = mustRule(b, r)
	}
	env := Env{Input: value.MustDecode(`{"type":"order","amount":250.5,"customer":{"tier":"silver-2","region":"eu"},
		"createdAt":"2024-03-05T10:00:00.123Z","priority":false,"home":"eu"}`)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		matched := -1
		for i, r := range compiled {
			ok, err := r.Eval(env)
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				matched = i
				break
			}
		}
		if matched != 4 {
			b.Fatalf("matched rule %d, want 4", matched)
		}
	}
}
