package dsl

import (
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// evalField compiles v as a JSONata Output and evaluates it with input.
func evalField(t *testing.T, v string, input string, vars mapVars) (value.Value, error) {
	t.Helper()
	var problems []string
	tmpl := compileQueryTemplate(value.MustDecode(v), "/Output", "Output", func(ptr string, err error) {
		problems = append(problems, err.Error())
	})
	if len(problems) > 0 {
		t.Fatalf("compile %s: %v", v, problems)
	}
	env := Env{Vars: vars, UUID: func() string { return "00000000-0000-4000-8000-000000000000" }, Random: func() float64 { return 0.5 }}
	return tmpl.Eval(NewQueryScope(env, value.MustDecode(input)))
}

func TestQueryEvaluation(t *testing.T) {
	tests := []struct {
		name, field, input string
		vars               mapVars
		want               string
	}{
		{"literal string with blanks", `" {% 1 %}"`, `{}`, nil, `" {% 1 %}"`},
		{"dollar key stays literal", `{"a.$":"$.x"}`, `{}`, nil, `{"a.$":"$.x"}`},
		{"input", `"{% $states.input.a %}"`, `{"a":[1,2]}`, nil, `[1,2]`},
		{"nested expressions", `[null,{"k":"{% $states.input.a[0] %}"}]`, `{"a":[1,2]}`, nil, `[null,{"k":1}]`},
		{"variable", `"{% $v + 1 %}"`, `{}`, mapVars{"v": value.Number("41")}, `42`},
		{"JavaScript numbers", `"{% 0.1 + 0.2 %}"`, `{}`, nil, `0.30000000000000004`},
		{"large number", `"{% 1e21 %}"`, `{}`, nil, `1e+21`},
		{"number text kept", `"{% $states.input %}"`, `1.50`, nil, `1.5`},
		{"range singleton", `"{% $range(1, 9, 9) %}"`, `{}`, nil, `1`},
		{"range inclusive", `"{% $range(0, 10, 5) %}"`, `{}`, nil, `[0,5,10]`},
		{"partition", `"{% $partition([1,2,3,4,5], 2) %}"`, `{}`, nil, `[[1,2],[3,4],[5]]`},
		{"partition, a chunk larger than the array", `"{% $partition([1,2,3], 7) %}"`, `{}`, nil, `[[1,2,3]]`},
		{"partition, a chunk past int64", `"{% $partition([1,2,3], 1e300) %}"`, `{}`, nil, `[[1,2,3]]`},
		{"parse minus zero", `"{% $parse('-0') %}"`, `{}`, nil, `0`},
		{"parse object", `"{% $parse('{\"a\":[1]}') %}"`, `{}`, nil, `{"a":[1]}`},
		{"hash MD5", `"{% $hash('abc', 'MD5') %}"`, `{}`, nil, `"900150983cd24fb0d6963f7d28e17f72"`},
		{"hash SHA-1", `"{% $hash('abc', 'SHA-1') %}"`, `{}`, nil, `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
		{"hash SHA-256", `"{% $hash('abc', 'SHA-256') %}"`, `{}`, nil, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{"hash SHA-384", `"{% $substring($hash('abc', 'SHA-384'), 0, 8) %}"`, `{}`, nil, `"cb00753f"`},
		{"hash SHA-512", `"{% $substring($hash('abc', 'SHA-512'), 0, 8) %}"`, `{}`, nil, `"ddaf35a1"`},
		{"random from the environment", `"{% $random() %}"`, `{}`, nil, `0.5`},
		{"random seeded is stable", `"{% $random(7) = $random(7) %}"`, `{}`, nil, `true`},
		{"uuid from the environment", `"{% $uuid() %}"`, `{}`, nil, `"00000000-0000-4000-8000-000000000000"`},
		{"sequence of one", `"{% [1,2][0] %}"`, `{}`, nil, `1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evalField(t, tt.field, tt.input, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if s := value.MarshalString(got); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestQueryEvaluationErrors(t *testing.T) {
	tests := []struct{ name, field, want string }{
		{"undefined", `{"result":"{% $doesNotExist %}"}`, "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."},
		{"undefined whole field", `"{%  $states.input.nope  %}"`, "The JSONata expression '$states.input.nope' specified for the field 'Output' returned nothing (undefined)."},
		{"non-function", `{"r":"{% $randomSeeded(1) %}"}`, "The JSONata expression '$randomSeeded(1)' specified for the field 'Output/r' threw an error during evaluation. T1006: Attempted to invoke a non-function"},
		{"undefined through a chain", `"{% $lookup({}, 'x') ~> $string %}"`, "returned nothing (undefined)"},
		{"bad hash algorithm", `"{% $hash('a', 'SHA-3') %}"`, "threw an error during evaluation. T0410"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evalField(t, tt.field, `{}`, nil)
			fe, ok := err.(*failure.Error)
			if !ok || fe.Name != failure.QueryEvaluationError || !strings.Contains(fe.Cause, tt.want) {
				t.Fatalf("got %v, want States.QueryEvaluationError containing %q", err, tt.want)
			}
		})
	}
}

func TestQueryOutputLimit(t *testing.T) {
	tmpl := compileQueryTemplate(value.MustDecode(`"{% $pad('', 300000, 'x') %}"`), "/Output", "Output", func(string, error) { t.Fatal("compile") })
	_, err := tmpl.Eval(NewQueryScope(Env{}, nil))
	if fe, ok := err.(*failure.Error); !ok || fe.Name != failure.DataLimitExceeded {
		t.Fatalf("got %v, want States.DataLimitExceeded", err)
	}
}

func TestQueryLanguageLoad(t *testing.T) {
	tests := []struct {
		name, def string
		code      string // "" for valid
		ptr       string
	}{
		{"top-level JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% 1 %}","End":true}}}`, "", ""},
		{"state JSONata in JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% 1 %}","End":true}}}`, "", ""},
		{"downgrade refused", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, CodeInvalidQueryLanguage, "/States/A/QueryLanguage"},
		{"Parameters in JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{},"End":true}}}`, CodeInvalidQueryLanguage, "/States/A/Parameters"},
		{"ItemsPath in JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Map","ItemsPath":"$.x","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`, CodeInvalidQueryLanguage, "/States/A/ItemsPath"},
		{"catcher ResultPath in JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"handler:x","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`, CodeInvalidQueryLanguage, "/States/A/Catch/0/ResultPath"},
		{"Output in JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`, CodeInvalidQueryLanguage, "/States/A/Output"},
		{"Arguments in JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"handler:x","Arguments":{},"End":true}}}`, CodeInvalidQueryLanguage, "/States/A/Arguments"},
		{"does not parse", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":"{% 1 + %}"},"End":true}}}`, CodeInvalidQuery, "/States/A/Output/a"},
		{"eval refused", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $eval('1') %}","End":true}}}`, CodeInvalidQuery, "/States/A/Output"},
		{"unknown function is not an upload error", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $nope(1) %}","End":true}}}`, "", ""},
		{"Condition needed", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Next":"B"}],"Default":"B"},"B":{"Type":"Succeed"}}}`, CodeInvalidChoiceRule, "/States/A/Choices/0"},
		{"Variable in a JSONata rule", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Condition":true,"Variable":"$.x","Next":"B"}]},"B":{"Type":"Succeed"}}}`, CodeInvalidQueryLanguage, "/States/A/Choices/0/Variable"},
		{"expressions as numbers", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"handler:x","TimeoutSeconds":"{% 5 %}","HeartbeatSeconds":"{% 1 %}","Next":"W"},"W":{"Type":"Wait","Seconds":"{% 0 %}","End":true}}}`, "", ""},
		{"Items not an array", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Map","Items":{"a":1},"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`, CodeInvalidMap, "/States/A/Items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Load([]byte(tt.def), Options{Format: JSON})
			if tt.code == "" {
				if ps.HasErrors() {
					t.Fatalf("refused: %v", ps)
				}
				return
			}
			for _, p := range ps {
				if p.Code == tt.code && p.Path == tt.ptr {
					return
				}
			}
			t.Fatalf("want %s at %s, got:\n%v", tt.code, tt.ptr, ps)
		})
	}
}

// TestQueryProblemPosition: an expression that does not parse is reported
// at the line and column inside the expression.
func TestQueryProblemPosition(t *testing.T) {
	def := "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\n\"Output\":\"{% 1 + (2 %}\",\"End\":true}}}"
	_, ps := Load([]byte(def), Options{Format: JSON, Filename: "d.json"})
	if len(ps) != 1 || ps[0].Line != 2 || ps[0].Column <= len(`"Output":"{% `) || ps[0].Code != CodeInvalidQuery {
		t.Fatalf("got %v, want one INVALID_JSONATA on line 2 inside the expression", ps)
	}
}
