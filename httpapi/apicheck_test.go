package httpapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAPICheck runs the shared black-box checks (../shared/conformance/
// api_check.py) against a real server, when python3 and the script exist.
func TestAPICheck(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: -short")
	}
	script, _ := filepath.Abs("../../shared/conformance/api_check.py")
	if _, err := os.Stat(script); err != nil {
		t.Skip("../../shared/conformance/api_check.py is not here")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	srv := setup(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, script, "--base", srv.URL).CombinedOutput()
	failed := 0
	for _, line := range strings.Split(string(out), "\n") {
		name, ok := strings.CutPrefix(line, "FAIL  ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, ":")
		failed++
		t.Error(line)
	}
	if err != nil && failed == 0 && !strings.Contains(string(out), " failed") {
		t.Errorf("api_check.py: %v\n%s", err, out)
	}
}
