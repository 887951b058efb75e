package dsl

import (
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// TestAssignRules: what a definition may assign, and where (AWS's rules
// for workflow variables in JSONPath states).
func TestAssignRules(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{
			name: "Assign on every state that has it, choice rules and catchers",
			src: `
StartAt: P
States:
  P: {Type: Pass, Assign: {a: 1, b.$: $.x, c.$: "States.Format('{}', $a)", d.$: $$.Execution.Id}, Next: C}
  C:
    Type: Choice
    Assign: {e: 1}
    Choices:
      - {Variable: $a, NumericEquals: 1, Next: W, Assign: {f: 2}}
    Default: W
  W: {Type: Wait, Seconds: 0, Assign: {g: 1}, Next: T}
  T:
    Type: Task
    Resource: handler:h
    Assign: {h.$: $.r}
    Catch: [{ErrorEquals: [States.ALL], Next: W2, Assign: {err.$: $.Error}}]
    End: true
  W2: {Type: Succeed}
`,
		},
		{
			name: "a variable name that is not an identifier",
			src: `
StartAt: P
States:
  P: {Type: Pass, Assign: {1a: 1}, End: true}
`,
			want:   []got{e(CodeInvalidVariable, "/States/P/Assign/1a", 3, 28)},
			phrase: "not a valid variable name",
		},
		{
			name: "$states is reserved",
			src: `
StartAt: P
States:
  P: {Type: Pass, Assign: {states.$: $.x}, End: true}
`,
			want:   []got{e(CodeInvalidVariable, "/States/P/Assign/states.$", 3, 28)},
			phrase: "reserved",
		},
		{
			name: "$states is not read in JSONPath",
			src: `
StartAt: P
States:
  P: {Type: Pass, InputPath: $states.input, End: true}
`,
			want:   []got{e(CodeInvalidPath, "/States/P/InputPath", 3, 30)},
			phrase: "reserved",
		},
		{
			name: "Assign on a Fail state",
			src: `
StartAt: F
States:
  F: {Type: Fail, Assign: {a: 1}}
`,
			want: []got{e(anyCode, "/States/F/Assign", 3, 19)},
		},
		{
			name: "Assign in a nested choice rule",
			src: `
StartAt: C
States:
  C:
    Type: Choice
    Choices:
      - Not: {Variable: $.a, IsPresent: true, Assign: {x: 1}}
        Next: D
  D: {Type: Succeed}
`,
			want: []got{e(anyCode, "/States/C/Choices/0/Not/Assign", 6, 47)},
		},
		{
			name: "a Map iteration assigns an outer variable",
			src: `
StartAt: Set
States:
  Set: {Type: Pass, Assign: {total: 0}, Next: M}
  M:
    Type: Map
    ItemProcessor:
      StartAt: In
      States:
        In: {Type: Pass, Assign: {total.$: $.n, mine: 1}, End: true}
    End: true
`,
			want:   []got{e(CodeInvalidVariable, "/States/M/ItemProcessor/States/In/Assign/total.$", 9, 35)},
			phrase: "outer scope",
		},
		{
			name: "a nested branch assigns a variable of the Parallel's own scope",
			src: `
StartAt: Par
States:
  Par:
    Type: Parallel
    Branches:
      - StartAt: A
        States:
          A: {Type: Pass, Assign: {x: 1}, Next: Inner}
          Inner:
            Type: Parallel
            Branches:
              - StartAt: B
                States:
                  B: {Type: Pass, Assign: {x: 2}, End: true}
            End: true
    End: true
`,
			want:   []got{e(CodeInvalidVariable, "/States/Par/Branches/0/States/Inner/Branches/0/States/B/Assign/x", 14, 44)},
			phrase: "outer scope",
		},
		{
			name: "sibling branches may use the same name",
			src: `
StartAt: Par
States:
  Par:
    Type: Parallel
    Branches:
      - StartAt: A
        States:
          A: {Type: Pass, Assign: {x: 1}, End: true}
      - StartAt: B
        States:
          B: {Type: Pass, Assign: {x: 2}, End: true}
    End: true
`,
		},
	})
}

// TestAssignEval: every value sees the variables from before the state,
// "$" is the document given, and the result is bounded.
func TestAssignEval(t *testing.T) {
	t.Parallel()
	def, ps := Load([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{
		"x": 18, "old.$": "$x", "fromDoc.$": "$.a", "sum.$": "States.MathAdd($x, $.a)", "lit": "$x",
		"nested": {"deep.$": "$x"}},"End":true}}}`), Options{})
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	a := def.States["P"].Assign
	doc, _ := value.Decode([]byte(`{"a":1}`))
	vars := mapVars{"x": value.Int(42)}
	got, err := a.Eval(Env{Input: doc, Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"x":18,"old":42,"fromDoc":1,"sum":43,"lit":"$x","nested":{"deep":42}}`
	if s := value.MarshalString(got); s != want {
		t.Errorf("Assign = %s, want %s", s, want)
	}
	if _, err := a.Eval(Env{Input: doc}); err == nil {
		t.Error("an undefined variable: no error")
	}
	big, ps := Load([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"a.$":"$.s","b.$":"$.s"},"End":true}}}`), Options{})
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	s := value.NewObject(1)
	s.Set("s", string(make([]byte, MaxAssign/2)))
	if _, err := big.States["P"].Assign.Eval(Env{Input: s, MaxPayload: 10 << 20}); err == nil {
		t.Error("an Assign over 256 KiB: no error")
	}
}

type mapVars map[string]value.Value

func (m mapVars) Lookup(name string) (value.Value, bool) { v, ok := m[name]; return v, ok }
