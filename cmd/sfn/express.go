package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
)

// newExpress starts the runner of EXPRESS executions of `sfn serve`, over
// the engine's store (definitions, and the asynchronous starts that survive
// a crash), with the engine's HTTP task policy; both APIs start executions
// on it. It stops when ctx ends, or at Stop, letting the runs in flight
// finish for --shutdown-grace; sfn serve starts it on a context that does
// not end and stops it once the HTTP server has drained, before the engine
// and the store close (its last act, giving up its heartbeat, is a store
// write).
func newExpress(ctx context.Context, o *serveOptions, engine *interpreter.Engine, space arn.Space, log *slog.Logger) (*express.Runner, error) {
	// The policy's warnings were logged when the engine's client was built.
	httpClient, err := httpTaskClient(o, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	r := express.New(express.Config{Store: engine.Store(), Space: space, Logger: log, LogData: o.logData,
		HTTP: httpClient, Node: o.node, StopGrace: o.shutdownGrace})
	if err := r.Start(ctx); err != nil {
		return nil, fmt.Errorf("express executions: %w", err)
	}
	return r, nil
}
