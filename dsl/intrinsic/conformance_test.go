package intrinsic

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/internal/testenv"
)

// TestConformanceCases evaluates every intrinsic of the shared conformance
// cases (../../../shared/conformance/cases, next to the checkout; see
// internal/testenv): each must parse unless the case expects the definition rejected,
// and each Pass-state Parameters field whose key appears in the expected
// output must evaluate to exactly that value.
func TestConformanceCases(t *testing.T) {
	t.Parallel()
	files := testenv.SharedFiles(t, "conformance/cases/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := value.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		cases, ok := doc.([]any)
		if !ok {
			cases = []any{doc}
		}
		for _, c := range cases {
			co := c.(*value.Object)
			name, _ := co.Get("name")
			expect, _ := co.Get("expect")
			status, _ := expect.(*value.Object).Get("status")
			def, _ := co.Get("definition")
			input, ok := co.Get("input")
			if !ok {
				input = value.NewObject(0)
			}
			t.Run(name.(string), func(t *testing.T) {
				t.Parallel()
				checkCase(t, def, input, expect.(*value.Object), status == "REJECTED")
			})
		}
	}
}

func checkCase(t *testing.T, def, input value.Value, expect *value.Object, rejected bool) {
	var exprs []expression
	collect(def, "", false, &exprs)
	if len(exprs) == 0 {
		t.Skip("no intrinsic in this case")
	}
	parseFailed := false
	for _, e := range exprs {
		if _, err := Parse(e.text); err != nil {
			if !rejected {
				t.Errorf("Parse(%q): %v", e.text, err)
			}
			parseFailed = true
		}
	}
	if rejected {
		if !parseFailed {
			t.Errorf("the case expects the definition rejected, but every intrinsic parsed")
		}
		return
	}
	output, _ := expect.Get("output")
	out, _ := output.(*value.Object)
	env := Env{
		Input:   input,
		Context: value.ObjectOf("Execution", value.ObjectOf("Input", input, "Id", "arn:x")),
		UUID:    func() string { return "u" },
		Random:  func() float64 { return 0.5 },
	}
	for _, e := range exprs {
		var want value.Value
		var have bool
		switch {
		case e.field == "ErrorPath" || e.field == "CausePath":
			want, have = expect.Get(strings.ToLower(strings.TrimSuffix(e.field, "Path")))
		case e.inPassParams && out != nil:
			want, have = out.Get(strings.TrimSuffix(e.field, ".$"))
		}
		if !have {
			continue
		}
		c, err := Parse(e.text)
		if err != nil {
			continue
		}
		got, err := c.Eval(env)
		if err != nil {
			t.Errorf("Eval(%q): %v", e.text, err)
			continue
		}
		if !value.Equal(got, want) {
			t.Errorf("Eval(%q):\n%s", e.text, cmp.Diff(value.MarshalString(want), value.MarshalString(got)))
		}
	}
}

type expression struct {
	field        string
	text         string
	inPassParams bool
}

// collect finds the intrinsic expressions of a definition: ".$" fields of
// payload templates (not of Result, which is literal) and ErrorPath/CausePath.
func collect(v value.Value, state string, passParams bool, out *[]expression) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			collect(e, state, passParams, out)
		}
	case *value.Object:
		typ, _ := t.Get("Type")
		for _, m := range t.Members() {
			switch s, isStr := m.Value.(string); {
			case m.Key == "Result":
				continue
			case isStr && (strings.HasSuffix(m.Key, ".$") || m.Key == "ErrorPath" || m.Key == "CausePath") && Looks(s):
				*out = append(*out, expression{field: m.Key, text: s, inPassParams: passParams})
			case m.Key == "Parameters":
				collect(m.Value, state, typ == "Pass" && !t.Has("ResultPath") && !t.Has("OutputPath"), out)
			default:
				collect(m.Value, state, passParams && typ == nil, out)
			}
		}
	}
}
