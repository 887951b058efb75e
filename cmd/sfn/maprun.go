package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// mapRun is a Map Run as the API answers it (docs/api.md, Map Runs).
type mapRun struct {
	ID                         string       `json:"id"`
	ARN                        string       `json:"arn"`
	Label                      string       `json:"label"`
	ExecutionID                string       `json:"executionId"`
	ExecutionARN               string       `json:"executionArn"`
	StateMachine               string       `json:"stateMachine"`
	ChildStateMachine          string       `json:"childStateMachine"`
	Status                     string       `json:"status"`
	StartedAt                  string       `json:"startedAt"`
	StoppedAt                  string       `json:"stoppedAt,omitempty"`
	MaxConcurrency             int64        `json:"maxConcurrency"`
	ToleratedFailurePercentage float64      `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64        `json:"toleratedFailureCount"`
	ItemCounts                 mapRunCounts `json:"itemCounts"`
	ExecutionCounts            mapRunCounts `json:"executionCounts"`
	// Raw is the answer as the server wrote it, for --format json.
	Raw json.RawMessage `json:"-"`
}

type mapRunCounts struct {
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	TimedOut  int `json:"timedOut"`
	Aborted   int `json:"aborted"`
	Total     int `json:"total"`
}

// summary is the counts in one line, the statuses with none left out:
// "3 children: 1 running, 2 pending".
func (c mapRunCounts) summary(noun string) string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{c.Running, "running"}, {c.Pending, "pending"}, {c.Succeeded, "succeeded"}, {c.Failed, "failed"},
		{c.TimedOut, "timed out"}, {c.Aborted, "aborted"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	s := fmt.Sprintf("%d %s", c.Total, noun)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// progress is how many children ended, of all: "2/3 done".
func (c mapRunCounts) progress() string {
	return fmt.Sprintf("%d/%d done", c.Succeeded+c.Failed+c.TimedOut+c.Aborted, c.Total)
}

func newMapRunCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "map-run",
		Short: "Show and change the Map Runs of distributed Maps",
		Long: `A distributed Map (ProcessorConfig.Mode DISTRIBUTED) runs each item, or
batch of items, as a child execution of a Map Run. map-run shows an
execution's Map Runs, a Map Run with its counts, its child executions, and
changes a running Map Run's concurrency and tolerated failures.

A Map Run is named by its id (a UUID) or its ARN; its children by their
ids, <state machine>/<label>:<name>, which describe, history, stop and
redrive take as any other execution's.`,
		Example: `  sfn map-run list orders:nightly
  sfn map-run describe 9f3c1e2a-5b7d-4e8f-a1b2-c3d4e5f60718
  sfn map-run executions 9f3c1e2a-5b7d-4e8f-a1b2-c3d4e5f60718
  sfn map-run update 9f3c1e2a-5b7d-4e8f-a1b2-c3d4e5f60718 --max-concurrency 50`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown map-run command %q: use describe, list, executions or update", args[0])
			}
			return usageErrorf("usage: sfn map-run describe|list|executions|update …")
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(newMapRunDescribeCmd(a), newMapRunListCmd(a), newMapRunExecutionsCmd(a), newMapRunUpdateCmd(a))
	return cmd
}

func newMapRunDescribeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "describe ID|ARN",
		Short: "Show a Map Run: status, bounds, and its children counted by status",
		Args:  exactArgs(1, "ID|ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			m, err := c.getMapRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeMapRun(a.out, m, a.json())
		},
	}
}

func newMapRunListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list EXECUTION",
		Short: "List an execution's Map Runs, in the order they started",
		Args:  exactArgs(1, "EXECUTION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), request{method: http.MethodGet, path: "/v1/executions/" + pathEscape(args[0]) + "/map-runs"}, &raw); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.out, raw)
			}
			var page struct {
				MapRuns []mapRun `json:"mapRuns"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				return fmt.Errorf("unexpected answer: %w", err)
			}
			tw := newTable(a.out)
			fmt.Fprintln(tw, "MAP RUN\tLABEL\tSTATUS\tSTARTED\tSTOPPED\tCHILDREN")
			for _, m := range page.MapRuns {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Label, m.Status, orDash(m.StartedAt), orDash(m.StoppedAt),
					m.ExecutionCounts.progress())
			}
			return tw.Flush()
		},
	}
}

func newMapRunExecutionsCmd(a *app) *cobra.Command {
	var paging pageFlags
	cmd := &cobra.Command{
		Use:   "executions ID|ARN",
		Short: "List a Map Run's child executions, in item order",
		Args:  exactArgs(1, "ID|ARN [--limit N] [--cursor C]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return listExecutions(cmd.Context(), a, c, "/v1/map-runs/"+pathEscape(args[0])+"/executions", paging.query(), func(next string) string {
				return "(more: --cursor " + next + ")"
			})
		},
	}
	paging.add(cmd)
	return cmd
}

func newMapRunUpdateCmd(a *app) *cobra.Command {
	var concurrency, count int64
	var percentage float64
	cmd := &cobra.Command{
		Use:   "update ID|ARN [--max-concurrency N] [--tolerated-failure-percentage P] [--tolerated-failure-count C]",
		Short: "Change a running Map Run's concurrency and tolerated failures",
		Long: `update changes a running Map Run and prints it. A higher --max-concurrency
starts waiting children at once (0: as many as the server allows); a
tolerance that the failures so far exceed fails the Map Run. A Map Run that
ended cannot be changed.`,
		Example: `  sfn map-run update 9f3c1e2a-5b7d-4e8f-a1b2-c3d4e5f60718 --max-concurrency 50 --tolerated-failure-percentage 5`,
		Args:    exactArgs(1, "ID|ARN [--max-concurrency N] [--tolerated-failure-percentage P] [--tolerated-failure-count C]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			f := cmd.Flags()
			if f.Changed("max-concurrency") {
				body["maxConcurrency"] = concurrency
			}
			if f.Changed("tolerated-failure-percentage") {
				body["toleratedFailurePercentage"] = percentage
			}
			if f.Changed("tolerated-failure-count") {
				body["toleratedFailureCount"] = count
			}
			if len(body) == 0 {
				return usageErrorf("%s: give --max-concurrency, --tolerated-failure-percentage or --tolerated-failure-count", cmd.CommandPath())
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			data, _ := json.Marshal(body)
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), request{method: http.MethodPatch, path: "/v1/map-runs/" + pathEscape(args[0]),
				body: data, contentType: "application/json"}, &raw); err != nil {
				return err
			}
			m, err := decodeMapRun(raw)
			if err != nil {
				return err
			}
			return writeMapRun(a.out, m, a.json())
		},
	}
	f := cmd.Flags()
	f.Int64Var(&concurrency, "max-concurrency", 0, "children running at once at most (0: as many as the server allows)")
	f.Float64Var(&percentage, "tolerated-failure-percentage", 0, "percentage of failed children (0-100) the Map Run tolerates")
	f.Int64Var(&count, "tolerated-failure-count", 0, "number of failed children the Map Run tolerates")
	return cmd
}

func (c *client) getMapRun(ctx context.Context, id string) (*mapRun, error) {
	var raw json.RawMessage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/map-runs/" + pathEscape(id)}, &raw); err != nil {
		return nil, err
	}
	return decodeMapRun(raw)
}

func decodeMapRun(raw json.RawMessage) (*mapRun, error) {
	var m mapRun
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("unexpected answer: %w", err)
	}
	m.Raw = raw
	return &m, nil
}

// writeMapRun prints a Map Run: as the server's JSON, or as fields.
func writeMapRun(w io.Writer, m *mapRun, asJSON bool) error {
	if asJSON {
		return writeJSON(w, m.Raw)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Map Run:\t%s\n", m.ARN)
	fmt.Fprintf(tw, "Id:\t%s\n", m.ID)
	fmt.Fprintf(tw, "Execution:\t%s\n", m.ExecutionID)
	fmt.Fprintf(tw, "Label:\t%s (children run %s)\n", m.Label, m.ChildStateMachine)
	fmt.Fprintf(tw, "Status:\t%s\n", m.Status)
	fmt.Fprintf(tw, "Started:\t%s\n", orDash(m.StartedAt))
	if m.StoppedAt != "" {
		fmt.Fprintf(tw, "Stopped:\t%s\n", m.StoppedAt)
	}
	conc := strconv.FormatInt(m.MaxConcurrency, 10)
	if m.MaxConcurrency == 0 {
		conc = "no limit"
	}
	fmt.Fprintf(tw, "Max concurrency:\t%s\n", conc)
	fmt.Fprintf(tw, "Tolerated failures:\t%s%% or %d children\n", strconv.FormatFloat(m.ToleratedFailurePercentage, 'f', -1, 64), m.ToleratedFailureCount)
	fmt.Fprintf(tw, "Children:\t%s\n", m.ExecutionCounts.summary("in all"))
	if err := tw.Flush(); err != nil {
		return err
	}
	// The counts as a table too: one column per status, for the eye.
	fmt.Fprintln(w)
	tw = newTable(w)
	c := m.ExecutionCounts
	fmt.Fprintln(tw, "PENDING\tRUNNING\tSUCCEEDED\tFAILED\tTIMED_OUT\tABORTED\tTOTAL")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\n", c.Pending, c.Running, c.Succeeded, c.Failed, c.TimedOut, c.Aborted, c.Total)
	return tw.Flush()
}
