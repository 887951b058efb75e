package interpreter_test

import (
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// TestCompileVersion: a stored version runs from its uploaded text when it
// has one (key order and numbers as written) and from its canonical form
// when it has not (a version of an earlier release, or a text in a format
// this release does not know); clients read the same form back.
func TestCompileVersion(t *testing.T) {
	t.Parallel()
	const (
		jsonText  = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"b":1,"a":12345678901234567890,"c":1.0},"End":true}}}`
		yamlText  = "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: {b: 1, a: 12345678901234567890, c: 1.0}\n    End: true\n"
		canonText = `{"StartAt":"P","States":{"P":{"End":true,"Result":{"a":12345678901234567000,"b":1,"c":1},"Type":"Pass"}}}`
		asWritten = `{"b":1,"a":12345678901234567890,"c":1.0}`
		canonical = `{"a":12345678901234567000,"b":1,"c":1}`
	)
	tests := []struct {
		name       string
		source     string
		format     string
		wantResult string
		wantJSON   string
	}{
		{"json", jsonText, "json", asWritten, jsonText},
		{"yaml", yamlText, "yaml", asWritten, jsonText},
		{"earlier release", "", "", canonical, canonText},
		{"unknown format", "P = 1", "toml", canonical, canonText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sm := store.StateMachine{Name: "sm", Version: 1, Definition: []byte(canonText), SourceFormat: tt.format}
			if tt.source != "" {
				sm.Source = []byte(tt.source)
			}
			def, err := interpreter.CompileVersion(sm)
			if err != nil {
				t.Fatal(err)
			}
			if got := value.MarshalString(def.States["P"].Result); got != tt.wantResult {
				t.Errorf("Result %s, want %s", got, tt.wantResult)
			}
			if got := string(interpreter.DefinitionJSON(sm)); got != tt.wantJSON {
				t.Errorf("DefinitionJSON %s, want %s", got, tt.wantJSON)
			}
		})
	}
	if _, err := interpreter.CompileVersion(store.StateMachine{Name: "sm", Version: 2, Definition: []byte(`{"StartAt":`)}); err == nil {
		t.Error("a broken stored definition compiled")
	}
}
