package testenv

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records how the test would end instead of
// ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                  { r.TB.Helper() }
func (r *recorder) Skip(args ...any)         { r.skipped = strings.TrimSpace(args[0].(string)) }
func (r *recorder) Fatal(args ...any)        { r.failed = strings.TrimSpace(args[0].(string)) }
func (r *recorder) Logf(string, ...any)      {}
func (r *recorder) Fatalf(string, ...any)    { r.failed = "fatalf" }
func (r *recorder) Skipf(f string, a ...any) { r.skipped = f }

// TestMissing: outside CI a missing thing skips the test, under CI=true it
// fails it; either way the message says what is missing and where it was
// looked for.
func TestMissing(t *testing.T) {
	for _, c := range []struct {
		ci         string
		skip, fail bool
	}{{"", true, false}, {"false", true, false}, {"true", false, true}} {
		t.Run("CI="+c.ci, func(t *testing.T) {
			t.Setenv("CI", c.ci)
			r := &recorder{TB: t}
			Missing(r, "the thing", "/some/where")
			if (r.skipped != "") != c.skip || (r.failed != "") != c.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", r.skipped, r.failed, c.skip, c.fail)
			}
			msg := r.skipped + r.failed
			if !strings.Contains(msg, "the thing is missing") || !strings.Contains(msg, "/some/where") {
				t.Errorf("message %q does not say what is missing and where", msg)
			}
		})
	}
}

// TestSharedMissing: a path that is not in the shared folder ends the test
// with Missing, naming the absolute path looked for.
func TestSharedMissing(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Shared(r, "no-such-suite/cases")
	if !strings.Contains(r.failed, "shared/no-such-suite/cases") {
		t.Errorf("failed with %q, want a failure naming shared/no-such-suite/cases", r.failed)
	}
	r = &recorder{TB: t}
	if files := SharedFilesIfPresent(r, "no-such-suite/*.json"); files != nil || r.failed == "" {
		t.Errorf("SharedFilesIfPresent under CI=true: %v, failed %q; want a failure", files, r.failed)
	}
	t.Setenv("CI", "")
	r = &recorder{TB: t}
	if files := SharedFilesIfPresent(r, "no-such-suite/*.json"); files != nil || r.failed != "" || r.skipped != "" {
		t.Errorf("SharedFilesIfPresent outside CI: %v, failed %q, skipped %q; want nil and the test going on", files, r.failed, r.skipped)
	}
}

// TestProgramMissing names the program and the PATH searched.
func TestProgramMissing(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("PATH", "/nowhere")
	r := &recorder{TB: t}
	Program(r, "python3")
	if !strings.Contains(r.skipped, "the program python3 is missing") || !strings.Contains(r.skipped, "PATH=/nowhere") {
		t.Errorf("skipped with %q", r.skipped)
	}
}
