package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	const dir = "testdata/validate/"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string // stdout golden file under testdata/validate/, "" for empty
		wantErr  string // in stderr
	}{
		{"valid", []string{"validate", dir + "valid.yaml"}, 0, "", ""},
		{"every example", []string{"validate", "../../definitions/hello.yaml", "../../definitions/hello-json.json", "../../definitions/food-delivery.yaml", "../../definitions/food-delivery-jsonata.yaml"}, 0, "examples.golden", ""},
		// sfn extensions are notes, which --strict lets pass, and errors
		// under --portable.
		{"extensions are notes", []string{"validate", "--strict", dir + "extensions.yaml"}, 0, "extensions.golden", ""},
		{"extensions under --portable", []string{"validate", "--portable", dir + "extensions.yaml"}, 1, "extensions-portable.golden", ""},
		{"a portable definition", []string{"validate", "--portable", "../../definitions/hello.yaml"}, 0, "", ""},
		{"invalid", []string{"validate", dir + "invalid.yaml"}, 1, "invalid.golden", ""},
		{"syntax error", []string{"validate", dir + "syntax.json"}, 1, "syntax.golden", ""},
		{"an unreachable state is an error", []string{"validate", dir + "unreachable.yaml"}, 1, "unreachable.golden", ""},
		{"a valid file passes --strict", []string{"validate", "--strict", dir + "valid.yaml"}, 0, "", ""},
		{"all files are checked", []string{"validate", dir + "invalid.yaml", dir + "valid.yaml", dir + "unreachable.yaml"}, 1, "several.golden", ""},
		{"json", []string{"validate", "--format", "json", dir + "invalid.yaml", dir + "valid.yaml"}, 1, "json.golden", ""},
		{"unreadable file", []string{"validate", dir + "missing.yaml", dir + "valid.yaml"}, 2, "", "missing.yaml: open"},
		{"unreadable wins over invalid", []string{"validate", dir + "invalid.yaml", dir + "missing.yaml"}, 2, "invalid.golden", "missing.yaml"},
		{"no files", []string{"validate"}, 2, "", "name at least one definition file"},
		{"bad format", []string{"validate", "--format", "xml", dir + "valid.yaml"}, 2, "", `--format "xml"`},
		{"unknown flag", []string{"validate", "--nope", dir + "valid.yaml"}, 2, "", "unknown flag: --nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
			if tt.golden != "" {
				golden(t, "validate/"+tt.golden, r.out)
			} else if r.out != "" {
				t.Errorf("stdout = %q, want nothing", r.out)
			}
			if !strings.Contains(r.errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", r.errOut, tt.wantErr)
			}
		})
	}
}

func TestValidateJSONShape(t *testing.T) {
	t.Parallel()
	r := sfn(t, nil, "", "validate", "--format", "json", "testdata/validate/unreachable.yaml")
	var got validateReport
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if got.Valid || len(got.Files) != 1 || got.Files[0].Valid || len(got.Files[0].Problems) != 1 ||
		got.Files[0].Problems[0].Code != "MISSING_TRANSITION_TARGET" || got.Files[0].Problems[0].Severity != "error" {
		t.Errorf("unexpected report: %+v", got)
	}
}

func TestSchemaAndGraph(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"schema", []string{"schema"}, 0, `"$schema"`, ""},
		{"schema takes no args", []string{"schema", "x"}, 2, "", "takes no arguments"},
		{"graph dot", []string{"graph", "../../definitions/parallel.yaml"}, 0, `digraph "parallel"`, ""},
		{"graph mermaid", []string{"graph", "--format", "mermaid", "../../definitions/map.yaml"}, 0, "flowchart TD", ""},
		{"graph bad format", []string{"graph", "--format", "svg", "../../definitions/map.yaml"}, 2, "", "unknown graph format"},
		{"graph invalid definition", []string{"graph", "testdata/validate/invalid.yaml"}, 1, "", "MISSING_TRANSITION_TARGET"},
		{"graph missing file", []string{"graph", "nope.yaml"}, 2, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.out, tt.wantOut) || !strings.Contains(r.errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout:\n%.300s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
		})
	}
}
