package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newStartCmd(a *app) *cobra.Command {
	var input, name, testCase string
	var version int
	var wait bool
	cmd := &cobra.Command{
		Use:   "start NAME",
		Short: "Start an execution of a state machine",
		Long: `start starts an execution of the state machine NAME and prints it.

With --wait it follows the execution live, one line per state entered, and
exits with its outcome: 0 when it SUCCEEDED, 1 otherwise.

With --test-case it runs with that test case of the server's mock
configuration (sfn serve --mock-config): the states the test case names get
its mocked answers instead of making their calls.`,
		Example: `  sfn start hello --input '{"name": "Ada"}' --wait`,
		Args:    exactArgs(1, "NAME [--input JSON|@file] [--name N] [--test-case T] [--wait]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := a.readInput(input)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{}
			if name != "" {
				body["name"] = name
			}
			if in != nil {
				body["input"] = in
			}
			if version > 0 {
				body["version"] = version
			}
			if testCase != "" {
				body["testCase"] = testCase
			}
			data, _ := json.Marshal(body)
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), request{method: http.MethodPost, path: "/v1/state-machines/" + pathEscape(args[0]) + "/executions",
				body: data, contentType: "application/json"}, &raw); err != nil {
				return err
			}
			var ex execution
			if err := json.Unmarshal(raw, &ex); err != nil {
				return fmt.Errorf("unexpected answer: %w", err)
			}
			if !wait {
				return writeExecution(a.out, &ex, raw, a.json())
			}
			return a.waitFor(cmd.Context(), c, ex.ExecutionID)
		},
	}
	f := cmd.Flags()
	f.StringVar(&input, "input", "", "execution input: JSON text, @FILE, or @- for standard input (default {})")
	f.StringVar(&name, "name", "", "execution name, for an idempotent start (default: a new UUID)")
	f.IntVar(&version, "version", 0, "run this version (default: the latest)")
	f.BoolVar(&wait, "wait", false, "follow the execution until it ends, one line per state entered")
	f.StringVar(&testCase, "test-case", "", "run with this test case of the server's mock configuration (sfn serve --mock-config)")
	return cmd
}

// waitFor follows an execution to its end, printing one line per state
// entered, then prints the execution and returns its outcome.
func (a *app) waitFor(ctx context.Context, c *client, id string) error {
	progress := a.out
	if a.json() {
		progress = a.err // keep standard output one JSON document
	}
	fmt.Fprintf(progress, "Execution %s\n", id)
	err := c.follow(ctx, id, func(raw json.RawMessage) error {
		writeProgress(progress, raw)
		return nil
	})
	if err != nil && (isCode(err, "NotFound") || isCode(err, "MethodNotAllowed")) {
		// A server without the event stream: poll instead.
		err = pollUntilEnded(ctx, c, id)
	}
	if err != nil {
		return err
	}
	ex, raw, err := c.getExecution(ctx, id)
	if err != nil {
		return err
	}
	if !a.json() {
		fmt.Fprintln(a.out)
	}
	if err := writeExecution(a.out, ex, raw, a.json()); err != nil {
		return err
	}
	return outcome(ex.Status)
}

// writeProgress prints a line for each state entered and for the end.
func writeProgress(w io.Writer, raw json.RawMessage) {
	var h eventHead
	if json.Unmarshal(raw, &h) != nil {
		return
	}
	at := h.Timestamp
	if t, err := time.Parse(time.RFC3339Nano, h.Timestamp); err == nil {
		at = t.Format("15:04:05.000")
	}
	switch {
	case strings.HasSuffix(h.Type, "StateEntered"):
		fmt.Fprintf(w, "%s  %s (%s)\n", at, h.Name, strings.TrimSuffix(h.Type, "StateEntered"))
	case h.Type == "ExecutionRedriven":
		fmt.Fprintf(w, "%s  redriven\n", at)
	case isFinalEvent(h.Type):
		line := strings.ToUpper(strings.TrimPrefix(h.Type, "Execution"))
		if h.Error != "" {
			line += ": " + h.Error
		}
		fmt.Fprintf(w, "%s  %s\n", at, line)
	}
}

func pollUntilEnded(ctx context.Context, c *client, id string) error {
	for {
		ex, _, err := c.getExecution(ctx, id)
		if err != nil {
			return err
		}
		if ex.Status != "RUNNING" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func newDescribeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "describe ID",
		Short: "Show an execution: status, input, output, error",
		Args:  exactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ex, raw, err := c.getExecution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeExecution(a.out, ex, raw, a.json())
		},
	}
}

func newExecutionsCmd(a *app) *cobra.Command {
	var status string
	var limit int
	cmd := &cobra.Command{
		Use:   "executions [NAME]",
		Short: "List executions, newest first (of one state machine, with a status)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("usage: sfn executions [NAME] [--status S]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if len(args) == 1 {
				q.Set("stateMachine", args[0])
			}
			if status != "" {
				q.Set("status", strings.ToUpper(status))
			}
			return listExecutions(cmd.Context(), a, c, "/v1/executions", q, func(string) string {
				return fmt.Sprintf("(more than %d; use --limit)", limit)
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many (1-1000)")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(
		[]string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newStopCmd(a *app) *cobra.Command {
	var errName, cause string
	cmd := &cobra.Command{
		Use:   "stop ID",
		Short: "Stop a running execution (it ends ABORTED)",
		Args:  exactArgs(1, "ID [--error E] [--cause C]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]string{}
			if errName != "" {
				body["error"] = errName
			}
			if cause != "" {
				body["cause"] = cause
			}
			data, _ := json.Marshal(body)
			return a.executionAction(cmd.Context(), args[0], "stop", data)
		},
	}
	cmd.Flags().StringVar(&errName, "error", "", "error name to record")
	cmd.Flags().StringVar(&cause, "cause", "", "cause to record")
	return cmd
}

func newRedriveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "redrive ID",
		Short: "Resume a FAILED, TIMED_OUT or ABORTED execution from the state that did not succeed",
		Args:  exactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.executionAction(cmd.Context(), args[0], "redrive", nil)
		},
	}
}

func (a *app) executionAction(ctx context.Context, id, action string, body []byte) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	r := request{method: http.MethodPost, path: "/v1/executions/" + pathEscape(id) + "/" + action}
	if body != nil {
		r.body, r.contentType = body, "application/json"
	}
	var raw json.RawMessage
	if _, err := c.do(ctx, r, &raw); err != nil {
		return err
	}
	var ex execution
	if err := json.Unmarshal(raw, &ex); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	return writeExecution(a.out, &ex, raw, a.json())
}

// listExecutions prints one page of executions from path (a table, or the
// page as JSON); more says what to do for the next page, when there is one.
func listExecutions(ctx context.Context, a *app, c *client, path string, q url.Values, more func(next string) string) error {
	var page struct {
		Executions []execution `json:"executions"`
		NextCursor string      `json:"nextCursor,omitempty"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &page); err != nil {
		return err
	}
	if a.json() {
		if page.Executions == nil {
			page.Executions = []execution{}
		}
		return writeValue(a.out, page)
	}
	tw := newTable(a.out)
	fmt.Fprintln(tw, "EXECUTION\tSTATUS\tSTARTED\tSTOPPED")
	for _, ex := range page.Executions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ex.ExecutionID, ex.Status, orDash(ex.StartedAt), orDash(ex.StoppedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintln(a.err, more(page.NextCursor))
	}
	return nil
}
