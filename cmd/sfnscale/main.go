// Command sfnscale measures how sfn holds many parked executions on Redis:
// Redis memory per parked execution, the Redis commands and the time a
// node needs to take every partition on a cold start, and, after the kill
// -9 of one of two nodes, how late the survivor fires the timers, with
// every execution finishing exactly once. `make bench-scale` runs it with
// the figures of BENCHMARKS.md; the test TestFaultScale runs a smaller
// size in CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfnscale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := Config{Log: stderr}
	fs.StringVar(&cfg.SFN, "sfn", "bin/sfn", "the sfn binary (make build)")
	fs.StringVar(&cfg.RedisURL, "redis-url", "", "a Redis for this run alone (its command counts are read); empty: a private redis-server from PATH")
	fs.StringVar(&cfg.Prefix, "prefix", "scale", "the Redis key prefix")
	fs.IntVar(&cfg.Executions, "executions", 20000, "executions parked in a Wait")
	fs.Float64Var(&cfg.Rate, "rate", 1000, "due times per second, from the kill on")
	fs.IntVar(&cfg.Conns, "conns", 64, "concurrent starts")
	fs.DurationVar(&cfg.Lead, "lead", 60*time.Second, "time between the end of the starts and the first due time")
	fs.StringVar(&cfg.Pprof, "pprof", "", "serve the survivor's (node C's) Go profiles on this address, e.g. 127.0.0.1:6061")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.MkdirTemp("", "sfnscale-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg.Dir = dir
	if cfg.RedisURL == "" {
		p, err := redistest.Launch(dir)
		if err != nil {
			fmt.Fprintln(stderr, "sfnscale: starting redis-server:", err)
			return 1
		}
		defer p.Stop()
		cfg.RedisURL = p.URL
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sfnscale: %v (node logs in %s)\n", err, dir)
		return 1
	}
	rep.Print(stdout)
	if rep.Duplicates > 0 || rep.NotSucceeded > 0 {
		return 1
	}
	return 0
}

// Print writes the report as the rows of BENCHMARKS.md's scale table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "executions parked                         %d\n", r.Executions)
	fmt.Fprintf(w, "starts (HTTP, 64 connections)             %.0f/s\n", r.StartsPerSecond)
	fmt.Fprintf(w, "Redis memory per parked execution         %.0f bytes\n", r.RedisBytesPerRun)
	fmt.Fprintf(w, "cold start: /readyz                       %s\n", r.ColdReady.Round(time.Millisecond))
	fmt.Fprintf(w, "cold start: all 256 partitions held       %s\n", r.ColdHeld.Round(time.Millisecond))
	fmt.Fprintf(w, "cold start: Redis commands (to recovered) %d (%.4f per parked execution)\n", r.ColdCommands, r.ColdCommandsPerRun)
	fmt.Fprintf(w, "two idle nodes: Redis commands to 1st due %d\n", r.IdleCommands)
	fmt.Fprintf(w, "kill -9: survivor holds all partitions    %s after the kill\n", r.Takeover.Round(time.Millisecond))
	fmt.Fprintf(w, "timers due before the takeover            %d, largest lag %s\n", r.DueBefore, r.MaxLagBefore.Round(time.Millisecond))
	fmt.Fprintf(w, "timers due after the takeover             %d, largest lag %s, p99 %s\n", r.DueAfter, r.MaxLagAfter.Round(time.Millisecond), r.P99LagAfter.Round(time.Millisecond))
	fmt.Fprintf(w, "last execution ended                      %s after the first due time\n", r.FinishedAfter.Round(time.Millisecond))
	fmt.Fprintf(w, "not exactly once / not succeeded          %d / %d\n", r.Duplicates, r.NotSucceeded)
}
