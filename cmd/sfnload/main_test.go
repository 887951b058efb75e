package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

func server(t *testing.T) string {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		engine.Stop()
	})
	return srv.URL
}

// TestModes runs each mode briefly against a real server: exit 0 and a
// report with a non-zero count; refused requests and bad usage exit 1 and 2.
func TestModes(t *testing.T) {
	t.Parallel()
	url := server(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"starts", []string{"starts", "--server", url, "--conns", "4", "--duration", "300ms", "--warmup", "0"}, exitOK, "starts "},
		{"http-tasks", []string{"http-tasks", "--server", url, "--executions", "8", "--duration", "300ms", "--warmup", "0"}, exitOK, "tasks "},
		{"http-tasks in a loop", []string{"http-tasks", "--server", url, "--executions", "8", "--tasks", "3", "--duration", "500ms", "--warmup", "0"}, exitOK, "executions "},
		{"activities", []string{"activities", "--server", url, "--workers", "2", "--inflight", "8", "--duration", "300ms", "--warmup", "0"}, exitOK, "activities "},
		{"activities in a loop", []string{"activities", "--server", url, "--workers", "2", "--inflight", "8", "--tasks", "3", "--duration", "500ms", "--warmup", "0"}, exitOK, "executions "},
		{"http-tasks on net/http", []string{"http-tasks", "--server", url, "--executions", "8", "--tasks", "2", "--duration", "300ms", "--warmup", "0", "--raw=false"}, exitOK, "tasks "},
		{"activities on net/http", []string{"activities", "--server", url, "--workers", "2", "--inflight", "8", "--duration", "300ms", "--warmup", "0", "--raw=false"}, exitOK, "activities "},
		{"unreachable https server", []string{"activities", "--server", "https://127.0.0.1:1", "--duration", "100ms", "--warmup", "0"}, exitErrors, ""},
		{"no tasks", []string{"http-tasks", "--server", url, "--tasks", "0"}, exitUsage, ""},
		{"unknown state machine", []string{"starts", "--server", url, "--state-machine", "nope", "--duration", "100ms"}, exitErrors, ""},
		{"bad input", []string{"starts", "--server", url, "--input", "{"}, exitUsage, ""},
		{"unknown mode", []string{"bogus"}, exitUsage, ""},
		{"no mode", nil, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errb.String())
			}
			if tt.want != "" && !regexp.MustCompile(`(?m)^  `+tt.want+`\s*[1-9][0-9]* \(`).MatchString(out.String()) {
				t.Fatalf("report without a %q count:\n%s", tt.want, out.String())
			}
		})
	}
}
