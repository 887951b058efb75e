package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/internal/testenv"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

type confCase struct {
	Name         string          `json:"name"`
	Definition   json.RawMessage `json:"definition"`
	Input        json.RawMessage `json:"input"`
	Expect       confExpect      `json:"expect"`
	HistoryTypes []string        `json:"history_types"`
	Needs        any             `json:"needs"`
	Worker       workerSpec      `json:"worker"`
	Skip         string          `json:"skip"`
}

// rejections say why sfn must refuse each REJECTED case of the suite:
// the code and the JSON Pointer of the problem it reports. (AWS's answer
// in the suite says only that it refused.)
var rejections = map[string]dsl.Problem{
	"reject-missing-startat":             {Code: dsl.CodeSchema, Path: ""},
	"reject-startat-unknown-state":       {Code: dsl.CodeMissingTarget, Path: "/StartAt"},
	"reject-next-unknown-state":          {Code: dsl.CodeMissingTarget, Path: "/States/A/Next"},
	"reject-states-all-not-last":         {Code: dsl.CodeInvalidErrorEquals, Path: "/States/Fork/Catch/0/ErrorEquals/0"},
	"reject-illegal-intrinsic-escape":    {Code: dsl.CodeInvalidIntrinsic, Path: "/States/Esc/Parameters/parsed.$"},
	"reject-wait-timestamp-without-zone": {Code: dsl.CodeInvalidTimestamp, Path: "/States/Until/Timestamp"},
	"reject-wait-two-durations":          {Code: dsl.CodeInvalidWait, Path: "/States/Hold/Timestamp"},
	"reject-fail-with-next":              {Code: dsl.CodeSchema, Path: "/States/Stop/Next"},
	// cases-next: why sfn refuses each REJECTED JSONata case.
	"jsonata-ql-downgrade-rejected":                 {Code: dsl.CodeInvalidQueryLanguage, Path: "/States/Pass/QueryLanguage"},
	"jsonata-expression-in-jsonpath-state-rejected": {Code: dsl.CodeInvalidTimestamp, Path: "/States/WaitUntil/Timestamp"},
	"jsonata-fn-eval-unsupported":                   {Code: dsl.CodeInvalidQuery, Path: "/States/State_0/Output"},
}

// checkRejected checks that PutStateMachine refused a REJECTED case's
// definition as invalid, for the reason rejections gives: any other error
// (a store failure, a definition refused for something else) fails.
func checkRejected(t *testing.T, name string, err error) {
	t.Helper()
	var invalid *interpreter.InvalidDefinitionError
	if !errors.As(err, &invalid) {
		t.Fatalf("PutStateMachine: %v; want an InvalidDefinitionError", err)
	}
	want, ok := rejections[name]
	if !ok {
		t.Fatalf("a REJECTED case missing from rejections; sfn reported:\n%s", invalid.Problems.Error())
	}
	for _, p := range invalid.Problems {
		if p.Severity == dsl.SeverityError && p.Code == want.Code && p.Path == want.Path {
			return
		}
	}
	t.Fatalf("refused without the error %s at %q; sfn reported:\n%s", want.Code, want.Path, invalid.Problems.Error())
}

type confExpect struct {
	Status        string          `json:"status"`
	Output        json.RawMessage `json:"output"`
	Compare       []string        `json:"compare"`
	Error         *string         `json:"error"`
	ErrorOneOf    []string        `json:"error_one_of"`
	Cause         *string         `json:"cause"`
	CauseContains any             `json:"cause_contains"`
}

// TestConformance runs every case of the shared AWS-pinned conformance
// suite (../../shared/conformance/cases, next to the checkout: present in
// the developers' workspace and in CI, absent in a user's clone) directly
// against the engine on the in-memory store.
func TestConformance(t *testing.T) {
	files := testenv.SharedFiles(t, "conformance/cases/*.json")
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	echo := echoServer(t)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []confCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				if c.Skip != "" {
					t.Skip(c.Skip)
				}
				t.Parallel()
				sm := "cf-" + strings.ReplaceAll(c.Name, ".", "-")
				exName := "x-" + filepath.Base(f)[:3] + "-" + string(rune('a'+i%26))
				activity := "act-" + c.Name
				sub := strings.NewReplacer("{{SM_NAME}}", sm, "{{EXEC_NAME}}", exName, "{{RUN_ID}}", c.Name,
					"{{ECHO_URL}}", echo.URL, "{{ACTIVITY}}", activity)
				runConfCase(t, eng, c, sm, exName, activity, sub, true)
			})
		}
	}
}

// runConfCase runs one case on eng: with a worker for activity when the
// case needs one, its definition (sub replacing the placeholders) put as
// sm, refused as rejections says when it is REJECTED, otherwise started as
// exName and its result and history checked. subInput replaces the
// placeholders in its input too.
func runConfCase(t *testing.T, eng *interpreter.Engine, c confCase, sm, exName, activity string, sub *strings.Replacer, subInput bool) {
	t.Helper()
	ctx := context.Background()
	if needs(c.Needs, "activity") {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go runWorker(wctx, eng, activity, c.Worker)
	}
	def := []byte(sub.Replace(string(c.Definition)))
	_, err := eng.PutStateMachine(ctx, sm, def, dsl.JSON)
	if c.Expect.Status == "REJECTED" {
		checkRejected(t, c.Name, err)
		return
	}
	if err != nil {
		t.Fatalf("definition rejected: %v", err)
	}
	input := c.Input
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	if subInput {
		input = json.RawMessage(sub.Replace(string(input)))
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: sm, Name: exName, Input: input})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ex, err = eng.Wait(wctx, ex.ID)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	checkCase(t, c, sub, ex)
	checkHistoryTypes(t, eng, ex.ID, c.HistoryTypes)
}

func checkCase(t *testing.T, c confCase, sub *strings.Replacer, ex *interpreter.Execution) {
	t.Helper()
	e := c.Expect
	if ex.Status != e.Status {
		t.Fatalf("status %s, want %s (error %q cause %q)", ex.Status, e.Status, ex.Error, ex.Cause)
	}
	if e.Status == "SUCCEEDED" && len(e.Output) > 0 {
		want := value.MustDecode(sub.Replace(string(e.Output)))
		got, err := value.Decode(ex.Output)
		if err != nil {
			t.Fatalf("output: %v", err)
		}
		if len(e.Compare) > 0 {
			for _, p := range e.Compare {
				if !value.Equal(at(got, p), at(want, p)) {
					t.Errorf("output at %s: got %s, want %s", p, value.MarshalString(at(got, p)), value.MarshalString(at(want, p)))
				}
			}
		} else if !value.Equal(got, want) {
			t.Errorf("output:\n got  %s\n want %s", value.MarshalString(got), value.MarshalString(want))
		}
	}
	if e.Error != nil && ex.Error != *e.Error {
		t.Errorf("error %q, want %q", ex.Error, *e.Error)
	}
	if len(e.ErrorOneOf) > 0 && !contains(e.ErrorOneOf, ex.Error) {
		t.Errorf("error %q, want one of %v", ex.Error, e.ErrorOneOf)
	}
	if e.Cause != nil && ex.Cause != *e.Cause {
		t.Errorf("cause:\n got  %q\n want %q", ex.Cause, *e.Cause)
	}
	var parts []string
	switch cc := e.CauseContains.(type) {
	case string:
		parts = []string{cc}
	case []any:
		for _, p := range cc {
			parts = append(parts, p.(string))
		}
	}
	for _, p := range parts {
		if !strings.Contains(ex.Cause, p) {
			t.Errorf("cause %q does not contain %q", ex.Cause, p)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// at follows a dotted path with [n] indexes, as the conformance runner does.
func at(v value.Value, path string) value.Value {
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		if name != "" {
			o, ok := v.(*value.Object)
			if !ok {
				return nil
			}
			v, _ = o.Get(name)
		}
		for idx != "" {
			n := 0
			for idx[0] >= '0' && idx[0] <= '9' {
				n = n*10 + int(idx[0]-'0')
				idx = idx[1:]
			}
			idx = strings.TrimPrefix(strings.TrimPrefix(idx, "]"), "[")
			a, ok := v.([]any)
			if !ok || n >= len(a) {
				return nil
			}
			v = a[n]
		}
	}
	return v
}

func needs(n any, what string) bool {
	switch v := n.(type) {
	case string:
		return v == what
	case []any:
		for _, x := range v {
			if x == what {
				return true
			}
		}
	}
	return false
}

// checkHistoryTypes compares an execution's event types with a case's
// (none given: nothing to check).
func checkHistoryTypes(t *testing.T, eng *interpreter.Engine, id string, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	evs, err := eng.History(context.Background(), store.HistoryQuery{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		var h struct{ Type string }
		_ = json.Unmarshal(e.Data, &h)
		got = append(got, h.Type)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("history:\n got  %s\n want %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}
