package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
)

// scheduleOptions are sfn serve's flags for schedules (issue 19).
type scheduleOptions struct{}

// addScheduleFlags defines the schedule flags of sfn serve.
func addScheduleFlags(f *pflag.FlagSet, o *scheduleOptions, env *serveEnv) {}

// startSchedules runs the schedules beside the engine and returns what the
// API serves of them; stop ends them, before the engine stops.
func startSchedules(ctx context.Context, o *serveOptions, engine *interpreter.Engine, reg *prometheus.Registry, log *slog.Logger) (api httpapi.Schedules, stop func(), err error) {
	return nil, func() {}, nil
}
