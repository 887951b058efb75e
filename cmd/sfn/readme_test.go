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
	w := walkthrough{
		name: "walkthrough",
		info: "sh walkthrough",
		// What each block must print; the README and this list change together.
		want: [][]string{
			{`"name":"hello-world"`, `"version":1`},
			{`"status": "SUCCEEDED"`, `"text": "Hello, world!"`},
			{`"status": "SUCCEEDED"`, `"name": "Grace"`},
			{"1 ExecutionStarted", "2 PassStateEntered SayHello", "6 ExecutionSucceeded"},
			{`"status": "ABORTED"`, `"error": "Operator.Stopped"`, `"cause": "not needed any more"`},
			{`"status": "FAILED"`, `"error": "Order.Missing"`, `"redriveCount": 1`, "ExecutionRedriven", "FailStateEntered MissingOrder"},
			{`"name":"mornings"`, `"overlapPolicy":"SKIP"`, `"status": "SUCCEEDED"`, `"name": "mornings-`},
			{`{"key":"http:*.payments.example.com","maxInFlight":2,"ratePerSecond":5,"burst":5,"inFlight":0,"waiting":0}`},
			{`{"name":"billing","stateMachines":["hello-world"],"secretSet":true}`,
				`{"detail-type":"Step Functions Execution Status Change","source":"aws.states","status":"SUCCEEDED"}`},
		},
		waitHint: "wait for the execution instead (?wait= on start, or its event stream)",
		carry:    `^[a-z][a-z0-9_]*$`,
		timeout:  30 * time.Second,
	}
	blocks := w.blocks(t)
	w.run(t, blocks, startServer(t))
}

// walkthrough is a README walkthrough: fenced ```sh blocks run in order,
// in bash from the repository's root, against a server of the test's.
type walkthrough struct {
	name     string     // in failure messages: "walkthrough block 2 failed"
	info     string     // the info string of its fences ("sh walkthrough")
	want     [][]string // what each block must print, block by block
	waitHint string     // what a block that sleeps should do instead
	// carry matches (an extended regular expression, for grep -E) the names
	// of the variables a block hands on to the blocks after it.
	carry   string
	env     []string      // the blocks' environment; nil is the test's own
	timeout time.Duration // for each block
}

// sleepRE finds a sleep command in a block.
var sleepRE = regexp.MustCompile(`(^|[\s;&|(])sleep\s`)

// blocks returns the walkthrough's blocks from README.md, failing the test
// when they are not as many as w.want or when one sleeps: a sleep guesses
// how long the server takes, and a reader's slower machine (or a loaded CI
// runner) sees a different answer.
func (w walkthrough) blocks(t *testing.T) []string {
	t.Helper()
	blocks := fencedBlocks(t, "../../README.md", w.info)
	if len(blocks) != len(w.want) {
		t.Fatalf("README has %d %s blocks, the test expects %d: update both together", len(blocks), w.name, len(w.want))
	}
	for i, block := range blocks {
		if sleepRE.MatchString(block) {
			t.Errorf("%s block %d sleeps; %s\n%s", w.name, i+1, w.waitHint, block)
		}
	}
	return blocks
}

// run runs blocks in order against the server at addr (which stands for
// the README's 127.0.0.1:8080), each seeing the variables w.carry names
// that the blocks before it set, and checks that each prints what w.want
// lists for it. It stops at the first block that fails.
func (w walkthrough) run(t *testing.T, blocks []string, addr string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "vars.sh")
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, block := range blocks {
		script := "set -euo pipefail\nsource " + state + "\n" +
			strings.ReplaceAll(block, "127.0.0.1:8080", addr) +
			"\nvars=$(compgen -v | grep -E '" + w.carry + "' || true)\n" +
			"if [ -n \"$vars\" ]; then declare -p $vars > " + state + "; fi\n"
		ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir = "../.."
		cmd.Env = w.env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%s block %d failed: %v\n%s\noutput:\n%s", w.name, i+1, err, block, out)
		}
		for _, want := range w.want[i] {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s block %d: output lacks %q\n%s\noutput:\n%s", w.name, i+1, want, block, out)
			}
		}
	}
}

// fencedBlocks returns the bodies of the fenced code blocks of a Markdown
// file whose info string is exactly info ("sh walkthrough").
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
