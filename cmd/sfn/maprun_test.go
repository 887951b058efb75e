package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitingMapDef is a distributed Map whose children wait ten minutes, one
// at a time at first: its Map Run stays RUNNING while the test looks.
const waitingMapDef = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Each","MaxConcurrency":1,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Hold",
  "States":{"Hold":{"Type":"Wait","Seconds":600,"End":true}}},"End":true}}}`

// eventually runs the command line until its output holds every want: a
// Map Run's record and its children are written in the background after
// the step that starts them.
func eventually(t *testing.T, env map[string]string, wants []string, args ...string) result {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := sfn(t, env, "", args...)
		ok := r.code == 0
		for _, w := range wants {
			ok = ok && strings.Contains(words(r.out), w)
		}
		if ok {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("sfn %s: exit %d, output lacks %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, wants, r.out, r.errOut)
		}
		time.Sleep(10 * time.Millisecond) // the writes have no notice to wait for
	}
}

// words is s with each run of spaces and tabs one space: tables pad their
// columns to the widest cell.
func words(s string) string {
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(s, " ")
}

// containsWords is contains, for output laid out in columns.
func containsWords(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	contains(t, what, words(got), wants...)
}

func TestMapRunCommands(t *testing.T) {
	t.Parallel()
	env := newServer(t)
	def := filepath.Join(t.TempDir(), "fan.json")
	if err := os.WriteFile(def, []byte(waitingMapDef), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, env, 0, "deploy", def, "--name", "fan")
	mustRun(t, env, 0, "start", "fan", "--name", "n1", "--input", "[1,2,3]")

	// list finds the run; describe shows it by id and by ARN.
	r := eventually(t, env, []string{"Each", "RUNNING", "0/3 done"}, "map-run", "list", "fan:n1")
	id := regexp.MustCompile(`(?m)^([0-9a-f-]{36})\s`).FindStringSubmatch(r.out)
	if id == nil {
		t.Fatalf("no Map Run id in:\n%s", r.out)
	}
	run := id[1]
	runARN := "arn:aws:states:us-east-1:123456789012:mapRun:fan/Each:" + run
	r = mustRun(t, env, 0, "map-run", "describe", run)
	containsWords(t, "describe", r.out, "Map Run: "+runARN, "Execution: fan:n1", "Status: RUNNING", "children run fan/Each",
		"Max concurrency: 1", "Tolerated failures: 0% or 0 children", "3 in all: 1 running, 2 pending",
		"PENDING RUNNING SUCCEEDED FAILED TIMED_OUT ABORTED TOTAL\n2 1 0 0 0 0 3\n")
	r = mustRun(t, env, 0, "map-run", "describe", runARN)
	containsWords(t, "describe by ARN", r.out, "Id: "+run)

	// Its children, and one of them described as any execution.
	r = eventually(t, env, []string{"fan/Each:", "RUNNING"}, "map-run", "executions", run)
	kid := regexp.MustCompile(`fan/Each:[0-9a-f-]{36}`).FindString(r.out)
	r = mustRun(t, env, 0, "describe", kid)
	containsWords(t, "describe the child", r.out, "Execution: "+kid, "Parent: fan:n1", "Map Run: "+runARN)
	mustRun(t, env, 0, "history", kid)

	// update: the flags given, and nothing else.
	r = mustRun(t, env, 0, "map-run", "update", runARN, "--max-concurrency", "3", "--tolerated-failure-percentage", "12.5")
	containsWords(t, "update", r.out, "Max concurrency: 3", "Tolerated failures: 12.5% or 0 children", "3 in all: 3 running")
	r = mustRun(t, env, 2, "map-run", "update", run)
	containsWords(t, "update without flags", r.errOut, "give --max-concurrency")
	r = mustRun(t, env, 1, "map-run", "update", run, "--tolerated-failure-count", "-1")
	containsWords(t, "update with a bad count", r.errOut, "InvalidInput", "toleratedFailureCount")

	// JSON is the server's answer.
	r = mustRun(t, env, 0, "--format", "json", "map-run", "describe", run)
	var m struct {
		ARN             string `json:"arn"`
		ExecutionCounts struct {
			Running, Total int
		} `json:"executionCounts"`
	}
	if err := json.Unmarshal([]byte(r.out), &m); err != nil || m.ARN != runARN || m.ExecutionCounts.Total != 3 || m.ExecutionCounts.Running != 3 {
		t.Fatalf("--format json: %v\n%s", err, r.out)
	}
	r = mustRun(t, env, 0, "--format", "json", "map-run", "executions", run, "--limit", "2")
	containsWords(t, "executions --format json", r.out, `"nextCursor": "2"`)
	r = mustRun(t, env, 0, "map-run", "executions", run, "--cursor", "2")
	if n := strings.Count(r.out, "fan/Each:"); n != 1 {
		t.Errorf("second page has %d children, want 1:\n%s", n, r.out)
	}

	// Stopping the parent aborts the run, which can no longer change.
	mustRun(t, env, 0, "stop", "fan:n1")
	r = eventually(t, env, []string{"Status: ABORTED", "3 aborted"}, "map-run", "describe", run)
	containsWords(t, "aborted run", r.out, "Stopped:")
	r = mustRun(t, env, 1, "map-run", "update", run, "--max-concurrency", "5")
	containsWords(t, "update an ended run", r.errOut, "Conflict", "only a RUNNING Map Run")

	// Usage and unknown runs.
	mustRun(t, env, 2, "map-run")
	mustRun(t, env, 2, "map-run", "describe")
	r = mustRun(t, env, 1, "map-run", "describe", "00000000-0000-0000-0000-000000000000")
	containsWords(t, "unknown run", r.errOut, "NotFound")
	r = mustRun(t, env, 0, "map-run", "list", "fan:n1")
	containsWords(t, "list an ended run", r.out, "ABORTED", "3/3 done")
}
