package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/worker"
)

func TestOutcomes(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil, nil)
	tests := []struct {
		name    string
		handler worker.Handler
		status  string
		output  map[string]any // for SUCCEEDED
		error   string         // for FAILED
		cause   string
	}{{
		name: "success",
		handler: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var m map[string]any
			if err := json.Unmarshal(in, &m); err != nil {
				return nil, err
			}
			m["cooked"] = true
			return json.Marshal(m)
		},
		status: "SUCCEEDED",
		output: map[string]any{"order": "o-1", "cooked": true},
	}, {
		name: "named error caught",
		handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, fmt.Errorf("cooking: %w", worker.Errorf("Kitchen.OutOfStock", "no %s left", "basil"))
		},
		status: "SUCCEEDED",
		output: map[string]any{"order": "o-1", "caught": map[string]any{"Error": "Kitchen.OutOfStock", "Cause": "no basil left"}},
	}, {
		name: "plain error",
		handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("oven broke")
		},
		status: "FAILED", error: worker.ErrorName, cause: "oven broke",
	}, {
		name: "panic",
		handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			panic("boom")
		},
		status: "FAILED", error: worker.PanicName, cause: "boom",
	}, {
		name: "not JSON",
		handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage("{nope"), nil
		},
		status: "FAILED", error: worker.InvalidOutputName,
	}, {
		name: "too large",
		handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.Marshal(strings.Repeat("x", 300<<10))
		},
		status: "FAILED", error: worker.OutputTooLargeName,
	}}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			activity := fmt.Sprintf("outcome-%d", i)
			deploy(t, srv, activity, activityDef(activity, 0))
			run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: activity, WorkerName: "w-" + activity}), tc.handler)
			got := await(t, srv, start(t, srv, activity, map[string]any{"order": "o-1"}))
			if got["status"] != tc.status {
				t.Fatalf("status %v, want %s: %v", got["status"], tc.status, got)
			}
			if tc.output != nil {
				if diff := cmp.Diff(tc.output, got["output"]); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
			}
			if tc.error != "" && got["error"] != tc.error {
				t.Errorf("error %v, want %s", got["error"], tc.error)
			}
			if tc.cause != "" && got["cause"] != tc.cause {
				t.Errorf("cause %v, want %s", got["cause"], tc.cause)
			}
		})
	}
}

func TestWorkerNameInHistory(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil, nil)
	deploy(t, srv, "named", activityDef("named", 0))
	run(t, newWorker(t, worker.Config{Server: srv.URL + "/", Activity: "named", WorkerName: "tablet-7"}),
		func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	id := start(t, srv, "named", map[string]any{})
	await(t, srv, id)
	_, h := api(t, srv, http.MethodGet, "/v1/executions/"+id+"/history", nil)
	for _, e := range h["events"].([]any) {
		if ev := e.(map[string]any); ev["type"] == "ActivityStarted" {
			if ev["workerName"] != "tablet-7" {
				t.Fatalf("ActivityStarted %v", ev)
			}
			return
		}
	}
	t.Fatalf("no ActivityStarted in %v", h)
}

// A handler that outlasts HeartbeatSeconds keeps its task with heartbeats;
// without them the task times out, and a task that ends on the server
// cancels the handler's context.
func TestHeartbeats(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil, nil)
	const work = 2500 * time.Millisecond // more than twice HeartbeatSeconds
	slow := func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		select {
		case <-time.After(work): // the work itself, which must outlast the heartbeat timeout
			return json.RawMessage(`{"done":true}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	t.Run("kept alive", func(t *testing.T) {
		t.Parallel()
		deploy(t, srv, "beating", activityDef("beating", 1))
		run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "beating", HeartbeatEvery: 200 * time.Millisecond}), slow)
		if got := await(t, srv, start(t, srv, "beating", map[string]any{})); got["status"] != "SUCCEEDED" {
			t.Fatalf("with heartbeats: %v", got)
		}
	})
	t.Run("no heartbeats", func(t *testing.T) {
		t.Parallel()
		deploy(t, srv, "silent", activityDef("silent", 1))
		run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "silent", HeartbeatEvery: -1}), slow)
		if got := await(t, srv, start(t, srv, "silent", map[string]any{})); got["status"] != "FAILED" || got["error"] != "States.Timeout" {
			t.Fatalf("without heartbeats: %v", got)
		}
	})
	t.Run("task over cancels the handler", func(t *testing.T) {
		t.Parallel()
		deploy(t, srv, "stopped", activityDef("stopped", 0))
		running, cancelled := make(chan struct{}), make(chan error, 1)
		run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "stopped", HeartbeatEvery: 50 * time.Millisecond}),
			func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				close(running)
				<-ctx.Done()
				cancelled <- context.Cause(ctx)
				return nil, ctx.Err()
			})
		id := start(t, srv, "stopped", map[string]any{})
		<-running
		if st, m := api(t, srv, http.MethodPost, "/v1/executions/"+id+"/stop", nil); st != http.StatusOK {
			t.Fatalf("stop: %d %v", st, m)
		}
		select {
		case err := <-cancelled:
			if err == nil || !strings.Contains(err.Error(), "no longer open") {
				t.Fatalf("handler context ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the handler's context was not cancelled after the execution stopped")
		}
	})
}

// Concurrency runs that many handlers at once: each waits until all are in.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil, nil)
	const n = 4
	deploy(t, srv, "parallel", activityDef("parallel", 0))
	var mu sync.Mutex
	in, all := 0, make(chan struct{})
	run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "parallel", Concurrency: n}),
		func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
			mu.Lock()
			if in++; in == n {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
				return input, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Second):
				return nil, errors.New("the other handlers never came")
			}
		})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = start(t, srv, "parallel", map[string]any{"i": i})
	}
	for i, id := range ids {
		if got := await(t, srv, id); got["status"] != "SUCCEEDED" || cmp.Diff(map[string]any{"i": float64(i)}, got["output"]) != "" {
			t.Errorf("execution %d: %v", i, got)
		}
	}
}

// flaky answers 503 to the first polls and to the first result report, and
// drops the connection of the first heartbeat.
type flaky struct {
	next                http.Handler
	polls, reports, hbs atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/poll") && f.polls.Add(1) <= 3,
		r.URL.Path == "/v1/tasks/success" && f.reports.Add(1) == 1:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"Unavailable","message":"injected"}`))
		return
	case r.URL.Path == "/v1/tasks/heartbeat" && f.hbs.Add(1) == 1:
		panic(http.ErrAbortHandler) // the connection drops mid-call
	}
	f.next.ServeHTTP(w, r)
}

func TestServerErrorsBackOff(t *testing.T) {
	t.Parallel()
	f := &flaky{}
	srv := setup(t, nil, func(h http.Handler) http.Handler { f.next = h; return f })
	deploy(t, srv, "flaky", activityDef("flaky", 0))
	var beat atomic.Bool
	run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "flaky", HeartbeatEvery: 20 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}),
		func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			deadline := time.Now().Add(5 * time.Second)
			for f.hbs.Load() < 2 && time.Now().Before(deadline) { // wait for a heartbeat after the dropped one
				time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
			}
			beat.Store(f.hbs.Load() >= 2)
			return in, nil
		})
	got := await(t, srv, start(t, srv, "flaky", map[string]any{"x": 1}))
	if got["status"] != "SUCCEEDED" {
		t.Fatalf("execution %v", got)
	}
	if f.polls.Load() < 4 || f.reports.Load() < 2 || !beat.Load() {
		t.Fatalf("polls %d, reports %d, heartbeats %d: the injected failures were not all retried", f.polls.Load(), f.reports.Load(), f.hbs.Load())
	}
}

func TestAccess(t *testing.T) {
	t.Parallel()
	srv := setup(t, map[string]httpapi.Role{"admin": httpapi.RoleAdmin, "w": httpapi.RoleWorker, "r": httpapi.RoleReader}, nil)
	deploy(t, srv, "guarded", activityDef("guarded", 0))
	for _, tok := range []string{"", "wrong", "r"} {
		w := newWorker(t, worker.Config{Server: srv.URL, Activity: "guarded", Token: tok})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.Run(ctx, func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
		cancel()
		if err == nil || !(strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "403")) {
			t.Errorf("token %q: Run returned %v, want a 401/403 error", tok, err)
		}
	}
	run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "guarded", Token: "w"}),
		func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	if got := await(t, srv, start(t, srv, "guarded", map[string]any{})); got["status"] != "SUCCEEDED" {
		t.Fatalf("with a worker token: %v", got)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil, nil)
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		cancel, done := run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "idle", Concurrency: 3}),
			func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel while polling")
		}
	})
	t.Run("in flight", func(t *testing.T) {
		t.Parallel()
		deploy(t, srv, "busy", activityDef("busy", 0))
		running := make(chan struct{})
		cancel, done := run(t, newWorker(t, worker.Config{Server: srv.URL, Activity: "busy"}),
			func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				close(running)
				<-ctx.Done()
				return nil, ctx.Err()
			})
		id := start(t, srv, "busy", map[string]any{})
		<-running
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel with a handler in flight")
		}
		// The stopped worker did not fail the task: it stays open for another.
		if _, m := api(t, srv, http.MethodGet, "/v1/executions/"+id, nil); m["status"] != "RUNNING" {
			t.Fatalf("execution after the worker stopped: %v", m)
		}
	})
	t.Run("unreachable server", func(t *testing.T) {
		t.Parallel()
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		cancel, done := run(t, newWorker(t, worker.Config{Server: dead.URL, Activity: "x"}),
			func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel while backing off")
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []worker.Config{
		{Activity: "a"},
		{Server: "127.0.0.1:8080", Activity: "a"},
		{Server: "ftp://x", Activity: "a"},
		{Server: "http://127.0.0.1:8080"},
	} {
		if _, err := worker.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
