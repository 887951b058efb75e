package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeAWSWalkthrough runs the README's walkthrough with the aws CLI
// (the ```sh aws-walkthrough blocks, in order) against a real server
// started as `make run` starts it, as TestREADMEWalkthrough does for the
// curl one. Variables a block sets (lower case, and the AWS_ ones it
// exports) are carried into the blocks after it. Without `aws` on PATH the
// test is skipped loudly, and fails under CI=true (.ci/run installs
// Debian's awscli).
func TestReadmeAWSWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the walkthrough needs bash")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		msg := "\n\n*** aws NOT FOUND on PATH: the README's aws CLI walkthrough is NOT RUN. " +
			"Install the aws CLI (Debian: apt-get install awscli). ***\n\n"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	blocks := fencedBlocks(t, "../../README.md", "sh aws-walkthrough")

	// What each block must print; the README and this list change together.
	want := [][]string{
		{`"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:hello-aws"`, `"creationDate"`},
		{`"executionArn": "arn:aws:states:us-east-1:123456789012:execution:hello-aws:first"`, `"status": "SUCCEEDED"`, `Hello, world!`},
		{"1\tExecutionStarted", "2\tPassStateEntered", "6\tExecutionSucceeded"},
		{"hello-aws", "StateMachineDoesNotExist"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("README has %d aws-walkthrough blocks, the test expects %d: update both together", len(blocks), len(want))
	}
	for i, block := range blocks {
		if regexp.MustCompile(`(^|[\s;&|(])sleep\s`).MatchString(block) {
			t.Errorf("aws walkthrough block %d sleeps; wait for what it shows instead\n%s", i+1, block)
		}
	}

	addr := startServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "vars.sh")
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The reader's own AWS configuration (AWS_ variables, a profile with
	// another endpoint, region or credentials) must not change what the
	// blocks do: they set what they need.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"), "AWS_EC2_METADATA_DISABLED=true")
	for i, block := range blocks {
		script := "set -euo pipefail\nsource " + state + "\n" +
			strings.ReplaceAll(block, "127.0.0.1:8080", addr) +
			"\nvars=$(compgen -v | grep -E '^([a-z][a-z0-9_]*|AWS_[A-Z_]+)$' || true)\n" +
			"if [ -n \"$vars\" ]; then declare -p $vars > " + state + "; fi\n"
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir = "../.."
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("aws walkthrough block %d failed: %v\n%s\noutput:\n%s", i+1, err, block, out)
		}
		for _, w := range want[i] {
			if !strings.Contains(string(out), w) {
				t.Errorf("aws walkthrough block %d: output lacks %q\n%s\noutput:\n%s", i+1, w, block, out)
			}
		}
	}
}

// fencedBlocks returns the bodies of the fenced code blocks of a Markdown
// file whose info string is exactly info ("sh aws-walkthrough").
func fencedBlocks(t *testing.T, path, info string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```"+info:
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
			cur.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s: a ```%s block is not closed", path, info)
	}
	return blocks
}
