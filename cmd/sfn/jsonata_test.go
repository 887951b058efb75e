package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJSONata(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "in.json")
	if err := os.WriteFile(file, []byte(`{"a": [1, 2, 3], "s": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string // stdout, trimmed
		wantErr   string // stderr begins with it
		errSubstr string // stderr contains it
	}{
		{"inline input", []string{"jsonata", "--input", `{"a": 2}`, "--", "a * 3"}, 0, "6", "", ""},
		{"file input", []string{"jsonata", "--input", "@" + file, "--", "$sum(a)"}, 0, "6", "", ""},
		{"bindings", []string{"jsonata", "--bind", "x=5", "--bind", `y="k"`, "--", "$y & $x"}, 0, `"k5"`, "", ""},
		{"no input is undefined", []string{"jsonata", "--", "$exists($)"}, 0, "false", "", ""},
		{"null input", []string{"jsonata", "--input", "null", "--", "$type($)"}, 0, `"null"`, "", ""},
		{"expression starting with -", []string{"jsonata", "--", "-42"}, 0, "-42", "", ""},
		{"undefined prints nothing", []string{"jsonata", "--input", "{}", "--", "missing"}, 0, "", "", ""},
		{"evaluation error", []string{"jsonata", "--input", `{"s": "x"}`, "--", "s + 1"}, 1, "", "T2001 ", ""},
		{"syntax error", []string{"jsonata", "--", "(1"}, 1, "", "S0203 ", ""},
		{"bad input", []string{"jsonata", "--input", "{", "--", "1"}, 2, "", "sfn:", "--input"},
		{"missing file", []string{"jsonata", "--input", "@" + filepath.Join(dir, "none"), "--", "1"}, 2, "", "sfn:", "--input"},
		{"bad binding", []string{"jsonata", "--bind", "x", "--", "1"}, 2, "", "sfn:", "NAME=JSON"},
		{"no expression", []string{"jsonata"}, 2, "", "sfn:", "exactly one expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.out, r.errOut)
			}
			if got := strings.TrimSpace(r.out); got != tt.wantOut {
				t.Errorf("stdout = %q, want %q", got, tt.wantOut)
			}
			if !strings.HasPrefix(r.errOut, tt.wantErr) || !strings.Contains(r.errOut, tt.errSubstr) {
				t.Errorf("stderr = %q, want it to begin with %q and contain %q", r.errOut, tt.wantErr, tt.errSubstr)
			}
		})
	}
}
