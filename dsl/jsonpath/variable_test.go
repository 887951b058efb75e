package jsonpath

import (
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestVariablePaths(t *testing.T) {
	t.Parallel()
	doc, _ := value.Decode([]byte(`{"a":{"b":[10,20]},"n":1}`))
	tests := []struct {
		path, variable, want string
	}{
		{"$x", "x", `{"a":{"b":[10,20]},"n":1}`},
		{"$x.a.b[1]", "x", `20`},
		{"$_under_9['n']", "_under_9", `1`},
		{"$café.n", "café", `1`},
		{"$x.a.b.length()", "x", `2`},
		{"$.n", "", `1`},
		{"$$.n", "", `1`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Parse(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Variable() != tt.variable {
				t.Errorf("Variable() = %q, want %q", p.Variable(), tt.variable)
			}
			got, err := p.Select(doc)
			if err != nil {
				t.Fatal(err)
			}
			if s := value.MarshalString(got); s != tt.want {
				t.Errorf("Select = %s, want %s", s, tt.want)
			}
		})
	}
	p := MustParse("$x.missing")
	if _, err := p.Select(doc); err == nil || !strings.Contains(err.Error(), "$x['missing']") {
		t.Errorf("a missing member of a variable: %v, want the path named from $x", err)
	}
	if err := p.Undefined(); !strings.Contains(err.Error(), "'$x'") {
		t.Errorf("Undefined() = %v", err)
	}
}

func TestValidVariableName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"x", true}, {"_", true}, {"a1", true}, {"naïve", true}, {"名前", true},
		{"", false}, {"1a", false}, {"a-b", false}, {"a.b", false}, {"a b", false}, {"$a", false},
		{strings.Repeat("a", MaxVariableName), true}, {strings.Repeat("a", MaxVariableName+1), false},
	}
	for _, tt := range tests {
		if got := ValidVariableName(tt.name); got != tt.ok {
			t.Errorf("ValidVariableName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}
