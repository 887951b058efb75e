package interpreter_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/interpreter"
)

// echoServer is the conformance suite's HTTP helper, in Go: the endpoints
// the http-echo cases of the shared conformance suite call (its README,
// ../../shared/conformance/README.md next to the checkout, lists them).
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	next := func(key string) int {
		mu.Lock()
		defer mu.Unlock()
		counts[key]++
		return counts[key]
	}
	write := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var parsed any
		if len(body) > 0 {
			if json.Unmarshal(body, &parsed) != nil {
				parsed = string(body)
			}
		}
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch parts[0] {
		case "echo":
			write(w, 200, parsed)
		case "inspect":
			q := map[string]string{}
			for k, v := range r.URL.Query() {
				q[k] = v[0]
			}
			h := map[string]string{}
			for k, v := range r.Header {
				h[strings.ToLower(k)] = v[0]
			}
			write(w, 200, map[string]any{"method": r.Method, "path": r.URL.Path, "query": q, "headers": h, "body": parsed})
		case "status":
			code, _ := strconv.Atoi(parts[1])
			write(w, code, map[string]any{"status": code})
		case "headers":
			w.Header().Set("x-conformance", "yes")
			write(w, 200, map[string]any{"ok": true})
		case "flaky":
			n, _ := strconv.Atoi(parts[2])
			i := next("flaky/" + parts[1])
			if i <= n {
				write(w, 500, map[string]any{"attempt": i})
				return
			}
			write(w, 200, map[string]any{"attempts": i, "body": parsed})
		case "seq":
			codes := strings.Split(parts[2], ",")
			i := next("seq/" + parts[1])
			c := codes[min(i, len(codes))-1]
			code, _ := strconv.Atoi(c)
			write(w, code, map[string]any{"attempt": i, "status": code})
		case "slow":
			ms, _ := strconv.Atoi(parts[1])
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			write(w, 200, map[string]any{"slept_ms": ms})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// workerSpec is how the conformance worker answers activity tasks.
type workerSpec struct {
	Respond    string          `json:"respond"`
	Output     json.RawMessage `json:"output"`
	Error      *string         `json:"error"`
	Cause      *string         `json:"cause"`
	Heartbeats int             `json:"heartbeats"`
	Interval   float64         `json:"interval"`
	Delay      float64         `json:"delay"`
	Sequence   []workerSpec    `json:"sequence"`
}

// runWorker polls an activity until ctx ends and answers each task in its
// own goroutine, as the conformance runner's worker does.
func runWorker(ctx context.Context, eng *interpreter.Engine, activity string, spec workerSpec) {
	n := 0
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		token, input, err := eng.PollActivity(pctx, activity, "go-conformance")
		cancel()
		if err != nil {
			continue
		}
		s := spec
		if len(spec.Sequence) > 0 {
			s = spec.Sequence[min(n, len(spec.Sequence)-1)]
		}
		n++
		go answer(ctx, eng, token, input, s)
	}
}

func answer(ctx context.Context, eng *interpreter.Engine, token string, input json.RawMessage, s workerSpec) {
	sleep := func(secs float64) bool {
		select {
		case <-time.After(time.Duration(secs * float64(time.Second))):
			return true
		case <-ctx.Done():
			return false
		}
	}
	if s.Delay > 0 && !sleep(s.Delay) {
		return
	}
	if strings.HasPrefix(s.Respond, "heartbeat_then_") {
		for i := 0; i < s.Heartbeats; i++ {
			if !sleep(s.Interval) {
				return
			}
			_ = eng.TaskHeartbeat(ctx, token)
		}
	}
	switch s.Respond {
	case "silent", "heartbeat_then_silent":
		return
	case "failure":
		e, c := "", ""
		if s.Error != nil {
			e = *s.Error
		}
		if s.Cause != nil {
			c = *s.Cause
		}
		_ = eng.TaskFailure(ctx, token, e, c)
	default:
		out := input
		if len(s.Output) > 0 {
			out = json.RawMessage(strings.ReplaceAll(string(s.Output), `"{{TASK_INPUT}}"`, string(input)))
		}
		_ = eng.TaskSuccess(ctx, token, out)
	}
}
