package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
)

// notifyOptions are sfn serve's flags for notifications (issue 19).
type notifyOptions struct{}

// addNotifyFlags defines the notification flags of sfn serve.
func addNotifyFlags(f *pflag.FlagSet, o *notifyOptions, env *serveEnv) {}

// configureNotifications sets what the engine needs for notifications,
// before it is made.
func configureNotifications(o *notifyOptions, cfg *interpreter.Config) error { return nil }

// startNotifications runs the notification delivery beside the engine and
// returns what the API serves of it; stop ends it, before the engine stops.
func startNotifications(ctx context.Context, o *serveOptions, engine *interpreter.Engine, reg *prometheus.Registry, log *slog.Logger) (api httpapi.Notifications, stop func(), err error) {
	return nil, func() {}, nil
}
