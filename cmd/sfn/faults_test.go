package main

// Fault tests on real processes: a built sfn binary serving on a private
// redis-server is killed with SIGKILL, or sees its Redis paused with
// SIGSTOP, while hundreds of executions wait and call an HTTP service.
// They run in `make test-faults` (part of `make test`); -short skips them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// sfnBinary builds bin/sfn once per test binary into a temporary folder.
func sfnBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sfn-faults-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "sfn")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// server is one running `sfn serve` process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{}
	exit *os.ProcessState // how it ended, once done is closed
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve starts sfn serve on addr and waits until /readyz answers 200.
func serve(t *testing.T, bin, addr, redisURL, prefix string) *server {
	t.Helper()
	return startServe(t, bin, addr, "--redis-url", redisURL, "--redis-prefix", prefix)
}

// startServe starts sfn serve on addr with args (and warn-level logs, no
// tokens from the environment) and waits until /readyz answers 200.
func startServe(t *testing.T, bin, addr string, args ...string) *server {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "sfn.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "SFN_AUTH_TOKENS=", "SFN_REDIS_URL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, base: "http://" + addr, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		s.exit = cmd.ProcessState
		logf.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill() })
	s.waitReady(200, 30*time.Second)
	return s
}

// kill ends the process with SIGKILL and reports whether that is what
// ended it (false: it had already exited on its own).
func (s *server) kill() bool {
	select {
	case <-s.done:
		return false
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	ws, ok := s.exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitReady polls /readyz until it answers want.
func (s *server) waitReady(want int, within time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return time.Since(start)
			}
		}
		select {
		case <-s.done:
			s.t.Fatalf("sfn serve exited while waiting for /readyz %d:\n%s", want, s.logTail())
		default:
		}
		if time.Since(start) > within {
			s.t.Fatalf("/readyz did not answer %d within %s (last: %v)\n%s", want, within, err, s.logTail())
		}
		time.Sleep(25 * time.Millisecond) // polling a condition with a deadline
	}
}

// call makes one API request and decodes a JSON answer into out (when not nil).
func (s *server) call(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode, nil
}

// echoService is the HTTP task's target: it answers after a short delay
// and counts calls per idempotency key.
type echoService struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	keys  map[string]int
}

func newEchoService(t *testing.T, delay time.Duration) *echoService {
	e := &echoService{keys: map[string]int{}}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		e.mu.Lock()
		e.keys[r.Header.Get("Idempotency-Key")]++
		e.mu.Unlock()
		select {
		case <-time.After(delay): // the service's own latency
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, r.Body)
	}))
	t.Cleanup(e.Close)
	return e
}

// faultDefinition waits, calls the echo service, and waits again; the
// output is the input (ResultPath null), so it shows a lost or mixed-up step.
func faultDefinition(url string) map[string]any {
	return map[string]any{
		"StartAt": "Hold",
		"States": map[string]any{
			"Hold": map[string]any{"Type": "Wait", "SecondsPath": "$.wait", "Next": "Call"},
			"Call": map[string]any{"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
				"Parameters": map[string]any{"ApiEndpoint": url, "Method": "POST", "RequestBody.$": "$"},
				"ResultPath": nil, "TimeoutSeconds": 60, "Next": "Again"},
			"Again": map[string]any{"Type": "Wait", "Seconds": 1, "End": true},
		},
	}
}

// startFaultExecutions starts n executions of sm with 16 concurrent clients.
func startFaultExecutions(t *testing.T, s *server, sm string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				var out struct{ ExecutionID string }
				code, err := s.call("POST", "/v1/state-machines/"+sm+"/executions",
					map[string]any{"name": fmt.Sprintf("e%d", i), "input": map[string]any{"n": i, "wait": 2 + i%2}}, &out)
				if err != nil || code != http.StatusAccepted {
					errs <- fmt.Errorf("start e%d: %d %v", i, code, err)
					return
				}
				ids[i] = out.ExecutionID
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

type apiEvent struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// checkFinished waits until every execution ended and checks each one:
// SUCCEEDED with its input as output, a gapless history, and every step
// exactly once.
func checkFinished(t *testing.T, s *server, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for i, id := range ids {
		var ex struct {
			Status, Error, Cause string
			Output               json.RawMessage
		}
		for {
			code, err := s.call("GET", "/v1/executions/"+id, nil, &ex)
			if err == nil && code == 200 && ex.Status != "RUNNING" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %q (%d, %v) after %s\n%s", id, ex.Status, code, err, within, s.logTail())
			}
			time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
		}
		want := fmt.Sprintf(`{"n":%d,"wait":%d}`, i, 2+i%2)
		if ex.Status != "SUCCEEDED" || string(ex.Output) != want {
			t.Errorf("%s ended %s %s %s, output %s (want %s)", id, ex.Status, ex.Error, ex.Cause, ex.Output, want)
			continue
		}
		var h struct{ Events []apiEvent }
		if code, err := s.call("GET", "/v1/executions/"+id+"/history?limit=1000", nil, &h); err != nil || code != 200 {
			t.Fatalf("%s history: %d %v", id, code, err)
		}
		counts := map[string]int{}
		for j, e := range h.Events {
			if e.ID != int64(j+1) {
				t.Fatalf("%s: event %d has id %d: history has a gap or a duplicate", id, j+1, e.ID)
			}
			counts[e.Type]++
		}
		wantCounts := map[string]int{"ExecutionStarted": 1, "WaitStateEntered": 2, "WaitStateExited": 2,
			"TaskStateEntered": 1, "TaskScheduled": 1, "TaskSucceeded": 1, "TaskStateExited": 1, "ExecutionSucceeded": 1}
		for typ, n := range wantCounts {
			if counts[typ] != n {
				t.Errorf("%s: %d %s events, want %d (history: %v)", id, counts[typ], typ, n, counts)
			}
		}
	}
}

func putDefinition(t *testing.T, s *server, name string, def map[string]any) {
	t.Helper()
	if code, err := s.call("PUT", "/v1/state-machines/"+name, def, nil); err != nil || (code != 200 && code != 201) {
		t.Fatalf("PUT %s: %d %v\n%s", name, code, err, s.logTail())
	}
}

// TestFaultKillServe: SIGKILL of sfn serve while 300 executions wait or
// call a service; after a restart every one finishes exactly once more
// step by step: SUCCEEDED, gapless, no step twice. Task calls in flight at
// the kill are made again with the same idempotency key.
func TestFaultKillServe(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test with real processes: not in -short")
	}
	t.Parallel()
	killServe(t, redistest.URL(t))
}

// TestFaultKillServeCluster is TestFaultKillServe on a Redis Cluster of
// three masters: the partitions' keys are spread over the shards, and the
// restarted process takes every partition over from them.
func TestFaultKillServeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test with real processes: not in -short")
	}
	t.Parallel()
	killServe(t, redistest.Cluster(t))
}

func killServe(t *testing.T, redisURL string) {
	bin := sfnBinary(t)
	prefix := fmt.Sprintf("kill%d", time.Now().UnixNano())
	echo := newEchoService(t, 500*time.Millisecond)
	addr := freeAddr(t)

	first := serve(t, bin, addr, redisURL, prefix)
	putDefinition(t, first, "faults", faultDefinition(echo.URL))
	const n = 300
	ids := startFaultExecutions(t, first, "faults", n)
	// Kill once calls are under way: some executions are then in the Task
	// state with a call in flight, the rest in a Wait.
	deadline := time.Now().Add(30 * time.Second)
	for echo.calls.Load() < 40 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d task calls after 30s\n%s", echo.calls.Load(), first.logTail())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	if !first.kill() {
		t.Fatalf("sfn serve was not killed by SIGKILL (it ended %v)\n%s", first.exit, first.logTail())
	}
	callsAtKill := echo.calls.Load()

	// A new process (a new node name): it takes the partitions over once
	// the dead node's leases expire.
	second := serve(t, bin, addr, redisURL, prefix)
	checkFinished(t, second, ids, 90*time.Second)
	echo.mu.Lock()
	defer echo.mu.Unlock()
	if len(echo.keys) != n {
		t.Errorf("%d distinct idempotency keys, want one per execution (%d)", len(echo.keys), n)
	}
	again := 0
	for _, c := range echo.keys {
		again += c - 1
	}
	t.Logf("%d task calls before the kill, %d in all; %d made again after the restart", callsAtKill, echo.calls.Load(), again)
	// The kill came within moments of a call arriving, and each call takes
	// the service 500ms: calls were in flight, and they are made again.
	if again == 0 {
		t.Error("no task call was made again after the restart: the kill cut no call in flight, so their recovery was not tested")
	}
}

// TestFaultPauseRedis: while Redis is stopped (SIGSTOP), the API answers
// 503 (the client gives up after 10s, so a hang fails the test) and
// /readyz turns 503; after SIGCONT everything finishes.
func TestFaultPauseRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test with real processes: not in -short")
	}
	t.Parallel()
	bin := sfnBinary(t)
	redis := redistest.Pausable(t)
	echo := newEchoService(t, 200*time.Millisecond)
	s := serve(t, bin, freeAddr(t), redis.URL, "pause")
	putDefinition(t, s, "faults", faultDefinition(echo.URL))
	ids := startFaultExecutions(t, s, "faults", 100)

	if !redisAnswers(redis.URL) {
		t.Fatal("Redis does not answer before the pause")
	}
	redis.Pause(t)
	paused := true
	defer func() {
		if paused {
			redis.Resume(t)
		}
	}()
	if redisAnswers(redis.URL) {
		t.Fatal("Redis still answers after SIGSTOP: it is not paused")
	}
	took := s.waitReady(503, 10*time.Second)
	t.Logf("/readyz turned 503 after %s", took.Round(time.Millisecond))
	for _, path := range []string{"/v1/executions/" + ids[0], "/v1/executions?limit=5"} {
		code, err := s.call("GET", path, nil, nil)
		if err != nil || code != http.StatusServiceUnavailable {
			t.Errorf("GET %s while Redis is paused: %d %v, want 503", path, code, err)
		}
	}
	code, err := s.call("POST", "/v1/state-machines/faults/executions", map[string]any{"name": "during-pause"}, nil)
	if err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("start while Redis is paused: %d %v, want 503", code, err)
	}
	if redisAnswers(redis.URL) {
		t.Fatal("Redis answered during the pause: the 503s above were not caused by it")
	}

	redis.Resume(t)
	paused = false
	s.waitReady(200, 30*time.Second)
	checkFinished(t, s, ids, 90*time.Second)
}

// redisAnswers reports whether the Redis at url answers a PING within a
// second. A paused (SIGSTOP) server accepts the connection but never
// answers.
func redisAnswers(url string) bool {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return false
	}
	opt.MaxRetries = -1
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second, time.Second
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err() == nil
}
