package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// scheduleAnswer is a schedule as the API answers it (docs/schedules.md).
type scheduleAnswer struct {
	Name   string `json:"name"`
	Target struct {
		StateMachine     string `json:"stateMachine"`
		Version          int    `json:"version"`
		PublishedVersion int    `json:"publishedVersion"`
		Alias            string `json:"alias"`
	} `json:"target"`
	Input              json.RawMessage `json:"input"`
	Expression         string          `json:"expression"`
	Timezone           string          `json:"timezone"`
	StartDate          string          `json:"startDate"`
	EndDate            string          `json:"endDate"`
	State              string          `json:"state"`
	FlexibleTimeWindow struct {
		Mode                   string `json:"mode"`
		MaximumWindowInMinutes int    `json:"maximumWindowInMinutes"`
	} `json:"flexibleTimeWindow"`
	OverlapPolicy        string           `json:"overlapPolicy"`
	CatchupWindowSeconds int              `json:"catchupWindowSeconds"`
	Description          string           `json:"description"`
	CreatedAt            string           `json:"createdAt"`
	UpdatedAt            string           `json:"updatedAt"`
	Paused               bool             `json:"paused"`
	Note                 string           `json:"note"`
	PausedAt             string           `json:"pausedAt"`
	NextSlot             string           `json:"nextSlot"`
	NextFireAt           string           `json:"nextFireAt"`
	Fired                int64            `json:"fired"`
	Skipped              map[string]int64 `json:"skipped"`
	Queued               []scheduleSlot   `json:"queued"`
	Buffered             []scheduleSlot   `json:"buffered"`
	Recent               []struct {
		Slot        string `json:"slot"`
		Kind        string `json:"kind"`
		ExecutionID string `json:"executionId"`
		StartedAt   string `json:"startedAt"`
		Node        string `json:"node"`
		Existing    bool   `json:"existing"`
		Stopped     string `json:"stoppedExecutionId"`
	} `json:"recentExecutions"`
	LastError   string `json:"lastError"`
	LastErrorAt string `json:"lastErrorAt"`
}

type scheduleSlot struct {
	Slot          string `json:"slot"`
	Kind          string `json:"kind"`
	ExecutionName string `json:"executionName"`
}

// target is the schedule's target in one word: sm, sm:v3 (a revision),
// sm#2 (a published version), sm@alias.
func (s *scheduleAnswer) target() string {
	t := s.Target
	switch {
	case t.Alias != "":
		return t.StateMachine + "@" + t.Alias
	case t.PublishedVersion != 0:
		return fmt.Sprintf("%s#%d", t.StateMachine, t.PublishedVersion)
	case t.Version != 0:
		return fmt.Sprintf("%s:v%d", t.StateMachine, t.Version)
	}
	return t.StateMachine
}

// status is ENABLED, DISABLED or PAUSED.
func (s *scheduleAnswer) status() string {
	if s.Paused {
		return "PAUSED"
	}
	return s.State
}

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Start executions on a schedule (cron, rate, at)",
		Long: `A schedule starts executions of a state machine on an expression in
EventBridge Scheduler's syntax, in a time zone: cron(minutes hours
day-of-month month day-of-week year), rate(value unit) or
at(yyyy-mm-ddThh:mm:ss). Each slot starts one execution, named
<schedule>-<slot in UTC as 20060102T150405Z>, on whichever node holds the
schedule. Schedules need the admin role. See docs/schedules.md.`,
		Example: `  sfn schedule create nightly --state-machine report --expression 'cron(0 2 * * ? *)' --timezone Europe/Oslo --input '{"kind":"daily"}'
  sfn schedule ls
  sfn schedule show nightly
  sfn schedule pause nightly --note "auditors asked"
  sfn schedule backfill nightly --from 2025-01-01T00:00:00Z --to 2025-01-07T00:00:00Z`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown schedule command %q: use create, ls, show, pause, resume, trigger, backfill or rm", args[0])
			}
			return usageErrorf("usage: sfn schedule create|ls|show|pause|resume|trigger|backfill|rm …")
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(newScheduleCreateCmd(a), newScheduleLsCmd(a), newScheduleShowCmd(a), newSchedulePauseCmd(a),
		newScheduleResumeCmd(a), newScheduleTriggerCmd(a), newScheduleBackfillCmd(a), newScheduleRmCmd(a))
	return cmd
}

func newScheduleCreateCmd(a *app) *cobra.Command {
	var sm, alias, expr, tz, input, start, end, overlap, description, flexible string
	var version, published int
	var disabled bool
	var catchup time.Duration
	cmd := &cobra.Command{
		Use:   "create NAME --state-machine SM --expression EXPR [flags]",
		Short: "Create a schedule, or replace the one of that name",
		Long: `create defines the schedule NAME (1-63 characters of A-Z a-z 0-9 _ -) and
prints it. A replaced schedule keeps its counters, pause and queued
fires; its new expression applies from now on. Every problem is listed
with its field.`,
		Example: `  sfn schedule create nightly --state-machine report --expression 'cron(0 2 * * ? *)' --timezone Europe/Oslo
  sfn schedule create poll --state-machine sync --alias live --expression 'rate(5 minutes)' --overlap SKIP
  sfn schedule create once --state-machine launch --expression 'at(2027-01-01T09:00:00)' --timezone America/New_York --input @launch.json`,
		Args: exactArgs(1, "NAME --state-machine SM --expression EXPR [flags]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if sm == "" || expr == "" {
				return usageErrorf("%s: give --state-machine and --expression", cmd.CommandPath())
			}
			target := map[string]any{"stateMachine": sm}
			if version != 0 {
				target["version"] = version
			}
			if published != 0 {
				target["publishedVersion"] = published
			}
			if alias != "" {
				target["alias"] = alias
			}
			body := map[string]any{"target": target, "expression": expr}
			in, err := a.readInput(input)
			if err != nil {
				return err
			}
			if in != nil {
				body["input"] = in
			}
			for key, v := range map[string]string{"timezone": tz, "startDate": start, "endDate": end, "overlapPolicy": strings.ToUpper(overlap), "description": description} {
				if v != "" {
					body[key] = v
				}
			}
			if disabled {
				body["state"] = "DISABLED"
			}
			if flexible != "" {
				d, err := time.ParseDuration(flexible)
				if err != nil || d < time.Minute || d%time.Minute != 0 {
					return usageErrorf("--flexible-window %q: whole minutes, as 15m", flexible)
				}
				body["flexibleTimeWindow"] = map[string]any{"mode": "FLEXIBLE", "maximumWindowInMinutes": int(d / time.Minute)}
			}
			if catchup != 0 {
				if catchup%time.Second != 0 {
					return usageErrorf("--catchup %s: whole seconds", catchup)
				}
				body["catchupWindowSeconds"] = int(catchup / time.Second)
			}
			return a.problems(a.scheduleCall(cmd.Context(), http.MethodPut, args[0], "", body))
		},
	}
	f := cmd.Flags()
	f.StringVar(&sm, "state-machine", "", "the state machine to start (a STANDARD one)")
	f.IntVar(&version, "version", 0, "start this version (revision) of it")
	f.IntVar(&published, "published-version", 0, "start this published version of it")
	f.StringVar(&alias, "alias", "", "start through this alias of it")
	f.StringVar(&expr, "expression", "", "cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)")
	f.StringVar(&tz, "timezone", "", "IANA time zone of the expression, as Europe/Oslo (default UTC)")
	f.StringVar(&input, "input", "", "the executions' input: JSON, @FILE or @- (default {})")
	f.StringVar(&start, "start-date", "", "no slot before this time (RFC 3339); a rate counts from it")
	f.StringVar(&end, "end-date", "", "no slot at or after this time (RFC 3339)")
	f.BoolVar(&disabled, "disabled", false, "create it DISABLED (its slots are skipped)")
	f.StringVar(&flexible, "flexible-window", "", "fire each slot up to this late, at a delay derived from the name and slot (whole minutes, up to 24h)")
	f.StringVar(&overlap, "overlap", "", "while its last execution runs: SKIP, BUFFER_ONE, BUFFER_ALL, ALLOW_ALL (default), CANCEL_OTHER or TERMINATE_OTHER")
	f.DurationVar(&catchup, "catchup", 0, "fire slots missed while no node ran when at most this old (default: the server's, 5m)")
	f.StringVar(&description, "description", "", "what the schedule is for")
	return cmd
}

// problems prints a ValidationError's problems, one a line with its field.
func (a *app) problems(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && len(ae.Details) > 0 {
		for _, d := range ae.Details {
			fmt.Fprintf(a.err, "%s: %s\n", d.Path, d.Message)
		}
		return failedf("the schedule is invalid (%d problems)", len(ae.Details))
	}
	return err
}

func newScheduleLsCmd(a *app) *cobra.Command {
	var paging pageFlags
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List schedules with their next fire times",
		Args:  exactArgs(0, "[--limit N] [--cursor C]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), request{method: http.MethodGet, path: "/v1/schedules", query: paging.query()}, &raw); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.out, raw)
			}
			var page struct {
				Schedules  []scheduleAnswer `json:"schedules"`
				NextCursor string           `json:"nextCursor"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				return fmt.Errorf("unexpected answer: %w", err)
			}
			tw := newTable(a.out)
			fmt.Fprintln(tw, "NAME\tEXPRESSION\tTIMEZONE\tTARGET\tSTATUS\tNEXT FIRE\tFIRED\tSKIPPED")
			for _, s := range page.Schedules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", s.Name, s.Expression, s.Timezone, s.target(), s.status(),
					orDash(s.NextFireAt), s.Fired, total(s.Skipped))
			}
			if page.NextCursor != "" {
				fmt.Fprintf(tw, "(more: --cursor %s)\n", page.NextCursor)
			}
			return tw.Flush()
		},
	}
	paging.add(cmd)
	return cmd
}

func total(m map[string]int64) int64 {
	n := int64(0)
	for _, v := range m {
		n += v
	}
	return n
}

func newScheduleShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a schedule: its definition, next fire, counters and the executions it started",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.scheduleCall(cmd.Context(), http.MethodGet, args[0], "", nil)
		},
	}
}

func newSchedulePauseCmd(a *app) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "pause NAME [--note TEXT]",
		Short: "Pause a schedule: its slots are skipped until resume",
		Args:  exactArgs(1, "NAME [--note TEXT]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.scheduleCall(cmd.Context(), http.MethodPost, args[0], "/pause", map[string]any{"note": note})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why it is paused (shown with it)")
	return cmd
}

func newScheduleResumeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "resume NAME",
		Short: "Resume a paused schedule (the slots that passed stay skipped)",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.scheduleCall(cmd.Context(), http.MethodPost, args[0], "/resume", nil)
		},
	}
}

func newScheduleTriggerCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "trigger NAME",
		Short: "Fire a schedule now, once",
		Long:  "trigger queues a fire for the current second and prints the execution it starts (within a second, on the node that holds the schedule).",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.scheduleQueue(cmd.Context(), args[0], "/trigger", nil)
		},
	}
}

func newScheduleBackfillCmd(a *app) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "backfill NAME --from TIME --to TIME",
		Short: "Fire a schedule's slots of a past time range",
		Long: `backfill fires the slots of the schedule's expression from --from to --to
(RFC 3339, both included; at most 1,000 slots), oldest first, under its
overlap policy. A slot that fired before finds its execution: nothing runs
twice.`,
		Args: exactArgs(1, "NAME --from TIME --to TIME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageErrorf("%s: give --from and --to (RFC 3339, as 2025-01-01T00:00:00Z)", cmd.CommandPath())
			}
			for flag, v := range map[string]string{"--from": from, "--to": to} {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					return usageErrorf("%s %q: an RFC 3339 time, as 2025-01-01T00:00:00Z", flag, v)
				}
			}
			return a.scheduleQueue(cmd.Context(), args[0], "/backfill", map[string]any{"from": from, "to": to})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the range's start (RFC 3339)")
	cmd.Flags().StringVar(&to, "to", "", "the range's end (RFC 3339), in the past")
	return cmd
}

func newScheduleRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a schedule (the executions it started go on)",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.scheduleSend(cmd.Context(), http.MethodDelete, args[0], "", nil); err != nil {
				return err
			}
			if !a.json() {
				fmt.Fprintf(a.out, "deleted schedule %s\n", args[0])
			}
			return nil
		},
	}
}

// scheduleSend makes a call on /v1/schedules/NAME followed by suffix, with
// body as JSON when not nil, and returns the answer as the server wrote it.
func (a *app) scheduleSend(ctx context.Context, method, name, suffix string, body any) (json.RawMessage, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	r := request{method: method, path: "/v1/schedules/" + pathEscape(name) + suffix}
	if body != nil {
		r.body, _ = json.Marshal(body)
		r.contentType = "application/json"
	}
	var raw json.RawMessage
	if _, err := c.do(ctx, r, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// scheduleCall makes a call that answers a schedule and prints it.
func (a *app) scheduleCall(ctx context.Context, method, name, suffix string, body any) error {
	raw, err := a.scheduleSend(ctx, method, name, suffix, body)
	if err != nil {
		return err
	}
	return a.writeSchedule(raw)
}

// scheduleQueue makes a trigger or backfill call and prints the slots queued.
func (a *app) scheduleQueue(ctx context.Context, name, suffix string, body any) error {
	raw, err := a.scheduleSend(ctx, http.MethodPost, name, suffix, body)
	if err != nil {
		return err
	}
	if a.json() {
		return writeJSON(a.out, raw)
	}
	var ans struct {
		Queued   []scheduleSlot `json:"queued"`
		Schedule scheduleAnswer `json:"schedule"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	tw := newTable(a.out)
	fmt.Fprintln(tw, "SLOT\tKIND\tEXECUTION")
	for _, q := range ans.Queued {
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\n", q.Slot, q.Kind, ans.Schedule.Target.StateMachine, q.ExecutionName)
	}
	return tw.Flush()
}

func (a *app) writeSchedule(raw json.RawMessage) error {
	if a.json() {
		return writeJSON(a.out, raw)
	}
	var s scheduleAnswer
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	return writeScheduleFields(a.out, &s)
}

func writeScheduleFields(w io.Writer, s *scheduleAnswer) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "Schedule:\t%s\n", s.Name)
	if s.Description != "" {
		fmt.Fprintf(tw, "Description:\t%s\n", s.Description)
	}
	fmt.Fprintf(tw, "Target:\t%s\n", s.target())
	fmt.Fprintf(tw, "Expression:\t%s in %s\n", s.Expression, s.Timezone)
	if s.StartDate != "" || s.EndDate != "" {
		fmt.Fprintf(tw, "Between:\t%s and %s\n", orDash(s.StartDate), orDash(s.EndDate))
	}
	status := s.status()
	if s.Paused && s.Note != "" {
		status += " (" + s.Note + ")"
	}
	fmt.Fprintf(tw, "Status:\t%s\n", status)
	window := "off"
	if s.FlexibleTimeWindow.Mode == "FLEXIBLE" {
		window = fmt.Sprintf("%d minutes", s.FlexibleTimeWindow.MaximumWindowInMinutes)
	}
	fmt.Fprintf(tw, "Overlap:\t%s, catch-up %s, flexible window %s\n", s.OverlapPolicy, time.Duration(s.CatchupWindowSeconds)*time.Second, window)
	if len(s.Input) > 0 {
		fmt.Fprintf(tw, "Input:\t%s\n", truncate(compact(s.Input), 200))
	}
	fmt.Fprintf(tw, "Next fire:\t%s\n", orDash(s.NextFireAt))
	reasons := make([]string, 0, len(s.Skipped))
	for r, n := range s.Skipped {
		reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(reasons)
	skipped := "none"
	if len(reasons) > 0 {
		skipped = strings.Join(reasons, ", ")
	}
	fmt.Fprintf(tw, "Fired:\t%d (skipped: %s)\n", s.Fired, skipped)
	if n := len(s.Queued) + len(s.Buffered); n > 0 {
		fmt.Fprintf(tw, "Waiting:\t%d queued, %d buffered\n", len(s.Queued), len(s.Buffered))
	}
	if s.LastError != "" {
		fmt.Fprintf(tw, "Last error:\t%s (%s)\n", s.LastError, s.LastErrorAt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Recent) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nRecent executions:")
	tw = newTable(w)
	fmt.Fprintln(tw, "SLOT\tKIND\tEXECUTION\tSTARTED\tNODE")
	for _, r := range s.Recent {
		id := r.ExecutionID
		if r.Existing {
			id += " (found)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Slot, r.Kind, id, r.StartedAt, orDash(r.Node))
	}
	return tw.Flush()
}
