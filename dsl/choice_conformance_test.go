package dsl

import (
	"os"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/internal/testenv"
)

// TestChoiceConformanceMatrix runs the rules of the "choice-matrix-*" cases
// of the shared conformance suite (../../shared/conformance, next to the
// checkout) directly: each case maps every item of
// $.items through one or more single-rule Choice states, and its expected
// output says which matched (true) and which fell to Default (false).
func TestChoiceConformanceMatrix(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(testenv.Shared(t, "conformance/cases/choice.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := value.MustDecode(string(data)).([]any)
	ran := 0
	for _, cv := range cases {
		cs := cv.(*value.Object)
		name := confGet(cs, "name").(string)
		switch {
		case strings.HasPrefix(name, "choice-matrix-"):
			ran++
			t.Run(name, func(t *testing.T) { runMatrixCase(t, cs) })
		case name == "choice-missing-variable-fails":
			ran++
			t.Run(name, func(t *testing.T) { runMissingCase(t, cs) })
		}
	}
	if ran == 0 {
		t.Fatal("no choice-matrix cases found")
	}
}

func confGet(o value.Value, path ...string) value.Value {
	for _, k := range path {
		o, _ = o.(*value.Object).Get(k)
	}
	return o
}

type namedRule struct {
	key  string
	rule *ChoiceRule
}

func compileCaseChoices(t *testing.T, states *value.Object) []namedRule {
	t.Helper()
	var out []namedRule
	for _, m := range states.Members() {
		if confGet(m.Value, "Type") != "Choice" {
			continue
		}
		choices := confGet(m.Value, "Choices").([]any)
		if len(choices) != 1 {
			t.Fatalf("state %s: %d rules, the matrix cases use one", m.Key, len(choices))
		}
		c := newTestCompiler()
		r := c.compileChoiceRule(choices[0], "/States/"+m.Key+"/Choices/0", true)
		if len(c.problems) > 0 {
			t.Fatalf("state %s: %+v", m.Key, c.problems)
		}
		out = append(out, namedRule{key: strings.TrimPrefix(m.Key, "T_"), rule: r})
	}
	return out
}

func runMatrixCase(t *testing.T, cs *value.Object) {
	t.Parallel()
	rules := compileCaseChoices(t, confGet(cs, "definition", "States", "Each", "ItemProcessor", "States").(*value.Object))
	items := confGet(cs, "input", "items").([]any)
	want := confGet(cs, "expect", "output").([]any)
	for i, item := range items {
		var got value.Value
		results := value.NewObject(len(rules))
		for _, nr := range rules {
			ok, err := nr.rule.Eval(Env{Input: item})
			if err != nil {
				t.Fatalf("item %d %s, rule %s: %v", i, value.MarshalString(item), nr.key, err)
			}
			results.Set(nr.key, ok)
			got = ok
		}
		if len(rules) > 1 {
			got = results
		}
		if !value.Equal(got, want[i]) {
			t.Errorf("item %d %s: got %s, want %s", i, value.MarshalString(item), value.MarshalString(got), value.MarshalString(want[i]))
		}
	}
}

func runMissingCase(t *testing.T, cs *value.Object) {
	t.Parallel()
	rules := compileCaseChoices(t, confGet(cs, "definition", "States").(*value.Object))
	_, err := rules[0].rule.Eval(Env{Input: confGet(cs, "input")})
	fe, ok := err.(*failure.Error)
	if !ok || fe.Name != confGet(cs, "expect", "error") {
		t.Fatalf("got %v, want %v", err, confGet(cs, "expect", "error"))
	}
	for _, s := range confGet(cs, "expect", "cause_contains").([]any) {
		if !strings.Contains(fe.Cause, s.(string)) {
			t.Errorf("cause %q does not contain %q", fe.Cause, s)
		}
	}
}
