// Command worker is an example sfn activity worker: it polls an activity
// and answers each task with its input plus a "handledBy" field naming the
// worker. It shows the whole of httpapi/worker in a few lines.
//
//	go run ./examples/worker --server http://127.0.0.1:8080 --activity work
//
// Try it with a one-state machine:
//
//	curl -X PUT localhost:8080/v1/state-machines/hello -H 'Content-Type: application/yaml' \
//	  --data-binary $'StartAt: Work\nStates:\n  Work: {Type: Task, Resource: "activity:work", HeartbeatSeconds: 30, End: true}\n'
//	curl -X POST 'localhost:8080/v1/state-machines/hello/executions?wait=10s' -H 'Content-Type: application/json' -d '{"input": {"hello": "world"}}'
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sfn-project/sfn/httpapi/worker"
)

func main() {
	server := flag.String("server", envOr("SFN_SERVER", "http://127.0.0.1:8080"), "sfn base URL (env SFN_SERVER)")
	activity := flag.String("activity", "work", "activity to poll")
	token := flag.String("token", os.Getenv("SFN_TOKEN"), "bearer token with the worker role, when sfn requires tokens (env SFN_TOKEN)")
	name := flag.String("name", "", "worker name in the history (default host-pid)")
	concurrency := flag.Int("concurrency", 1, "tasks handled at once")
	heartbeat := flag.Duration("heartbeat", 10*time.Second, "heartbeat interval while a task runs")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	w, err := worker.New(worker.Config{Server: *server, Activity: *activity, WorkerName: *name, Token: *token,
		Concurrency: *concurrency, HeartbeatEvery: *heartbeat, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	label := *name
	if label == "" {
		host, _ := os.Hostname()
		label = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("polling", slog.String("server", *server), slog.String("activity", *activity))
	err = w.Run(ctx, func(_ context.Context, input json.RawMessage) (json.RawMessage, error) {
		log.Info("task", slog.String("input", string(input)))
		return withField(input, "handledBy", label)
	})
	if err != nil {
		log.Error("worker stopped", slog.Any("error", err))
		os.Exit(1)
	}
}

// withField returns input with one more member when it is a JSON object
// (its members and their order kept), else {"input": input, key: value}.
func withField(input json.RawMessage, key string, v any) (json.RawMessage, error) {
	member, err := json.Marshal(map[string]any{key: v})
	if err != nil {
		return nil, err
	}
	in := bytes.TrimSpace(input)
	if len(in) < 2 || in[0] != '{' {
		return json.Marshal(map[string]any{"input": json.RawMessage(in), key: v})
	}
	body := bytes.TrimSpace(in[1 : len(in)-1])
	if len(body) == 0 {
		return member, nil
	}
	out := append([]byte{'{'}, body...)
	out = append(out, ',')
	return append(out, member[1:]...), nil // member is {"key":v}: drop its '{'
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
