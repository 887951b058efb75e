package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
)

// notifyOptions are sfn serve's flags for notifications (issue 19).
type notifyOptions struct {
	retention   time.Duration
	retryFor    time.Duration
	maxBackoff  time.Duration
	timeout     time.Duration
	deadLetters int
}

// addNotifyFlags defines the notification flags of sfn serve.
func addNotifyFlags(f *pflag.FlagSet, o *notifyOptions, env *serveEnv) {
	f.DurationVar(&o.retention, "notify-retention", env.duration("SFN_NOTIFY_RETENTION", store.DefaultChangeRetention),
		"how long the log of status changes is kept: how far back GET /v1/events resumes (Last-Event-ID) and a webhook delivery catches up; at least 1h (env SFN_NOTIFY_RETENTION)")
	f.DurationVar(&o.retryFor, "notify-retry-for", env.duration("SFN_NOTIFY_RETRY_FOR", 6*time.Hour),
		"how long after a status change its webhook is tried again before it becomes a dead letter; less than --notify-retention (env SFN_NOTIFY_RETRY_FOR)")
	f.DurationVar(&o.maxBackoff, "notify-max-backoff", env.duration("SFN_NOTIFY_MAX_BACKOFF", 5*time.Minute),
		"the longest wait between two attempts of a webhook (from 1s, doubling) (env SFN_NOTIFY_MAX_BACKOFF)")
	f.DurationVar(&o.timeout, "notify-timeout", env.duration("SFN_NOTIFY_TIMEOUT", 10*time.Second),
		"how long one webhook attempt may take (env SFN_NOTIFY_TIMEOUT)")
	if n := env.count("SFN_NOTIFY_DEAD_LETTERS"); n > 0 {
		o.deadLetters = n
	} else {
		o.deadLetters = 10_000
	}
	f.IntVar(&o.deadLetters, "notify-dead-letters", o.deadLetters,
		"how many dead letters each webhook endpoint keeps; events given up beyond them are dropped and counted (env SFN_NOTIFY_DEAD_LETTERS)")
}

// withDefaults fills what was not set (options made without the flags).
func (o *notifyOptions) withDefaults() {
	if o.retention == 0 {
		o.retention = store.DefaultChangeRetention
	}
	if o.retryFor == 0 {
		o.retryFor = min(6*time.Hour, o.retention/2)
	}
	if o.maxBackoff == 0 {
		o.maxBackoff = 5 * time.Minute
	}
	if o.timeout == 0 {
		o.timeout = 10 * time.Second
	}
	if o.deadLetters == 0 {
		o.deadLetters = 10_000
	}
}

func (o *notifyOptions) validate() error {
	o.withDefaults()
	switch {
	case o.retention < time.Hour:
		return usageErrorf("--notify-retention %s: at least 1h", o.retention)
	case o.retryFor <= 0 || o.retryFor >= o.retention:
		return usageErrorf("--notify-retry-for %s: positive and less than --notify-retention %s (a change must still be in the log while it is retried)", o.retryFor, o.retention)
	case o.maxBackoff < time.Second:
		return usageErrorf("--notify-max-backoff %s: at least 1s", o.maxBackoff)
	case o.timeout <= 0:
		return usageErrorf("--notify-timeout %s: give a positive duration, as 10s", o.timeout)
	case o.deadLetters < 1:
		return usageErrorf("--notify-dead-letters %d: at least 1", o.deadLetters)
	}
	return nil
}

// configureNotifications sets what the engine needs for notifications,
// before it is made: the store keeps the log of status changes from the
// first start on.
func configureNotifications(o *notifyOptions, cfg *interpreter.Config) error {
	if err := o.validate(); err != nil {
		return err
	}
	store.KeepChanges(cfg.Store, o.retention)
	return nil
}

// startNotifications runs the notification delivery beside the engine and
// returns what the API serves of it; stop ends it, before the engine stops.
func startNotifications(ctx context.Context, o *serveOptions, engine *interpreter.Engine, reg *prometheus.Registry, log *slog.Logger) (api httpapi.Notifications, stop func(), err error) {
	no := o.notify
	no.withDefaults()
	svc, err := notify.New(notify.Config{Engine: engine, Logger: log.With(slog.String("component", "notifications")), Registerer: reg,
		Retention: no.retention, RetryFor: no.retryFor, MaxBackoff: no.maxBackoff, Timeout: no.timeout, MaxDeadLetters: no.deadLetters})
	if err != nil {
		return nil, nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return nil, nil, err
	}
	return svc, svc.Stop, nil
}
