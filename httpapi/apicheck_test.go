package httpapi_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/internal/testenv"
)

// TestAPICheck runs the black-box checks of the shared conformance suite
// (api_check.py, in ../../shared/conformance next to the checkout) against
// a real server. Without the script or python3 it is skipped loudly, and
// fails under CI=true.
func TestAPICheck(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: -short")
	}
	script := testenv.Shared(t, "conformance/api_check.py")
	python := testenv.Program(t, "python3")
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
