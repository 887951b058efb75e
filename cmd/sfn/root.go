package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes: scripts rely on them.
const (
	exitOK          = 0
	exitFailed      = 1 // the execution failed, the definition is invalid, or the server said no
	exitUsage       = 2 // bad flags or arguments, an unreadable file
	exitUnreachable = 3 // the server could not be reached
)

// streams are the command's standard files, replaceable in tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// app is what every command shares: the streams and the global flags.
type app struct {
	streams
	getenv func(string) string
	server string
	token  string
	format string
}

// exitError carries an exit code. silent means the command has already
// said everything (problems, the failed execution) and no "sfn:" line follows.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func failedf(format string, a ...any) error {
	return &exitError{code: exitFailed, err: fmt.Errorf(format, a...)}
}

// quietExit ends the command with code and nothing more to say.
func quietExit(code int) error {
	return &exitError{code: code, err: fmt.Errorf("exit status %d", code), silent: true}
}

// execute runs the command line and returns the process's exit code.
func execute(ctx context.Context, args []string, s streams, getenv func(string) string) int {
	a := &app{streams: s, getenv: getenv}
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitUsage // cobra's own errors (unknown command, bad flag) are usage errors
	silent := false
	var ee *exitError
	var ue *unreachableError
	var ae *apiError
	switch {
	case errors.As(err, &ee):
		code, silent = ee.code, ee.silent
	case errors.As(err, &ue):
		code = exitUnreachable
	case errors.As(err, &ae):
		code = exitFailed
	}
	if !silent {
		fmt.Fprintf(s.err, "sfn: %v\n", err)
		if code == exitUsage && !errors.As(err, &ee) {
			fmt.Fprintln(s.err, "Run 'sfn --help' for usage.")
		}
	}
	return code
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "sfn",
		Short: "sfn runs Amazon States Language workflows on your own machines",
		Long: `sfn is a self-hosted workflow engine compatible with AWS Step Functions.

Offline: validate, schema, graph, run and test-state work on definition files.
Client: deploy, ls, show, start, describe, history, executions, stop,
redrive and map-run talk to a server (sfn serve) at --server.

Exit codes: 0 ok, 1 the execution failed or the server said no,
2 usage, 3 server unreachable.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.checkFormat(cmd)
		},
	}
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	server := a.getenv("SFN_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", server, "server base URL (env SFN_SERVER)")
	pf.StringVar(&a.token, "token", a.getenv("SFN_TOKEN"), "bearer token for a server started with --auth-tokens (env SFN_TOKEN)")
	pf.StringVar(&a.format, "format", "table", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newServeCmd(a),
		newValidateCmd(a), newSchemaCmd(a), newGraphCmd(a), newRunCmd(a),
		newDeployCmd(a), newLsCmd(a), newShowCmd(a),
		newStartCmd(a), newDescribeCmd(a), newHistoryCmd(a), newExecutionsCmd(a),
		newStopCmd(a), newRedriveCmd(a), newMapRunCmd(a),
		newJSONataCmd(a),
		newTestStateCmd(a),
		newScheduleCmd(a),
	)
	return root
}

// checkFormat validates --format for every command but graph, which has
// its own --format (dot or mermaid).
func (a *app) checkFormat(cmd *cobra.Command) error {
	if cmd.Name() == "graph" || cmd.Name() == "serve" {
		return nil
	}
	switch strings.ToLower(a.format) {
	case "table", "text":
		a.format = "table"
	case "json":
		a.format = "json"
	default:
		return usageErrorf("--format %q: use table or json", a.format)
	}
	return nil
}

func (a *app) json() bool { return a.format == "json" }
