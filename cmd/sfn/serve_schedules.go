package main

import (
	"context"
	"log/slog"
	"os"
	"time"
	// Time zones without /usr/share/zoneinfo: a schedule's IANA zone
	// must load on any host.
	_ "time/tzdata"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/schedule"
)

// scheduleOptions are sfn serve's flags for schedules (issue 19).
type scheduleOptions struct {
	poll    time.Duration
	catchup time.Duration
}

// addScheduleFlags defines the schedule flags of sfn serve.
func addScheduleFlags(f *pflag.FlagSet, o *scheduleOptions, env *serveEnv) {
	f.DurationVar(&o.poll, "schedule-poll", env.duration("SFN_SCHEDULE_POLL", time.Second),
		"how often the schedule runner looks for schedules changed on other nodes and for partitions that moved (env SFN_SCHEDULE_POLL); slots themselves fire on time")
	f.DurationVar(&o.catchup, "schedule-catchup", env.duration("SFN_SCHEDULE_CATCHUP", schedule.DefaultCatchup),
		"catch-up window of schedules that set none: slots missed while no node ran are fired when at most this old, skipped (and counted) when older; at least 1m, at most --retention (env SFN_SCHEDULE_CATCHUP)")
}

// startSchedules runs the schedules beside the engine and returns what the
// API serves of them; stop ends them, before the engine stops.
func startSchedules(ctx context.Context, o *serveOptions, engine *interpreter.Engine, reg *prometheus.Registry, log *slog.Logger) (api httpapi.Schedules, stop func(), err error) {
	so := o.schedules
	if so.poll <= 0 {
		return nil, nil, usageErrorf("--schedule-poll %s: give a positive duration, as 1s", so.poll)
	}
	if so.catchup < schedule.MinCatchup*time.Second {
		return nil, nil, usageErrorf("--schedule-catchup %s: at least 1m (a slot is on time within its minute)", so.catchup)
	}
	limits := schedule.Limits{DefaultCatchup: so.catchup}
	if o.retention > 0 {
		if so.catchup > o.retention {
			return nil, nil, usageErrorf("--schedule-catchup %s exceeds --retention %s: a slot older than the retention could be started twice, its execution removed", so.catchup, o.retention)
		}
		limits.MaxCatchup = o.retention
	}
	node := o.node
	if node == "" {
		node, _ = os.Hostname()
	}
	s := schedule.New(schedule.Config{Engine: engine, Starter: httpapi.ScheduleStarter(engine), Logger: log.With(slog.String("component", "schedules")),
		Registry: reg, Node: node, Poll: so.poll, Limits: limits})
	if err := s.Start(ctx); err != nil {
		return nil, nil, err
	}
	return s, s.Stop, nil
}
