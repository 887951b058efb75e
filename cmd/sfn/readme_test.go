package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEWalkthrough runs the README's walkthrough (the ```sh walkthrough
// blocks, in order) against a real server started as `make run` starts it,
// so the README cannot drift from the code. Variables a block sets (lower
// case, like id=...) are carried into the blocks after it. No block may
// sleep: each waits for what it shows.
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s", tool)
		}
	}
	blocks := walkthroughBlocks(t, "../../README.md")

	// What each block must print; the README and this list change together.
	want := [][]string{
		{`"name":"hello-world"`, `"version":1`},
		{`"status": "SUCCEEDED"`, `"text": "Hello, world!"`},
		{`"status": "SUCCEEDED"`, `"name": "Grace"`},
		{"1 ExecutionStarted", "2 PassStateEntered SayHello", "6 ExecutionSucceeded"},
		{`"status": "ABORTED"`, `"error": "Operator.Stopped"`, `"cause": "not needed any more"`},
		{`"status": "FAILED"`, `"error": "Order.Missing"`, `"redriveCount": 1`, "ExecutionRedriven", "FailStateEntered MissingOrder"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("README has %d walkthrough blocks, the test expects %d: update both together", len(blocks), len(want))
	}
	for i, block := range blocks {
		// A sleep guesses how long the server takes: a reader's slower
		// machine (or a loaded CI runner) sees a different answer.
		if regexp.MustCompile(`(^|[\s;&|(])sleep\s`).MatchString(block) {
			t.Errorf("walkthrough block %d sleeps; wait for the execution instead (?wait= on start, or its event stream)\n%s", i+1, block)
		}
	}

	addr := startServer(t)
	state := filepath.Join(t.TempDir(), "vars.sh")
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, block := range blocks {
		script := "set -euo pipefail\nsource " + state + "\n" +
			strings.ReplaceAll(block, "127.0.0.1:8080", addr) +
			"\nvars=$(compgen -v | grep -E '^[a-z][a-z0-9_]*$' || true)\n" +
			"if [ -n \"$vars\" ]; then declare -p $vars > " + state + "; fi\n"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("walkthrough block %d failed: %v\n%s\noutput:\n%s", i+1, err, block, out)
		}
		for _, w := range want[i] {
			if !strings.Contains(string(out), w) {
				t.Errorf("walkthrough block %d: output lacks %q\n%s\noutput:\n%s", i+1, w, block, out)
			}
		}
	}
}

// walkthroughBlocks returns the bodies of the ```sh walkthrough fences.
func walkthroughBlocks(t *testing.T, path string) []string {
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
		case cur == nil && strings.TrimSpace(line) == "```sh walkthrough":
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
		t.Fatal("README.md: a walkthrough block is not closed")
	}
	return blocks
}

// startServer runs `sfn serve --load definitions` in-process on a free port,
// as `make run` does (with extra flags), and returns its address once it is
// healthy.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, append([]string{"serve", "--addr", addr, "--load", "../../definitions", "--log-level", "error"}, extra...),
			streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, func(string) string { return "" })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("sfn serve did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("sfn serve exited with %d", code)
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("sfn serve did not become healthy")
	return ""
}
