package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestServeEnvironmentErrors: an SFN_* variable (or a flag) whose value
// does not parse is a usage error naming the variable and the value, never
// a silent default; serve starts nothing.
func TestServeEnvironmentErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"a duration without its unit", map[string]string{"SFN_RETENTION": "24"}, nil,
			[]string{`SFN_RETENTION="24": want a duration`}},
		{"a bool that is not true, false, 1 or 0", map[string]string{"SFN_LOG_DATA": "yes"}, nil,
			[]string{`SFN_LOG_DATA="yes": want true, false, 1 or 0`}},
		{"a capitalised bool", map[string]string{"SFN_REDIS_CLUSTER": "TRUE"}, nil,
			[]string{`SFN_REDIS_CLUSTER="TRUE": want true, false, 1 or 0`}},
		{"a count that is not a number", map[string]string{"SFN_MAX_TASK_CALLS": "many"}, nil,
			[]string{`SFN_MAX_TASK_CALLS="many": want a whole number, 0 or more`}},
		{"a negative count", map[string]string{"SFN_MAX_TASK_CALLS": "-1"}, nil,
			[]string{`SFN_MAX_TASK_CALLS="-1": want a whole number, 0 or more`}},
		{"every bad variable at once", map[string]string{"SFN_RETENTION": "7d", "SFN_REDIS_CLUSTER": "on"}, nil,
			[]string{`SFN_RETENTION="7d"`, `SFN_REDIS_CLUSTER="on"`}},
		{"a bad variable under a good flag", map[string]string{"SFN_RETENTION": "24"}, []string{"--retention", "24h"},
			[]string{`SFN_RETENTION="24"`}},
		{"a negative --max-task-calls", nil, []string{"--max-task-calls", "-5"},
			[]string{`--max-task-calls -5: want 0 (the default, ` + strconv.Itoa(interpreter.DefaultMaxTaskCalls) + `) or more`}},
		{"a --max-task-calls that is not a number", nil, []string{"--max-task-calls", "lots"},
			[]string{`invalid argument "lots" for "--max-task-calls"`}},
		{"a log level", map[string]string{"SFN_LOG_LEVEL": "loud"}, nil,
			[]string{`--log-level (or SFN_LOG_LEVEL) "loud"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// An unusable address: were the environment accepted, serve
			// would fail to listen instead of reporting it.
			args := append([]string{"serve", "--addr", "256.0.0.1:1"}, c.args...)
			r := sfn(t, c.env, "", args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d (usage); stderr:\n%s", r.code, exitUsage, r.errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.errOut)
				}
			}
			if strings.Contains(r.errOut, "listen on") {
				t.Errorf("serve went on to listen:\n%s", r.errOut)
			}
		})
	}
}

// TestServeEnvironmentDefaults: valid variables become the flags' defaults,
// read through the command's getenv only; the process's own environment
// (a developer's SFN_* variables) is never consulted.
func TestServeEnvironmentDefaults(t *testing.T) {
	t.Setenv("SFN_RETENTION", "not a duration")
	t.Setenv("SFN_ADDR", "10.9.8.7:1")
	t.Setenv("SFN_LOG_DATA", "maybe")
	for _, c := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"unset", nil, map[string]string{"addr": "127.0.0.1:8080", "retention": interpreter.DefaultRetention.String(),
			"log-data": "false", "redis-cluster": "false", "max-task-calls": "0", "http-allow": "[]"}},
		{"set", map[string]string{"SFN_ADDR": "0.0.0.0:9000", "SFN_RETENTION": "24h", "SFN_LOG_DATA": "1",
			"SFN_REDIS_CLUSTER": "true", "SFN_MAX_TASK_CALLS": "16", "SFN_HTTP_ALLOW": "a.example,10.0.0.0/8"},
			map[string]string{"addr": "0.0.0.0:9000", "retention": "24h0m0s", "log-data": "true",
				"redis-cluster": "true", "max-task-calls": "16", "http-allow": "[a.example,10.0.0.0/8]"}},
		{"false spelt 0", map[string]string{"SFN_LOG_DATA": "0", "SFN_REDIS_CLUSTER": "false"},
			map[string]string{"log-data": "false", "redis-cluster": "false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := newServeCmd(&app{getenv: func(k string) string { return c.env[k] }})
			for flag, want := range c.want {
				if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", flag, got, want)
				}
			}
		})
	}
}

// storeCalls is how many store calls of op the registry has timed.
func storeCalls(t *testing.T, reg prometheus.Gatherer, op string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "sfn_store_operation_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == op {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestServeTimesLeasesAndNodes: sfn serve's engine takes, renews and hands
// back its partition leases and heartbeats in the node registry through
// the metrics wrapper, so the lease and registry series move like every
// other store call's.
func TestServeTimesLeasesAndNodes(t *testing.T) {
	t.Parallel()
	o := &serveOptions{getenv: func(string) string { return "" }, node: "metrics-test"}
	served, err := newServedEngine(o, memory.WithLeases(memory.New(), 8), arn.DefaultSpace, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := served.engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			served.engine.Stop()
		}
	}()
	for _, op := range []string{"acquire_lease", "heartbeat"} {
		deadline := time.Now().Add(10 * time.Second)
		for storeCalls(t, served.reg, op) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no %s call timed after 10s: the engine bypasses the metrics wrapper", op)
			}
			time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
		}
	}
	if served.engine.HeldPartitions() == 0 {
		t.Fatal("the engine holds no partition: it did not take its leases through the wrapper")
	}
	served.engine.Stop() // hands the leases back and leaves the registry
	stopped = true
	for _, op := range []string{"release_lease", "leave"} {
		if storeCalls(t, served.reg, op) == 0 {
			t.Errorf("no %s call timed after Stop: the engine bypasses the metrics wrapper", op)
		}
	}
}

// TestServeRedisMetricsShowLeases runs sfn serve on a private Redis and
// reads /metrics: the lease and node registry operations are among the
// timed store calls.
func TestServeRedisMetricsShowLeases(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server on Redis")
	}
	t.Parallel()
	addr := startServer(t, "--redis-url", redistest.URL(t), "--redis-prefix", "metrics"+strconv.FormatInt(time.Now().UnixNano(), 36))
	want := []string{"acquire_lease", "heartbeat"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		counts := scrapeStoreCalls(t, "http://"+addr+"/metrics")
		missing := []string{}
		for _, op := range want {
			if counts[op] == 0 {
				missing = append(missing, op)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics shows no %v store calls after 15s (store calls seen: %v)", missing, counts)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
	}
}

// scrapeStoreCalls reads the store calls per op from a /metrics page: the
// sfn_store_operation_duration_seconds_count{op="…"} lines.
func scrapeStoreCalls(t *testing.T, url string) map[string]uint64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, `sfn_store_operation_duration_seconds_count{op="`)
		if !ok {
			continue
		}
		op, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			t.Fatalf("/metrics: unexpected line %q", line)
		}
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		counts[op] = n
	}
	return counts
}
