package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/interpreter/teststate"
)

// testStateOptions are the flags of sfn test-state.
type testStateOptions struct {
	state, input, variables, context   string
	mockResult, mockError, mockCause   string
	fieldValidation                    string
	level                              string
	reveal                             bool
	retries, mapFailures               int
	errorCausedBy, readerData, roleArn string
	httpAllow                          []string
	connections                        string
}

func newTestStateCmd(a *app) *cobra.Command {
	var o testStateOptions
	cmd := &cobra.Command{
		Use:   "test-state FILE",
		Short: "Run one state of a definition, as AWS's TestState API does, and print its answer",
		Long: `test-state runs one state in this process, with no server and no execution,
and prints what AWS's TestState API answers: the status (SUCCEEDED, FAILED,
RETRIABLE when a Retrier would retry, CAUGHT_ERROR when a Catcher matched),
the next state, the output or the error and cause, and with
--inspection-level DEBUG each stage of the data flow (InputPath,
Parameters or Arguments, the result, ResultSelector, ResultPath), the
variables after the state's Assign and the Retrier's or Catcher's index;
TRACE adds an HTTP Task's request and response.

FILE is a state machine (its state --state is tested, StartAt by default;
a state inside a Map or Parallel may be named too) or a single state (an
object with Type).

A Task's work is mocked with --mock-result (its result) or --mock-error and
--mock-cause (its error); without a mock an http:invoke Task makes its real
call (--http-allow and --connections apply, as for sfn serve; what a
connection adds is shown redacted unless --reveal-secrets). Handlers,
activities, callbacks and child executions need a mock. A Map or Parallel
needs one too: the mocked result is the array of iteration or branch
outputs, and is not run.

--retrier-retry-count says how many retries the matching Retrier has made
(RETRIABLE until it is exhausted, with the back-off of the next retry);
--map-iteration-failure-count how many iterations of a Map failed (against
its ToleratedFailureCount or Percentage); --map-item-reader-data the items
a distributed Map's ItemReader reads (JSON or JSON Lines).

--input, --variables, --context, --mock-result and --map-item-reader-data
take JSON text, @FILE, or @- for standard input.

Exit status: 0 when the state was tested and did not fail (SUCCEEDED,
RETRIABLE, CAUGHT_ERROR), 1 when it FAILED or FILE is not a valid
definition, 2 for a request that cannot be tested.`,
		Example: `  sfn test-state order.yaml --state ChargePayment --input '{"total": 12}' --mock-result '{"chargeId": "ch-1"}' --inspection-level DEBUG
  sfn test-state order.yaml --state ChargePayment --mock-error Payment.Unavailable --mock-cause 'try later' --retrier-retry-count 2
  sfn test-state check-stock.json --input @order.json --inspection-level TRACE --connections connections.json`,
		Args: exactArgs(1, "FILE [--state NAME] [--input JSON|@file] [--mock-result JSON | --mock-error E --mock-cause C] [--inspection-level INFO|DEBUG|TRACE] ..."),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.testState(cmd.Context(), args[0], o, cmd.Flags().Changed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.state, "state", "", "the state of FILE's state machine to test (default: StartAt); none for a FILE of one state")
	f.StringVar(&o.input, "input", "", "the state's input: JSON text, @FILE or @- (default {})")
	f.StringVar(&o.variables, "variables", "", "the variables in scope: a JSON object, @FILE or @-")
	f.StringVar(&o.context, "context", "", "the context object ($$): a JSON object, @FILE or @- (default: one for an execution started now)")
	f.StringVar(&o.mockResult, "mock-result", "", "the Task's (or Map's, Parallel's) result instead of its work: JSON text, @FILE or @-")
	f.StringVar(&o.mockError, "mock-error", "", "the error the state's work fails with instead (with --mock-cause)")
	f.StringVar(&o.mockCause, "mock-cause", "", "the cause of --mock-error")
	f.StringVar(&o.fieldValidation, "field-validation-mode", "", "how strictly --mock-result is checked: STRICT (default), PRESENT or NONE")
	f.StringVar(&o.level, "inspection-level", "INFO", "INFO, DEBUG (the data flow) or TRACE (and an HTTP Task's request and response)")
	f.BoolVar(&o.reveal, "reveal-secrets", false, "show what a connection adds to an HTTP request (its credentials) at TRACE")
	f.IntVar(&o.retries, "retrier-retry-count", 0, "how many retries the Retrier that matches the error has made")
	f.StringVar(&o.errorCausedBy, "error-caused-by-state", "", "the state inside the Map or Parallel that --mock-error comes from")
	f.IntVar(&o.mapFailures, "map-iteration-failure-count", 0, "how many iterations of the Map failed")
	f.StringVar(&o.readerData, "map-item-reader-data", "", "the items a distributed Map's ItemReader reads: JSON text, @FILE or @-")
	f.StringVar(&o.roleArn, "role-arn", "", "accepted as AWS does, and only shown in $$.Execution.RoleArn")
	f.StringSliceVar(&o.httpAllow, "http-allow", nil, "hosts (name, *.domain) or CIDRs an unmocked HTTP Task may call (as sfn serve's)")
	f.StringVar(&o.connections, "connections", "", "JSON file of named HTTP task connections (as sfn serve's --connections)")
	_ = cmd.RegisterFlagCompletionFunc("inspection-level", cobra.FixedCompletions([]string{"INFO", "DEBUG", "TRACE"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("field-validation-mode", cobra.FixedCompletions([]string{"STRICT", "PRESENT", "NONE"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) testState(ctx context.Context, path string, o testStateOptions, changed func(string) bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	req := teststate.Request{Definition: string(data), StateName: o.state, RoleArn: o.roleArn,
		InspectionLevel: teststate.InspectionLevel(strings.ToUpper(o.level)), RevealSecrets: o.reveal}
	for _, f := range []struct {
		flag string
		dst  *string
		arg  string
	}{
		{"--input", &req.Input, o.input}, {"--variables", &req.Variables, o.variables}, {"--context", &req.Context, o.context},
	} {
		if *f.dst, err = a.jsonArg(f.flag, f.arg); err != nil {
			return err
		}
	}
	if o.mockResult != "" && (o.mockError != "" || o.mockCause != "") {
		return usageErrorf("--mock-result and --mock-error/--mock-cause are exclusive: the state's work either returns or fails")
	}
	switch {
	case o.mockResult != "":
		result, err := a.jsonArg("--mock-result", o.mockResult)
		if err != nil {
			return err
		}
		req.Mock = &teststate.Mock{Result: result}
	case o.mockError != "" || o.mockCause != "":
		req.Mock = &teststate.Mock{ErrorOutput: &teststate.MockErrorOutput{Error: o.mockError, Cause: o.mockCause}}
	}
	if o.fieldValidation != "" {
		if req.Mock == nil {
			return usageErrorf("--field-validation-mode applies to --mock-result")
		}
		req.Mock.FieldValidationMode = teststate.FieldValidationMode(strings.ToUpper(o.fieldValidation))
	}
	readerData, err := a.jsonArg("--map-item-reader-data", o.readerData)
	if err != nil {
		return err
	}
	if changed("retrier-retry-count") || changed("map-iteration-failure-count") || o.errorCausedBy != "" || readerData != "" {
		req.StateConfiguration = &teststate.StateConfiguration{RetrierRetryCount: o.retries, MapIterationFailureCount: o.mapFailures,
			ErrorCausedByState: o.errorCausedBy, MapItemReaderData: readerData}
	}
	log := slog.New(slog.NewTextHandler(a.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	hc, err := httpTaskClient(&serveOptions{httpAllow: o.httpAllow, connections: o.connections, getenv: a.getenv}, log)
	if err != nil {
		return err
	}
	ans, err := teststate.Run(ctx, req, teststate.Options{HTTP: hc})
	var ve *teststate.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Problems) > 0:
		for _, p := range ve.Problems {
			p.File = path
			fmt.Fprintln(a.err, p.String())
		}
		return failedf("%s is not a valid definition", path)
	case errors.As(err, &ve):
		return usageErrorf("%s: %s", flagOf(ve.Field), ve.Message)
	case err != nil:
		return err
	}
	if a.json() {
		if err := writeValue(a.out, ans); err != nil {
			return err
		}
	} else if err := writeTestState(a.out, ans); err != nil {
		return err
	}
	if ans.Status == teststate.Failed {
		return quietExit(exitFailed)
	}
	return nil
}

// jsonArg reads a flag's JSON text, @FILE or @- (standard input); "" is
// absent. teststate checks the JSON, and names the field at fault.
func (a *app) jsonArg(flag, arg string) (string, error) {
	data, err := a.readArg(flag, arg)
	return string(data), err
}

// flagOf names the flag that sets a TestState request field.
func flagOf(field string) string {
	switch field {
	case "stateName":
		return "--state"
	case "mock", "mock.result":
		return "--mock-result/--mock-error"
	case "mock.fieldValidationMode":
		return "--field-validation-mode"
	case "definition":
		return "FILE"
	}
	field = strings.TrimPrefix(field, "stateConfiguration.")
	var b strings.Builder
	b.WriteString("--")
	for _, r := range field {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeTestState prints an answer for people: the outcome, then the
// inspection data, one stage a line (JSON compact), and an HTTP call as
// its request and response.
func writeTestState(w io.Writer, ans *teststate.Answer) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "status:\t%s\n", ans.Status)
	if ans.Error != "" || ans.Cause != "" {
		fmt.Fprintf(tw, "error:\t%s\n", orDash(ans.Error))
		fmt.Fprintf(tw, "cause:\t%s\n", orDash(ans.Cause))
	}
	if ans.NextState != "" {
		fmt.Fprintf(tw, "next state:\t%s\n", ans.NextState)
	}
	if ans.Output != "" {
		fmt.Fprintf(tw, "output:\t%s\n", ans.Output)
	}
	ins := ans.InspectionData
	if ins == nil {
		return tw.Flush()
	}
	if d := ins.ErrorDetails; d != nil {
		if d.RetryIndex != nil {
			line := "Retry #" + strconv.Itoa(*d.RetryIndex)
			if d.RetryBackoffIntervalSeconds != nil {
				line += fmt.Sprintf(", next attempt in %d s", *d.RetryBackoffIntervalSeconds)
			} else {
				line += ", exhausted"
			}
			fmt.Fprintf(tw, "retrier:\t%s\n", line)
		}
		if d.CatchIndex != nil {
			fmt.Fprintf(tw, "catcher:\tCatch #%d\n", *d.CatchIndex)
		}
	}
	fmt.Fprintln(tw)
	for _, f := range []struct{ name, v string }{
		{"input", ins.Input}, {"afterInputPath", ins.AfterInputPath}, {"afterItemsPath", ins.AfterItemsPath},
		{"afterItemSelector", ins.AfterItemSelector}, {"afterItemBatcher", ins.AfterItemBatcher},
		{"afterParameters", ins.AfterParameters}, {"afterArguments", ins.AfterArguments}, {"result", ins.Result},
		{"afterResultSelector", ins.AfterResultSelector}, {"afterResultPath", ins.AfterResultPath}, {"variables", ins.Variables},
	} {
		if f.v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f.name, f.v)
		}
	}
	if ins.MaxConcurrency != nil {
		fmt.Fprintf(tw, "maxConcurrency:\t%d\n", *ins.MaxConcurrency)
	}
	if ins.ToleratedFailureCount != nil {
		fmt.Fprintf(tw, "toleratedFailureCount:\t%d\n", *ins.ToleratedFailureCount)
	}
	if ins.ToleratedFailurePercentage != nil {
		fmt.Fprintf(tw, "toleratedFailurePercentage:\t%g\n", *ins.ToleratedFailurePercentage)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r := ins.Request; r != nil {
		fmt.Fprintf(w, "\nrequest:\n  %s %s %s\n", r.Method, r.URL, r.Protocol)
		writeHTTPPart(w, r.Headers, r.Body)
	}
	if r := ins.Response; r != nil {
		fmt.Fprintf(w, "\nresponse:\n  %s %s %s\n", r.Protocol, r.StatusCode, r.StatusMessage)
		writeHTTPPart(w, r.Headers, r.Body)
	}
	return nil
}

func writeHTTPPart(w io.Writer, headers, body string) {
	for _, line := range strings.Split(headers, "\n") {
		if line != "" {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	if body != "" {
		fmt.Fprintf(w, "\n  %s\n", body)
	}
}
