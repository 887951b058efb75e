package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/internal/fastclock"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

type runOptions struct {
	input    string
	mockFile string
	// An AWS mock configuration file, the test case and the state machine
	// name it is found under (default: the file's base name).
	mockConfig   string
	testCase     string
	stateMachine string
	history      bool
	fastTime     bool
	timeout      time.Duration
}

func newRunCmd(a *app) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run one execution in-process, with no server, and print its output",
		Long: `run starts one execution of a definition in this process, on an in-memory
store, waits for it to end and prints its output, or its error and cause
(exit status 1).

--mock gives canned answers to Task states by state name, whatever their
resource (handler:, http:invoke, .waitForTaskToken callbacks, activities):
a state's first attempt gets its first answer, the second its second, and
the last answer repeats:

  ChargePayment:
    - error: Payment.ProviderUnavailable
      cause: the provider is down
    - output: {status: APPROVED, chargeId: ch-1}

A Task state without a mock:
  - http:invoke makes its real HTTP call to its ApiEndpoint;
  - handler: fails with States.TaskFailed (sfn run registers no handlers);
  - activities and .waitForTaskToken callbacks fail at once with
    States.TaskFailed, as no worker or callback can reach sfn run.

--mock-config reads AWS Step Functions Local's mock configuration file
(MockConfigFile.json) and runs one of its test cases, named by --test-case,
for the state machine named by --state-machine (default: the definition
file's base name without extension). The test case maps state names to
mocked responses; a mocked response maps call numbers of the state ("0",
"1-2"; every attempt is a call, retries included) to a Return or a Throw;
a call no range covers fails the execution with States.Runtime. A state
the test case does not name runs as without a mock. See docs/testing.md.

--fast-time skips the waiting: Wait states, retry back-off and timeouts
take no real time.`,
		Example: `  sfn run definitions/hello.yaml --input '{"name": "Ada"}'
  sfn run definitions/retry-catch.yaml --input @order.json --mock mocks.yaml --fast-time --history
  sfn run LambdaSQSIntegration.json --mock-config MockConfigFile.json --test-case RetryPath --fast-time`,
		Args: exactArgs(1, "FILE [--input JSON|@file] [--mock mocks.yaml | --mock-config FILE --test-case NAME [--state-machine NAME]] [--history] [--fast-time]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.input, "input", "", "execution input: JSON text, @FILE, or @- for standard input (default {})")
	f.StringVar(&o.mockFile, "mock", "", "YAML or JSON file of canned Task answers by state name (unmocked http:invoke states make real calls)")
	f.StringVar(&o.mockConfig, "mock-config", "", "AWS mock configuration file (MockConfigFile.json) to run a test case of")
	f.StringVar(&o.testCase, "test-case", "", "the test case of --mock-config to run")
	f.StringVar(&o.stateMachine, "state-machine", "", "the state machine name in --mock-config (default: FILE's base name)")
	f.BoolVar(&o.history, "history", false, "print the execution's history events too")
	f.BoolVar(&o.fastTime, "fast-time", false, "let Waits, retry back-off and timeouts pass without waiting")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up when the execution has not ended after this long (real time)")
	return cmd
}

// runResult is `sfn run --format json`.
type runResult struct {
	ExecutionID string            `json:"executionId"`
	Status      string            `json:"status"`
	Output      json.RawMessage   `json:"output,omitempty"`
	Error       string            `json:"error,omitempty"`
	Cause       string            `json:"cause,omitempty"`
	Events      []json.RawMessage `json:"events,omitempty"`
}

func (a *app) run(ctx context.Context, path string, o runOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	def, problems := dsl.Load(data, dsl.Options{Filename: path, Format: dsl.FormatOfFile(path)})
	if def == nil {
		for _, p := range problems.Errors() {
			fmt.Fprintln(a.err, p.String())
		}
		return failedf("%s is not a valid definition", path)
	}
	input, err := a.readInput(o.input)
	if err != nil {
		return err
	}
	var m mocks
	if o.mockFile != "" {
		if m, err = loadMocks(o.mockFile); err != nil {
			return err
		}
	}
	tc, err := loadTestCase(path, o)
	if err != nil {
		return err
	}
	var clock interpreter.Clock
	var fast *fastclock.Clock
	if o.fastTime {
		fast = fastclock.New()
		clock = fast
	}
	hc, err := httptask.New(httptask.Config{})
	if err != nil {
		return err
	}
	mk := newMocker(m, def, hc)
	mk.testCase = tc
	if fast != nil {
		mk.sleep = fast.Sleep
	}
	if err := mk.check(); err != nil {
		return err
	}
	a.warnUnrunnable(def, mk.mocked)

	var st store.Store = memory.New()
	defer st.Close()
	if fast != nil {
		// Every task attempt is answered in this process (the
		// TaskInterceptor): the clock holds while one is open.
		st = fast.Watch(st)
	}
	eng := interpreter.New(interpreter.Config{Store: st, Clock: clock, TimerPoll: 50 * time.Millisecond,
		HTTP: hc, TaskInterceptor: mk.intercept})
	if err := eng.Start(ctx); err != nil {
		return err
	}
	defer eng.Stop()

	name := dsl.NameFromFile(path)
	if _, err := eng.PutStateMachine(ctx, name, data, dsl.FormatOfFile(path)); err != nil {
		return err
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: name, Name: "run", Input: input})
	if err != nil {
		if errors.Is(err, interpreter.ErrPayloadTooLarge) {
			return usageErrorf("--input: %v", err)
		}
		return err
	}
	if fast != nil {
		dctx, stopDriving := context.WithCancel(ctx)
		defer stopDriving()
		go fast.Drive(dctx, st, ex.ID)
	}

	wctx := ctx
	if o.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	ended, werr := eng.Wait(wctx, ex.ID)
	if werr != nil && ended == nil {
		return werr
	}
	res := runResult{ExecutionID: ended.ID, Status: ended.Status, Output: ended.Output, Error: ended.Error, Cause: ended.Cause}
	if o.history {
		events, err := eng.History(ctx, store.HistoryQuery{ID: ex.ID, Limit: 1 << 30})
		if err != nil {
			return err
		}
		for _, e := range events {
			res.Events = append(res.Events, json.RawMessage(e.Data))
		}
	}
	if werr != nil {
		// Still running: say so, with the history so far when asked for.
		res.Status = store.StatusRunning
	}
	if err := a.printRun(res, o.history); err != nil {
		return err
	}
	if werr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return failedf("the execution had not ended after %s (is an HTTP task waiting for its endpoint, or a Wait without --fast-time?)", o.timeout)
	}
	return outcome(ended.Status)
}

func (a *app) printRun(res runResult, history bool) error {
	if a.json() {
		return writeValue(a.out, res)
	}
	if history {
		if err := writeEvents(a.out, res.Events, false); err != nil {
			return err
		}
		fmt.Fprintln(a.out)
	}
	switch res.Status {
	case store.StatusSucceeded:
		return writeJSON(a.out, res.Output)
	case store.StatusRunning:
		fmt.Fprintln(a.out, "status: RUNNING")
		return nil
	}
	tw := newTable(a.out)
	fmt.Fprintf(tw, "status:\t%s\n", res.Status)
	fmt.Fprintf(tw, "error:\t%s\n", orDash(res.Error))
	fmt.Fprintf(tw, "cause:\t%s\n", orDash(res.Cause))
	return tw.Flush()
}

// warnUnrunnable says what the Task states without a mock will do if
// reached: a handler, an activity or a callback fails, an HTTP task makes
// its real call.
func (a *app) warnUnrunnable(def *dsl.Definition, mocked func(state string) bool) {
	tasks := def.Machine.TaskStates()
	for _, name := range sortedKeys(tasks) {
		s := tasks[name]
		if mocked(name) {
			continue
		}
		switch {
		case s.Task.Kind == dsl.HTTPTask && !s.Task.WaitForToken:
			fmt.Fprintf(a.err, "sfn run: note: state %q (%s) has no mock and makes its real HTTP call\n", name, s.Task.Resource)
		case s.Task.Kind == dsl.HandlerTask:
			fmt.Fprintf(a.err, "sfn run: note: state %q (%s) has no mock; if reached it fails with States.TaskFailed\n", name, s.Task.Resource)
		default:
			fmt.Fprintf(a.err, "sfn run: note: state %q (%s) has no mock and no worker or callback can reach sfn run; if reached it fails with States.TaskFailed\n", name, s.Task.Resource)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}
