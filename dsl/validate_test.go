package dsl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/schema"
)

// got is the part of a Problem the rule tests pin down; messages are checked
// only for a phrase, so rewording one does not break every test.
type got struct {
	Code     string
	Path     string
	Line     int
	Column   int
	Severity Severity
}

// anyCode marks a problem that the schema or the semantic rules may report;
// what matters is that exactly one problem points there.
const anyCode = "*"

func e(code, path string, line, col int) got { return got{code, path, line, col, SeverityError} }

func TestValidateRules(t *testing.T) {
	t.Parallel()
	tests := []ruleCase{
		{
			name: "StartAt missing",
			src: `
States:
  A: {Type: Succeed}
`,
			want: []got{e(anyCode, "", 1, 1)},
		},
		{
			name: "StartAt names no state",
			src: `
StartAt: Strat
States:
  Start: {Type: Succeed}
`,
			want:   []got{e(CodeMissingTarget, "/StartAt", 1, 10)},
			phrase: `did you mean "Start"?`,
		},
		{
			name: "Next names no state",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Next: Chrage
  Charge: {Type: Succeed}
`,
			want:   []got{e(CodeMissingTarget, "/States/A/Next", 5, 11)},
			phrase: `Next names state "Chrage", which does not exist in this scope; did you mean "Charge"?`,
		},
		{
			name: "Default and choice rule Next name no state",
			src: `
StartAt: C
States:
  C:
    Type: Choice
    Choices:
      - Variable: $.x
        IsPresent: true
        Next: Yes
    Default: Nope
  Done: {Type: Succeed}
`,
			want: []got{
				e(CodeMissingTarget, "/States/C/Choices/0/Next", 8, 15),
				e(CodeMissingTarget, "/States/C/Default", 9, 14),
			},
		},
		{
			name: "Catch Next names no state",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Catch:
      - ErrorEquals: [States.ALL]
        Next: Recover
    End: true
`,
			want: []got{e(CodeMissingTarget, "/States/T/Catch/0/Next", 8, 15)},
		},
		{
			name: "neither Next nor End",
			src: `
StartAt: A
States:
  A:
    Type: Pass
`,
			want:   []got{e(CodeInvalidTransition, "/States/A", 3, 3)},
			phrase: "add Next",
		},
		{
			name: "both Next and End",
			src: `
StartAt: A
States:
  A:
    Type: Wait
    Seconds: 1
    Next: B
    End: true
  B: {Type: Succeed}
`,
			want:   []got{e(CodeInvalidTransition, "/States/A/End", 7, 5)},
			phrase: "both Next and End",
		},
		{
			name: "End false with Next",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Next: B
    End: false
  B: {Type: Succeed}
`,
			want:   []got{e(CodeInvalidTransition, "/States/A/End", 6, 5)},
			phrase: "End must be true",
		},
		{
			name: "End false alone",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    End: false
`,
			want: []got{e(CodeInvalidTransition, "/States/A/End", 5, 5)},
		},
		{
			name: "Fail with Next is one problem",
			src: `
StartAt: Stop
States:
  Stop:
    Type: Fail
    Error: E
    Next: Other
  Other: {Type: Succeed}
`,
			want: []got{e(anyCode, "/States/Stop/Next", 6, 5)},
		},
		{
			name: "Succeed with End, Choice with Next",
			src: `
StartAt: C
States:
  C:
    Type: Choice
    Choices:
      - Variable: $.x
        IsPresent: true
        Next: S
    Next: S
  S:
    Type: Succeed
    End: true
`,
			want: []got{
				e(anyCode, "/States/C/Next", 9, 5),
				e(anyCode, "/States/S/End", 12, 5),
			},
		},
		{
			name: "States.ALL not alone",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Retry:
      - ErrorEquals: [Custom, States.ALL]
    End: true
`,
			want: []got{e(CodeInvalidErrorEquals, "/States/T/Retry/0/ErrorEquals/1", 7, 31)},
		},
		{
			name: "States.ALL not in the last catcher",
			src: `
StartAt: Fork
States:
  Fork:
    Type: Parallel
    Branches:
      - StartAt: X
        States:
          X: {Type: Succeed}
    Catch:
      - ErrorEquals: [States.ALL]
        Next: H
      - ErrorEquals: [Other]
        Next: H
    End: true
  H: {Type: Succeed}
`,
			want:   []got{e(CodeInvalidErrorEquals, "/States/Fork/Catch/0/ErrorEquals/0", 10, 23)},
			phrase: "last catcher",
		},
		{
			name: "ErrorEquals empty",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Retry:
      - ErrorEquals: []
    End: true
`,
			want: []got{e(anyCode, "/States/T/Retry/0/ErrorEquals", 7, 22)},
		},
		{
			name: "retrier numbers out of range",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Retry:
      - ErrorEquals: [States.TaskFailed]
        IntervalSeconds: 0
        MaxAttempts: -1
        BackoffRate: 0.5
        MaxDelaySeconds: 0
    End: true
`,
			want: []got{
				e(anyCode, "/States/T/Retry/0/IntervalSeconds", 8, 26),
				e(anyCode, "/States/T/Retry/0/MaxAttempts", 9, 22),
				e(anyCode, "/States/T/Retry/0/BackoffRate", 10, 22),
				e(anyCode, "/States/T/Retry/0/MaxDelaySeconds", 11, 26),
			},
		},
		{
			name: "Wait with no time",
			src: `
StartAt: W
States:
  W:
    Type: Wait
    End: true
`,
			want: []got{e(anyCode, "/States/W", 3, 3)},
		},
		{
			name: "Wait with two times",
			src: `
StartAt: W
States:
  W:
    Type: Wait
    Seconds: 1
    TimestampPath: $.t
    End: true
`,
			want: []got{e(CodeInvalidWait, "/States/W/TimestampPath", 6, 5)},
		},
		{
			name: "Task timeout and heartbeat",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    TimeoutSeconds: 10
    TimeoutSecondsPath: $.t
    HeartbeatSeconds: 10
    HeartbeatSecondsPath: $.h
    End: true
`,
			want: []got{
				e(anyCode, "/States/T/TimeoutSecondsPath", 7, 5),
				e(anyCode, "/States/T/HeartbeatSeconds", 8, 23),
				e(anyCode, "/States/T/HeartbeatSecondsPath", 9, 5),
			},
		},
		{
			name: "Fail pairs",
			src: `
StartAt: F
States:
  F:
    Type: Fail
    Error: E
    ErrorPath: $.e
    Cause: C
    CausePath: $.c
`,
			want: []got{
				e(anyCode, "/States/F/ErrorPath", 6, 5),
				e(anyCode, "/States/F/CausePath", 8, 5),
			},
		},
		{
			name: "Map pairs",
			src: `
StartAt: M
States:
  M:
    Type: Map
    MaxConcurrency: 1
    MaxConcurrencyPath: $.m
    ToleratedFailureCount: 1
    ToleratedFailureCountPath: $.c
    ToleratedFailurePercentage: 5
    ToleratedFailurePercentagePath: $.p
    ItemProcessor:
      StartAt: I
      States:
        I: {Type: Succeed}
    End: true
`,
			want: []got{
				e(anyCode, "/States/M/MaxConcurrencyPath", 6, 5),
				e(anyCode, "/States/M/ToleratedFailureCountPath", 8, 5),
				e(anyCode, "/States/M/ToleratedFailurePercentagePath", 10, 5),
			},
		},
		{
			name: "state reached only by Catch, Default and choice rules is reachable",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Catch:
      - ErrorEquals: [States.ALL]
        Next: C
    End: true
  C:
    Type: Choice
    Choices:
      - Variable: $.x
        IsPresent: true
        Next: R
    Default: D
  R: {Type: Succeed}
  D: {Type: Succeed}
`,
		},
		{
			name: "state name too long",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Next: ` + strings.Repeat("n", 81) + `
  ` + strings.Repeat("n", 81) + `: {Type: Succeed}
`,
			want:   []got{e(anyCode, "/States/"+strings.Repeat("n", 81), 6, 3)},
			phrase: "81 characters",
		},
		{
			name: "state name of 80 characters is fine",
			src: `
StartAt: ` + strings.Repeat("é", 80) + `
States:
  ` + strings.Repeat("é", 80) + `: {Type: Succeed}
`,
		},
		{
			name: "definition TimeoutSeconds not positive",
			src: `
StartAt: A
TimeoutSeconds: 0
States:
  A: {Type: Succeed}
`,
			want: []got{e(anyCode, "/TimeoutSeconds", 2, 17)},
		},
		{
			name: "no state ends the scope",
			src: `
StartAt: A
States:
  A: {Type: Pass, Next: B}
  B: {Type: Pass, Next: A}
`,
			want: []got{e(CodeMissingEnd, "/States", 2, 1)},
		},
		{
			name: "branch Next naming a top-level state",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: B1
        States:
          B1: {Type: Pass, Next: Done}
    End: true
  Done: {Type: Succeed}
`,
			want:   []got{e(CodeMissingTarget, "/States/P/Branches/0/States/B1/Next", 8, 34)},
			phrase: `"Done" belongs to the top level`,
		},
		{
			name: "map processor StartAt naming a top-level state",
			src: `
StartAt: M
States:
  M:
    Type: Map
    Iterator:
      StartAt: M
      States:
        I: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeMissingTarget, "/States/M/Iterator/StartAt", 6, 16)},
		},
		{
			name: "names with / and ~ are escaped in pointers",
			src: `
StartAt: a/b
States:
  a/b:
    Type: Parallel
    Branches:
      - StartAt: x~y
        States:
          x~y: {Type: Pass, Next: z}
    End: true
`,
			want: []got{e(CodeMissingTarget, "/States/a~1b/Branches/0/States/x~0y/Next", 8, 35)},
		},
		{
			name: "every problem at once",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Next: B
  B:
    Type: Task
    Resource: handler:work
    Retry:
      - ErrorEquals: [States.ALL]
      - ErrorEquals: [Custom]
    Catch:
      - ErrorEquals: [States.ALL]
        Next: Gone
    Next: A
  W:
    Type: Wait
    Seconds: 1
    SecondsPath: $.s
    Next: X
  P:
    Type: Parallel
    Branches:
      - StartAt: Q
        States:
          Q: {Type: Pass}
    End: true
`,
			want: []got{
				e(CodeInvalidErrorEquals, "/States/B/Retry/0/ErrorEquals/0", 10, 23),
				e(CodeMissingTarget, "/States/B/Catch/0/Next", 14, 15),
				e(CodeInvalidWait, "/States/W/SecondsPath", 19, 5),
				e(CodeMissingTarget, "/States/W/Next", 20, 11),
				e(CodeInvalidTransition, "/States/P/Branches/0/States/Q", 26, 11),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkProblems(t, tt.src, tt.want, tt.phrase)
		})
	}
}

// ruleCase is a definition (YAML) and the problems it must give.
type ruleCase struct {
	name   string
	src    string
	want   []got
	phrase string // in the first problem's message, when set
}

func runRuleCases(t *testing.T, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkProblems(t, tt.src, tt.want, tt.phrase)
		})
	}
}

// checkProblems loads src (YAML, a leading newline dropped) and compares its
// problems with want, and the first one's message with phrase.
func checkProblems(t *testing.T, src string, want []got, phrase string) {
	t.Helper()
	src = strings.TrimPrefix(src, "\n")
	_, ps := Load([]byte(src), Options{Format: YAML})
	t.Logf("problems:\n%s", ps.Error())
	gotList := make([]got, len(ps))
	for i, p := range ps {
		gotList[i] = got{p.Code, p.Path, p.Line, p.Column, p.Severity}
		if i < len(want) && want[i].Code == anyCode {
			gotList[i].Code = anyCode
		}
	}
	if diff := cmp.Diff(want, gotList, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("problems (-want +got):\n%s\nall:\n%s", diff, ps.Error())
	}
	if phrase != "" && len(ps) > 0 && !strings.Contains(ps[0].Message, phrase) {
		t.Errorf("message %q does not say %q", ps[0].Message, phrase)
	}
}

// TestDuplicateStateNames: a state name is unique in the whole state
// machine, across Parallel branches and Map processors (ASL: "state names
// MUST be unique within the scope of the whole state machine"); AWS refuses a
// duplicate with DUPLICATE_STATE_NAME.
func TestDuplicateStateNames(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{
			name: "branch state named like a top-level state",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: Done
        States:
          Done: {Type: Succeed}
    Next: Done
  Done: {Type: Succeed}
`,
			want:   []got{e(CodeDuplicateName, "/States/Done", 10, 3)},
			phrase: `Duplicate State name: "Done" (first defined at /States/P/Branches/0/States/Done)`,
		},
		{
			name: "two branches of one Parallel",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: Work
        States:
          Work: {Type: Pass, End: true}
      - StartAt: Work
        States:
          Work: {Type: Pass, End: true}
    End: true
`,
			want: []got{e(CodeDuplicateName, "/States/P/Branches/1/States/Work", 11, 11)},
		},
		{
			name: "Map ItemProcessor state named like its Map",
			src: `
StartAt: M
States:
  M:
    Type: Map
    ItemProcessor:
      StartAt: M
      States:
        M: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeDuplicateName, "/States/M/ItemProcessor/States/M", 8, 9)},
		},
		{
			name: "legacy Iterator and a sibling Map",
			src: `
StartAt: A
States:
  A:
    Type: Map
    Iterator:
      StartAt: Item
      States:
        Item: {Type: Succeed}
    Next: B
  B:
    Type: Map
    Iterator:
      StartAt: Item
      States:
        Item: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeDuplicateName, "/States/B/Iterator/States/Item", 15, 9)},
		},
		{
			name: "nested deeper: a Map inside a Parallel branch",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: M
        States:
          M:
            Type: Map
            ItemProcessor:
              StartAt: P
              States:
                P: {Type: Succeed}
            End: true
    End: true
`,
			want: []got{e(CodeDuplicateName, "/States/P/Branches/0/States/M/ItemProcessor/States/P", 13, 17)},
		},
		{
			name: "every repeat is reported",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: X
        States:
          X: {Type: Succeed}
      - StartAt: X
        States:
          X: {Type: Succeed}
      - StartAt: X
        States:
          X: {Type: Succeed}
    End: true
`,
			want: []got{
				e(CodeDuplicateName, "/States/P/Branches/1/States/X", 11, 11),
				e(CodeDuplicateName, "/States/P/Branches/2/States/X", 14, 11),
			},
		},
		{
			name: "distinct names everywhere are fine",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: X1
        States:
          X1: {Type: Succeed}
      - StartAt: X2
        States:
          X2: {Type: Succeed}
    End: true
`,
		},
	})
}

// TestValidateOddShapes feeds shapes the schema rejects; the semantic rules
// must neither panic nor pile more problems onto them.
func TestValidateOddShapes(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`[]`,
		`{}`,
		`{"StartAt": 1, "States": []}`,
		`{"StartAt": "A", "States": {"A": "Pass"}}`,
		`{"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": [1, {"States": 2}], "End": true}}}`,
		`{"StartAt": "A", "States": {"A": {"Type": "Map", "ItemProcessor": [], "End": true}}}`,
		`{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "handler:x", "Retry": [1, {"ErrorEquals": "x"}], "Catch": [null, {}], "End": true}}}`,
		`{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [1, {"Next": 2}], "Default": 3}}}`,
		`{"StartAt": "A", "States": {"A": {"Type": 7, "Next": true, "End": "yes"}}}`,
	} {
		_, ps := Load([]byte(src), Options{Format: JSON})
		if !ps.HasErrors() {
			t.Errorf("%s: no errors", src)
		}
	}
}

func TestCloseNames(t *testing.T) {
	t.Parallel()
	names := []string{"Charge", "ChargeCard", "Notify", "A", "Done"}
	tests := []struct {
		name string
		want []string
	}{
		{"Chrage", []string{"Charge"}},
		{"charge", []string{"Charge", "ChargeCard"}},
		{"Notfy", []string{"Notify"}},
		{"X", nil},
		{"Nope", nil},
		{"Char", []string{"Charge", "ChargeCard"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, closeNames(tt.name, names), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("closeNames(%q) (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestItemsPathIsReferencePath: a Map's ItemsPath must be a reference path,
// as ResultPath is (AWS: "its value must be a Reference Path"); it may read
// the context object ($$), which AWS lists among the fields that can.
func TestItemsPathIsReferencePath(t *testing.T) {
	t.Parallel()
	mapWith := func(itemsPath string) string {
		return `
StartAt: M
States:
  M:
    Type: Map
    ItemsPath: "` + itemsPath + `"
    ItemProcessor:
      StartAt: I
      States:
        I: {Type: Succeed}
    End: true
`
	}
	bad := func(itemsPath string) ruleCase {
		return ruleCase{
			name:   "refused " + itemsPath,
			src:    mapWith(itemsPath),
			want:   []got{e(CodeInvalidPath, "/States/M/ItemsPath", 5, 16)},
			phrase: "must be a reference path",
		}
	}
	good := func(itemsPath string) ruleCase {
		return ruleCase{name: "accepted " + itemsPath, src: mapWith(itemsPath)}
	}
	runRuleCases(t, []ruleCase{
		bad("$.items[*]"),
		bad("$.items[0:2]"),
		bad("$..items"),
		bad("$.items[?(@.ok == true)]"),
		bad("$.*"),
		bad("$.items[-1]"),
		bad("$['a','b']"),
		bad("$$.Execution.Input.items[*]"),
		good("$"),
		good("$.items"),
		good("$['my items'][0].list"),
		good("$$.Execution.Input.items"),
	})
}

// TestRetrierLimits pins AWS's documented limits on a retrier: IntervalSeconds
// and MaxAttempts at most 99999999, MaxDelaySeconds greater than 0 and less
// than 31622401. Out of range is refused at load (by the schema, which the
// semantic rules then do not repeat).
func TestRetrierLimits(t *testing.T) {
	t.Parallel()
	retrier := func(field, n string) string {
		return `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Retry:
      - ErrorEquals: [States.ALL]
        ` + field + `: ` + n + `
    End: true
`
	}
	refused := func(field, n, phrase string) ruleCase {
		return ruleCase{
			name:   field + " " + n + " refused",
			src:    retrier(field, n),
			want:   []got{e(CodeSchema, "/States/T/Retry/0/"+field, 8, len(field)+11)},
			phrase: phrase,
		}
	}
	accepted := func(field, n string) ruleCase {
		return ruleCase{name: field + " " + n + " accepted", src: retrier(field, n)}
	}
	runRuleCases(t, []ruleCase{
		accepted("IntervalSeconds", "1"),
		accepted("IntervalSeconds", "99999999"),
		refused("IntervalSeconds", "100000000", "from 1 to 99999999"),
		refused("IntervalSeconds", "0", "from 1 to 99999999"),
		accepted("MaxAttempts", "0"),
		accepted("MaxAttempts", "99999999"),
		refused("MaxAttempts", "100000000", "from 0 to 99999999"),
		refused("MaxAttempts", "1e9", "from 0 to 99999999"),
		refused("MaxAttempts", "-1", "from 0 to 99999999"),
		accepted("MaxDelaySeconds", "1"),
		accepted("MaxDelaySeconds", "31622400"),
		refused("MaxDelaySeconds", "31622401", "from 1 to 31622400"),
		refused("MaxDelaySeconds", "0", "from 1 to 31622400"),
		refused("MaxDelaySeconds", "-5", "from 1 to 31622400"),
	})
}

// TestRetrierLimitsMatchSchema keeps the semantic rule's bounds and the
// schema's in step, so both refuse the same retriers.
func TestRetrierLimitsMatchSchema(t *testing.T) {
	t.Parallel()
	var doc struct {
		Defs struct {
			Retrier struct {
				Properties map[string]struct {
					Minimum *int64 `json:"minimum"`
					Maximum *int64 `json:"maximum"`
				} `json:"properties"`
			} `json:"Retrier"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string][2]int64{
		"IntervalSeconds": {1, maxRetryNumber},
		"MaxAttempts":     {0, maxRetryNumber},
		"MaxDelaySeconds": {1, maxDelaySeconds},
	} {
		p := doc.Defs.Retrier.Properties[field]
		if p.Minimum == nil || p.Maximum == nil || *p.Minimum != want[0] || *p.Maximum != want[1] {
			t.Errorf("schema bounds of %s = %v..%v, the semantic rule has %d..%d", field, p.Minimum, p.Maximum, want[0], want[1])
		}
	}
}

// TestRetrierLimitsWithoutSchemaPositions runs the rule through LoadValue,
// the path of a stored definition.
func TestRetrierLimitsWithoutSchemaPositions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		n     int64
		ok    bool
	}{
		{"IntervalSeconds", maxRetryNumber, true},
		{"IntervalSeconds", maxRetryNumber + 1, false},
		{"MaxAttempts", maxRetryNumber + 1, false},
		{"MaxDelaySeconds", maxDelaySeconds, true},
		{"MaxDelaySeconds", maxDelaySeconds + 1, false},
	} {
		src := fmt.Sprintf(`{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "handler:work",
			"Retry": [{"ErrorEquals": ["States.ALL"], %q: %d}], "End": true}}}`, tc.field, tc.n)
		def, ps := LoadValue(value.MustDecode(src))
		if got := def != nil && !ps.HasErrors(); got != tc.ok {
			t.Errorf("%s %d: accepted %v, want %v; problems:\n%s", tc.field, tc.n, got, tc.ok, ps.Error())
		}
	}
}

// TestUnreachableStates: a state that no path from its scope's StartAt
// reaches is refused, as AWS refuses it ("MISSING_TRANSITION_TARGET: State
// "X" is not reachable."), in the top level and in every branch and
// processor, each from its own StartAt.
func TestUnreachableStates(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{
			name: "top level",
			src: `
StartAt: A
States:
  A: {Type: Succeed}
  Lost: {Type: Succeed}
`,
			want:   []got{e(CodeMissingTarget, "/States/Lost", 4, 3)},
			phrase: `State "Lost" is not reachable.`,
		},
		{
			name: "a chain nothing enters",
			src: `
StartAt: A
States:
  A: {Type: Pass, Next: Done}
  B: {Type: Pass, Next: C}
  C: {Type: Pass, Next: Done}
  Done: {Type: Succeed}
`,
			want: []got{
				e(CodeMissingTarget, "/States/B", 4, 3),
				e(CodeMissingTarget, "/States/C", 5, 3),
			},
		},
		{
			name: "a loop nothing enters",
			src: `
StartAt: A
States:
  A: {Type: Succeed}
  X: {Type: Pass, Next: Y}
  Y: {Type: Pass, Next: X}
`,
			want: []got{
				e(CodeMissingTarget, "/States/X", 4, 3),
				e(CodeMissingTarget, "/States/Y", 5, 3),
			},
		},
		{
			name: "Parallel branch, from the branch's StartAt",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: B1
        States:
          B1: {Type: Succeed}
          B2: {Type: Succeed}
    End: true
`,
			want:   []got{e(CodeMissingTarget, "/States/P/Branches/0/States/B2", 9, 11)},
			phrase: `State "B2" is not reachable.`,
		},
		{
			name: "Map ItemProcessor, from the processor's StartAt",
			src: `
StartAt: M
States:
  M:
    Type: Map
    ItemProcessor:
      StartAt: I1
      States:
        I0: {Type: Pass, Next: I1}
        I1: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeMissingTarget, "/States/M/ItemProcessor/States/I0", 8, 9)},
		},
		{
			name: "legacy Iterator",
			src: `
StartAt: M
States:
  M:
    Type: Map
    Iterator:
      StartAt: I1
      States:
        I1: {Type: Succeed}
        I2: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeMissingTarget, "/States/M/Iterator/States/I2", 9, 9)},
		},
		{
			name: "reached through Catch, Default and choice rules",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Catch:
      - ErrorEquals: [States.ALL]
        Next: C
    End: true
  C:
    Type: Choice
    Choices:
      - Variable: $.x
        IsPresent: true
        Next: R
    Default: D
  R: {Type: Succeed}
  D: {Type: Succeed}
`,
		},
		{
			name: "a misspelt Next is one problem, not also an unreachable target",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Nxt: B
    End: true
  B: {Type: Succeed}
`,
			want: []got{e(CodeSchema, "/States/A/Nxt", 5, 5)},
		},
		{
			name: "a schema mistake inside a branch does not hide the top level's",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Branches:
      - StartAt: B1
        States:
          B1: {Type: Pass, Nxt: B1, End: true}
    End: true
  Lost: {Type: Succeed}
`,
			want: []got{
				e(CodeSchema, "/States/P/Branches/0/States/B1/Nxt", 8, 28),
				e(CodeMissingTarget, "/States/Lost", 10, 3),
			},
		},
	})
}

// TestTemplateFieldsUniqueWithoutSuffix: in a payload template (Parameters,
// ResultSelector, ItemSelector, at any depth) a field given both plainly and
// with ".$" is refused (ASL: "A JSON object MUST NOT have duplicate field
// names after fields ending with the characters ".$" are renamed"). Result is
// a literal, where ".$" means nothing, so it may have both.
func TestTemplateFieldsUniqueWithoutSuffix(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{
			name: "Pass Parameters, plain first",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Parameters:
      a: 1
      a.$: $.x
    End: true
`,
			want:   []got{e(CodeSchema, "/States/A/Parameters/a.$", 7, 7)},
			phrase: `field "a.$" duplicates "a"`,
		},
		{
			name: "Task Parameters, path first",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    Parameters:
      id.$: $.id
      id: fixed
    End: true
`,
			want:   []got{e(CodeSchema, "/States/T/Parameters/id", 8, 7)},
			phrase: `field "id" duplicates "id.$"`,
		},
		{
			name: "intrinsic and plain",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Parameters:
      u.$: States.UUID()
      u: x
    End: true
`,
			want: []got{e(CodeSchema, "/States/A/Parameters/u", 7, 7)},
		},
		{
			name: "ResultSelector",
			src: `
StartAt: T
States:
  T:
    Type: Task
    Resource: handler:work
    ResultSelector:
      r: 1
      r.$: $.r
    End: true
`,
			want: []got{e(CodeSchema, "/States/T/ResultSelector/r.$", 8, 7)},
		},
		{
			name: "Map ItemSelector",
			src: `
StartAt: M
States:
  M:
    Type: Map
    ItemSelector:
      v.$: $$.Map.Item.Value
      v: 0
    ItemProcessor:
      StartAt: I
      States:
        I: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeSchema, "/States/M/ItemSelector/v", 7, 7)},
		},
		{
			name: "Parallel Parameters nested in an object inside an array",
			src: `
StartAt: P
States:
  P:
    Type: Parallel
    Parameters:
      list:
        - deep:
            k: 1
            k.$: $.k
    Branches:
      - StartAt: B
        States:
          B: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeSchema, "/States/P/Parameters/list/0/deep/k.$", 9, 13)},
		},
		{
			name: "legacy Map Parameters",
			src: `
StartAt: M
States:
  M:
    Type: Map
    Parameters:
      i.$: $$.Map.Item.Index
      i: 0
    Iterator:
      StartAt: I
      States:
        I: {Type: Succeed}
    End: true
`,
			want: []got{e(CodeSchema, "/States/M/Parameters/i", 7, 7)},
		},
		{
			name: "Pass Result is a literal: both are fine",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Result:
      a: 1
      a.$: $.x
    End: true
`,
		},
		{
			name: "different names are fine",
			src: `
StartAt: A
States:
  A:
    Type: Pass
    Parameters:
      a: 1
      b.$: $.x
      c:
        a.$: $.y
    End: true
`,
		},
	})
}
