package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/schedule"
	"github.com/sfn-project/sfn/store/memory"
)

// newScheduleServer is newServer with schedules.
func newScheduleServer(t *testing.T) map[string]string {
	t.Helper()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), TimerPoll: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := schedule.New(schedule.Config{Engine: eng, Starter: httpapi.ScheduleStarter(eng), Poll: 50 * time.Millisecond})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: eng, Schedules: s}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		s.Stop()
		eng.Stop()
	})
	return map[string]string{"SFN_SERVER": srv.URL}
}

func TestScheduleCommands(t *testing.T) {
	t.Parallel()
	env := newScheduleServer(t)
	mustRun(t, env, 0, "deploy", defs+"hello.yaml")
	r := mustRun(t, env, 0, "schedule", "create", "mornings", "--state-machine", "hello", "--expression", "cron(0 9 ? * MON-FRI *)",
		"--timezone", "Europe/Oslo", "--input", `{"who":"sched"}`, "--overlap", "skip", "--flexible-window", "10m", "--description", "weekday mornings")
	containsWords(t, "create", r.out, "Schedule: mornings", "Target: hello", "Expression: cron(0 9 ? * MON-FRI *) in Europe/Oslo",
		"Status: ENABLED", "Overlap: SKIP, catch-up 5m0s, flexible window 10 minutes", `Input: {"who":"sched"}`, "Fired: 0 (skipped: none)")
	mustRun(t, env, 0, "schedule", "create", "hourly", "--state-machine", "hello", "--expression", "rate(1 hour)", "--disabled")

	r = mustRun(t, env, 0, "schedule", "ls")
	containsWords(t, "ls", r.out, "NAME EXPRESSION TIMEZONE TARGET STATUS NEXT FIRE FIRED SKIPPED",
		"mornings cron(0 9 ? * MON-FRI *) Europe/Oslo hello ENABLED", "hourly rate(1 hour) UTC hello DISABLED")
	r = mustRun(t, env, 0, "schedule", "ls", "--limit", "1")
	contains(t, "ls --limit 1", r.out, "(more: --cursor ")

	r = mustRun(t, env, 0, "schedule", "pause", "mornings", "--note", "holiday week")
	containsWords(t, "pause", r.out, "Status: PAUSED (holiday week)")
	r = mustRun(t, env, 0, "schedule", "resume", "mornings")
	containsWords(t, "resume", r.out, "Status: ENABLED")

	r = mustRun(t, env, 0, "schedule", "trigger", "mornings")
	containsWords(t, "trigger", r.out, "SLOT KIND EXECUTION", "trigger hello:mornings-")
	r = eventually(t, env, []string{"Fired: 1", "trigger hello:mornings-"}, "schedule", "show", "mornings")
	containsWords(t, "show", r.out, "Recent executions:", "SLOT KIND EXECUTION STARTED NODE")

	r = mustRun(t, env, 0, "schedule", "backfill", "mornings", "--from", "2025-01-06T00:00:00Z", "--to", "2025-01-07T23:00:00Z")
	containsWords(t, "backfill", r.out, "2025-01-06T08:00:00.000Z backfill hello:mornings-20250106T080000Z",
		"2025-01-07T08:00:00.000Z backfill hello:mornings-20250107T080000Z")
	eventually(t, env, []string{"Fired: 3"}, "schedule", "show", "mornings")
	mustRun(t, env, 0, "describe", "hello:mornings-20250107T080000Z")

	r = mustRun(t, env, 0, "--format", "json", "schedule", "show", "hourly")
	contains(t, "show --format json", r.out, `"state": "DISABLED"`, `"expression": "rate(1 hour)"`)

	mustRun(t, env, 0, "schedule", "rm", "hourly")
	r = mustRun(t, env, 1, "schedule", "show", "hourly")
	contains(t, "show after rm", r.errOut, "NotFound: no schedule hourly")
}

func TestScheduleCommandRefusals(t *testing.T) {
	t.Parallel()
	env := newScheduleServer(t)
	mustRun(t, env, 0, "deploy", defs+"hello.yaml")
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"problems listed with their fields", []string{"schedule", "create", "x", "--state-machine", "hello", "--expression", "cron(0 9 * * * *)", "--timezone", "Mars/Base"},
			1, []string{"/timezone: \"Mars/Base\" is not an IANA time zone name", "/expression: expression \"cron(0 9 * * * *)\": day-of-month field, column 10: day-of-month and day-of-week cannot both be given",
				"the schedule is invalid (2 problems)"}},
		{"missing flags", []string{"schedule", "create", "x", "--state-machine", "hello"}, 2, []string{"give --state-machine and --expression"}},
		{"bad window", []string{"schedule", "create", "x", "--state-machine", "hello", "--expression", "rate(1 hour)", "--flexible-window", "90s"}, 2, []string{"whole minutes"}},
		{"backfill without range", []string{"schedule", "backfill", "x"}, 2, []string{"give --from and --to"}},
		{"backfill bad time", []string{"schedule", "backfill", "x", "--from", "yesterday", "--to", "2025-01-01T00:00:00Z"}, 2, []string{`--from "yesterday"`}},
		{"unknown subcommand", []string{"schedule", "frob"}, 2, []string{`unknown schedule command "frob"`}},
		{"no such schedule", []string{"schedule", "trigger", "none"}, 1, []string{"NotFound: no schedule none"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := mustRun(t, env, c.code, c.args...)
			contains(t, c.name, r.errOut, c.want...)
		})
	}
}

// TestServeScheduleFlags: the catch-up window is bounded by the retention
// and below by a minute.
func TestServeScheduleFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--retention", "1h", "--schedule-catchup", "2h"}, "--schedule-catchup 2h0m0s exceeds --retention 1h0m0s"},
		{map[string]string{"SFN_SCHEDULE_CATCHUP": "30s"}, nil, "--schedule-catchup 30s: at least 1m"},
		{nil, []string{"--schedule-poll", "0s"}, "--schedule-poll 0s"},
		{map[string]string{"SFN_SCHEDULE_POLL": "soon"}, nil, `SFN_SCHEDULE_POLL="soon"`},
	} {
		r := sfn(t, c.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.errOut, c.want) {
			t.Errorf("serve %v %v: exit %d, stderr %q; want %d and %q", c.env, c.args, r.code, r.errOut, exitUsage, c.want)
		}
	}
}
