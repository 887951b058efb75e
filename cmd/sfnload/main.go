package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

// Exit codes: 0 the run had no errors, 1 some requests failed, 2 usage.
const (
	exitOK     = 0
	exitErrors = 1
	exitUsage  = 2
)

const usage = `usage:
  sfnload starts     --server URL --conns 64 --duration 10s [--state-machine NAME] [--input JSON]
  sfnload http-tasks --server URL --executions 256 --duration 10s
  sfnload activities --server URL --workers 16 --inflight 256 --duration 10s
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// common are the flags every mode has.
type common struct {
	server   string
	duration time.Duration
	token    string
	raw      bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.server, "server", envOr("SFN_SERVER", "http://127.0.0.1:8080"), "sfn server URL (env SFN_SERVER)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to measure")
	fs.StringVar(&c.token, "token", os.Getenv("SFN_TOKEN"), "bearer token (env SFN_TOKEN)")
	fs.BoolVar(&c.raw, "raw", true, "activity workers and the HTTP tasks' endpoint speak HTTP/1.1 on raw connections (less of the machine's CPU than net/http; raw.go); false: net/http")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var mode func(context.Context, []string, io.Writer) (*report, error)
	switch args[0] {
	case "starts":
		mode = runStarts
	case "http-tasks":
		mode = runHTTPTasks
	case "activities":
		mode = runActivities
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "sfnload: unknown mode %q\n%s", args[0], usage)
		return exitUsage
	}
	rep, err := mode(ctx, args[1:], stdout)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sfnload %s: %v\n", args[0], err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "sfnload %s: %v\n", args[0], err)
		return exitErrors
	}
	rep.print(stdout)
	if rep.errorCount() > 0 {
		fmt.Fprintf(stderr, "sfnload %s: %d request(s) failed\n", args[0], rep.errorCount())
		return exitErrors
	}
	return exitOK
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// parse parses a mode's flags; positional arguments are refused.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		return usagef("%v\n%s", err, b.String())
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
