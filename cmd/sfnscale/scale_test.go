package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestFaultScale is the CI-sized run of `make bench-scale`: 20,000
// executions parked in a Wait on a private Redis, a cold start of a node
// on them, two nodes splitting the partitions, and the kill -9 of one at
// the first due time. Every execution must finish exactly once, and the
// cold start must cost at most 5 Redis commands per parked execution.
// The times are logged, not asserted (BENCHMARKS.md has them).
func TestFaultScale(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the scale run takes about a minute")
	}
	url := redistest.Server(t) // its own server: the command counts are read
	bin := filepath.Join(t.TempDir(), "sfn")
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "../sfn").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{SFN: bin, RedisURL: url, Prefix: "scale", Executions: 20000, Rate: 1000,
		Lead: 30 * time.Second, Log: &log, Dir: t.TempDir()})
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	rep.Print(&table)
	t.Log("\n" + table.String())
	if rep.Duplicates != 0 || rep.NotSucceeded != 0 {
		t.Errorf("%d executions did not run exactly once, %d did not succeed", rep.Duplicates, rep.NotSucceeded)
	}
	if rep.ColdCommandsPerRun > 5 {
		t.Errorf("the cold start cost %.2f Redis commands per parked execution, want at most 5", rep.ColdCommandsPerRun)
	}
	if rep.DueAfter == 0 {
		t.Errorf("no timer was due after the takeover: the run measured no lag")
	}
}
