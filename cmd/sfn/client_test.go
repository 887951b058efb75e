package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

// newServer starts the real API on an in-memory store and returns the
// environment that points the CLI at it.
func newServer(t *testing.T) map[string]string {
	t.Helper()
	st := memory.New()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, TimerPoll: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: eng}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		eng.Stop()
		_ = st.Close()
	})
	return map[string]string{"SFN_SERVER": srv.URL}
}

// unreachable is a server address nothing listens on.
func unreachable(t *testing.T) map[string]string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return map[string]string{"SFN_SERVER": "http://" + addr}
}

func mustRun(t *testing.T, env map[string]string, wantCode int, args ...string) result {
	t.Helper()
	r := sfn(t, env, "", args...)
	if r.code != wantCode {
		t.Fatalf("sfn %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, wantCode, r.out, r.errOut)
	}
	return r
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func TestClientDeployAndList(t *testing.T) {
	t.Parallel()
	env := newServer(t)
	r := mustRun(t, env, 0, "deploy", defs+"hello.yaml")
	contains(t, "deploy", r.out, "hello: version 1 (created)")
	r = mustRun(t, env, 0, "deploy", defs+"hello.yaml")
	contains(t, "deploy again", r.out, "hello: version 1 (unchanged)")
	r = mustRun(t, env, 0, "deploy", defs+"hello-json.json", "--name", "hello")
	contains(t, "deploy changed", r.out, "hello: version 2 (new version)")
	mustRun(t, env, 0, "deploy", defs+"wait.yaml", "--name", "pause")

	r = mustRun(t, env, 0, "ls")
	contains(t, "ls", r.out, "NAME", "hello", "pause")
	r = mustRun(t, env, 0, "ls", "--format", "json")
	var list struct {
		StateMachines []stateMachineMeta `json:"stateMachines"`
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list.StateMachines) != 2 || list.StateMachines[0].Name != "hello" || list.StateMachines[0].Version != 2 {
		t.Errorf("ls json: %v %+v", err, list)
	}
	r = mustRun(t, env, 0, "show", "hello")
	contains(t, "show", r.out, "Version:", "2", `"StartAt": "SayHello"`)
	r = mustRun(t, env, 0, "show", "hello", "--version", "1", "--format", "json")
	contains(t, "show version", r.out, `"version": 1`)

	r = mustRun(t, env, 1, "deploy", "testdata/validate/invalid.yaml")
	contains(t, "invalid deploy", r.errOut, "testdata/validate/invalid.yaml:6:11:", "(at /States/Charge/Next)")
	r = mustRun(t, env, 1, "show", "nope")
	contains(t, "show unknown", r.errOut, "NotFound")
	mustRun(t, env, 2, "deploy", "nope.yaml")
}

func TestClientExecutions(t *testing.T) {
	t.Parallel()
	env := newServer(t)
	mustRun(t, env, 0, "deploy", defs+"hello.yaml")
	mustRun(t, env, 0, "deploy", defs+"fail.yaml")
	mustRun(t, env, 0, "deploy", defs+"wait.yaml")

	// --wait: one line per state, then the execution; exit 0.
	r := mustRun(t, env, 0, "start", "hello", "--input", `{"name": "Ada"}`, "--name", "first", "--wait")
	contains(t, "start --wait", r.out, "SayHello (Pass)", "Done (Succeed)", "SUCCEEDED", "Status:", `"greeting"`)
	// A failing one: exit 1.
	r = mustRun(t, env, 1, "start", "fail", "--wait", "--name", "bad")
	contains(t, "failed --wait", r.out, "MissingOrder (Fail)", "FAILED: Order.Missing", "Cause:")
	// JSON: standard output is one document.
	r = mustRun(t, env, 0, "start", "hello", "--wait", "--format", "json")
	var ex execution
	if err := json.Unmarshal([]byte(r.out), &ex); err != nil || ex.Status != "SUCCEEDED" {
		t.Errorf("start --wait --format json: %v %+v\n%s", err, ex, r.out)
	}

	r = mustRun(t, env, 0, "describe", "hello:first")
	contains(t, "describe", r.out, "hello:first", "SUCCEEDED", `"text":"Hello, world!"`)
	r = mustRun(t, env, 0, "history", "hello:first")
	contains(t, "history", r.out, "ExecutionStarted", "PassStateEntered", "SayHello", "ExecutionSucceeded")
	r = mustRun(t, env, 0, "history", "hello:first", "--format", "json")
	var h struct {
		Events []eventHead `json:"events"`
	}
	if err := json.Unmarshal([]byte(r.out), &h); err != nil || len(h.Events) != 6 || h.Events[5].Type != "ExecutionSucceeded" {
		t.Errorf("history json: %v %+v", err, h)
	}
	r = mustRun(t, env, 0, "history", "hello:first", "--follow")
	contains(t, "history --follow", r.out, "ExecutionStarted", "ExecutionSucceeded")

	// Stop a long wait, then redrive it.
	r = mustRun(t, env, 0, "start", "wait", "--input", `{"delaySeconds": 600}`, "--name", "long")
	contains(t, "start", r.out, "wait:long", "RUNNING")
	r = mustRun(t, env, 0, "executions", "wait", "--status", "running")
	contains(t, "executions", r.out, "wait:long", "RUNNING")
	r = mustRun(t, env, 0, "stop", "wait:long", "--error", "Operator.Stopped", "--cause", "testing")
	contains(t, "stop", r.out, "ABORTED", "Operator.Stopped", "testing")
	r = mustRun(t, env, 0, "redrive", "wait:long")
	contains(t, "redrive", r.out, "RUNNING", "Redrives:")
	r = mustRun(t, env, 1, "redrive", "hello:first")
	contains(t, "redrive succeeded", r.errOut, "Conflict")

	r = mustRun(t, env, 0, "executions", "--format", "json")
	var page struct {
		Executions []execution `json:"executions"`
	}
	if err := json.Unmarshal([]byte(r.out), &page); err != nil || len(page.Executions) != 4 {
		t.Errorf("executions json: %v, %d executions\n%s", err, len(page.Executions), r.out)
	}
	mustRun(t, env, 1, "describe", "nope:nope")
	mustRun(t, env, 1, "start", "nope")
	mustRun(t, env, 2, "start", "hello", "--input", "{bad")
}

func TestClientExitCodes(t *testing.T) {
	t.Parallel()
	down := unreachable(t)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unreachable ls", down, []string{"ls"}, 3, "is unreachable"},
		{"unreachable start", down, []string{"start", "hello", "--wait"}, 3, "is unreachable"},
		{"unreachable deploy", down, []string{"deploy", defs + "hello.yaml"}, 3, "is unreachable"},
		{"bad server URL", map[string]string{"SFN_SERVER": "localhost:8080"}, []string{"ls"}, 2, "--server"},
		{"--server flag wins", down, []string{"--server", "ftp://x", "ls"}, 2, "--server"},
		{"missing argument", down, []string{"describe"}, 2, "usage: sfn describe ID"},
		{"too many arguments", down, []string{"executions", "a", "b"}, 2, "usage"},
		{"unknown command", down, []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, tt.env, "", tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.wantCode, r.errOut, tt.wantErr)
			}
		})
	}
}

// The client reads the contract's error body into a typed error.
func TestClientAPIError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error": "Unauthorized", "message": "a bearer token is required"}`))
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("upstream trouble"))
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{"SFN_SERVER": srv.URL}
	r := sfn(t, env, "", "ls")
	if r.code != 1 || !strings.Contains(r.errOut, "Unauthorized: a bearer token is required") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
	env["SFN_TOKEN"] = "s3cret"
	r = sfn(t, env, "", "ls")
	if r.code != 1 || !strings.Contains(r.errOut, "Bad Gateway: upstream trouble") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
}
