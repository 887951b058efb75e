package main

// Abuse tests: the denial-of-service probes of docs/security.md, in
// bounded form, against a real `sfn serve` process on loopback. They run
// in `make test-abuse` (part of `make test`), without the race detector so
// that their timing means something on two cores; -short skips them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

// serveAbuse starts sfn serve (on the in-memory store unless args say
// otherwise) with extra flags.
func serveAbuse(t *testing.T, args ...string) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("abuse tests start sfn serve and thousands of connections; -short skips them")
	}
	return startServe(t, sfnBinary(t), freeAddr(t), args...)
}

// memKB reads a field of the process's /proc status in kB (VmRSS, VmHWM).
func (s *server) memKB(field string) int {
	s.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatalf("read the server's memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				s.t.Fatalf("%s: %q", field, line)
			}
			return n
		}
	}
	s.t.Fatalf("no %s in /proc status", field)
	return 0
}

// probe measures /healthz on fresh connections, one after another.
func probe(t *testing.T, base string, n int) (lat []time.Duration, failures []string) {
	t.Helper()
	for range n {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		began := time.Now()
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			failures = append(failures, resp.Status)
			continue
		}
		lat = append(lat, time.Since(began))
		time.Sleep(10 * time.Millisecond) // pacing: probes are a monitor, not a load
	}
	slices.Sort(lat)
	return lat, failures
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// attack holds n connections open on addr, each doing what hold does, and
// opens a new one whenever the server closes one, until stop is closed.
func attack(t *testing.T, addr string, n int, stop <-chan struct{}, hold func(net.Conn, <-chan struct{})) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the connects, so the accept queue is not the thing measured.
			time.Sleep(time.Duration(i) * time.Millisecond / 4)
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond): // back off before reconnecting
					}
					continue
				}
				hold(c, stop)
				c.Close()
			}
		}()
	}
	return &wg
}

// trickle sends first, then each every second, until stop or an error.
func trickle(c net.Conn, stop <-chan struct{}, first, each string) {
	if _, err := io.WriteString(c, first); err != nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if _, err := io.WriteString(c, each); err != nil {
				return
			}
		}
	}
}

// slowHeaders sends a request's headers one line a second and never ends them.
func slowHeaders(c net.Conn, stop <-chan struct{}) {
	trickle(c, stop, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: 1\r\n")
}

// slowBody starts a request with a large body and sends it a byte a second.
func slowBody(c net.Conn, stop <-chan struct{}) {
	trickle(c, stop, "POST /v1/state-machines/none/executions HTTP/1.1\r\nHost: 127.0.0.1\r\n"+
		"Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n", " ")
}

// Slow headers and slow bodies on thousands of connections do not slow
// down the answers to everyone else.
func TestAbuseSlowClients(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cap   int
		conns int
		hold  func(net.Conn, <-chan struct{})
	}{
		{"slow headers", 16384, 2000, slowHeaders},
		{"slow bodies", 16384, 2000, slowBody},
		// Past the cap, connections without a request in progress give way.
		{"slow headers past the cap", 500, 1500, slowHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveAbuse(t, "--max-connections", strconv.Itoa(tc.cap))
			addr := strings.TrimPrefix(s.base, "http://")
			stop := make(chan struct{})
			wg := attack(t, addr, tc.conns, stop, tc.hold)
			time.Sleep(2 * time.Second) // let the attack build up (its connects are spread over conns/4 ms)
			lat, failures := probe(t, s.base, 250)
			// The attack was real: the server held its connections (or, past
			// the cap, closed the idle ones to make room).
			held, evicted := metricValue(t, s.base, "sfn_http_connections"), metricValue(t, s.base, "sfn_http_connections_evicted_total")
			close(stop)
			wg.Wait()
			t.Logf("%s: the server held %v connections at the end of the probes, had evicted %v", tc.name, held, evicted)
			if limit := min(tc.conns, tc.cap); held < float64(limit)*3/4 {
				t.Errorf("the server held %v connections, want most of %d: the attack did not take place", held, limit)
			}
			if tc.conns > tc.cap && evicted == 0 {
				t.Errorf("past the cap of %d, no connection was evicted", tc.cap)
			}
			p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
			t.Logf("%s: %d connections: /healthz p50 %v, p99 %v, max %v, %d of 250 failed", tc.name, tc.conns, p50, p99, percentile(lat, 1), len(failures))
			if len(failures) > 0 {
				t.Errorf("%d probes failed, first: %s", len(failures), failures[0])
			}
			if len(lat) < 200 || p99 > 100*time.Millisecond {
				t.Errorf("p99 of %d /healthz probes %v, want at least 200 probes under 100ms", len(lat), p99)
			}
		})
	}
}

// metricValue reads one unlabelled series from /metrics.
func metricValue(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/metrics")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %q", name, line)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// Any token is an HTTP method: /metrics must not keep one series per token.
func TestAbuseRandomMethods(t *testing.T) {
	s := serveAbuse(t)
	addr := strings.TrimPrefix(s.base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 5000 {
		// One connection, keep-alive: the methods are what varies.
		fmt.Fprintf(c, "M%06dZ /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", i)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("/metrics after 5,000 invented methods: %d bytes", len(body))
	if len(body) > 200<<10 {
		t.Fatalf("/metrics is %d bytes after 5,000 invented methods, want under 200 KB", len(body))
	}
	if bytes.Contains(body, []byte(`method="M0`)) {
		t.Fatal("/metrics holds an invented method as a label value")
	}
}

// startAndWait starts an execution of sm and waits for its end.
func startAndWait(t *testing.T, s *server, sm string, input any) map[string]any {
	t.Helper()
	var ex map[string]any
	code, err := s.call(http.MethodPost, "/v1/state-machines/"+sm+"/executions?wait=60s", map[string]any{"input": input}, &ex)
	if err != nil || code != http.StatusOK {
		t.Fatalf("start %s: %d %v %v\n%s", sm, code, err, ex, s.logTail())
	}
	return ex
}

// One definition or execution may not take the node's memory: a Map over
// 120,000 items without MaxConcurrency and States.Format with 2,000
// placeholders over a 200 KB string each fail cleanly, on either store; on
// Redis no script call of theirs blocks Redis for long (the Map's first
// step was one call of 360,000 arguments).
func TestAbuseLargeWork(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		largeWork(t, serveAbuse(t))
	})
	t.Run("redis", func(t *testing.T) {
		if testing.Short() {
			t.Skip("abuse tests start sfn serve; -short skips them")
		}
		// A private server: its slow log must be this test's alone.
		url := redistest.Server(t, "--slowlog-log-slower-than", "50000")
		s := serveAbuse(t, "--redis-url", url, "--redis-prefix", "abuse")
		largeWork(t, s)
		opt, err := goredis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		slow, err := c.SlowLogGet(context.Background(), 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range slow {
			if len(e.Args) > 0 && (strings.EqualFold(e.Args[0], "evalsha") || strings.EqualFold(e.Args[0], "fcall") || strings.EqualFold(e.Args[0], "eval")) {
				t.Errorf("a script call took %v in Redis (%d arguments), want under 50 ms", e.Duration, len(e.Args))
			}
		}
		t.Logf("Redis slow log (over 50 ms): %d entries", len(slow))
	})
}

func largeWork(t *testing.T, s *server) {
	t.Helper()
	mapDef := map[string]any{"StartAt": "M", "States": map[string]any{"M": map[string]any{
		"Type": "Map", "ItemsPath": "$.items", "End": true,
		"ItemProcessor": map[string]any{"StartAt": "P", "States": map[string]any{"P": map[string]any{"Type": "Pass", "End": true}}},
	}}}
	args := strings.Repeat(", $.a", 2000)
	formatDef := map[string]any{"StartAt": "F", "States": map[string]any{"F": map[string]any{
		"Type": "Pass", "Parameters": map[string]any{"out.$": "States.Format($.s" + args + ")"}, "End": true,
	}}}
	putDefinition(t, s, "bigmap", mapDef)
	putDefinition(t, s, "bigformat", formatDef)
	// A first small run of each, so the baseline holds the code paths' own memory.
	startAndWait(t, s, "bigformat", map[string]any{"s": "{}", "a": "x"})
	startAndWait(t, s, "bigmap", map[string]any{"items": []int{1, 2}})
	base := s.memKB("VmRSS")

	items := make([]int, 120000)
	big := map[string]any{"s": strings.Repeat("{}", 2000), "a": strings.Repeat("a", 200000)}
	for i := range 3 {
		ex := startAndWait(t, s, "bigformat", big)
		if ex["status"] != "FAILED" || ex["error"] != "States.DataLimitExceeded" {
			t.Fatalf("format %d: %v %v, want FAILED States.DataLimitExceeded", i, ex["status"], ex["error"])
		}
	}
	for i := range 3 {
		began := time.Now()
		ex := startAndWait(t, s, "bigmap", map[string]any{"items": items})
		if ex["status"] != "FAILED" || ex["error"] != "States.Runtime" {
			t.Fatalf("map %d: %v %v (%v), want FAILED States.Runtime (the history limit)", i, ex["status"], ex["error"], ex["cause"])
		}
		id, _ := ex["executionId"].(string)
		n := 0
		for cursor := ""; ; {
			var page struct {
				Events     []json.RawMessage `json:"events"`
				NextCursor string            `json:"nextCursor"`
			}
			code, err := s.call(http.MethodGet, "/v1/executions/"+id+"/history?limit=1000&cursor="+cursor, nil, &page)
			if err != nil || code != 200 {
				t.Fatalf("history: %d %v", code, err)
			}
			n += len(page.Events)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		t.Logf("map %d: %d history events in %v", i, n, time.Since(began).Round(time.Millisecond))
		if n != 25000 {
			t.Fatalf("map %d: %d history events, want exactly the limit of 25,000", i, n)
		}
	}
	peak := s.memKB("VmHWM")
	t.Logf("RSS before %d MB, peak during %d MB: growth %d MB", base>>10, peak>>10, (peak-base)>>10)
	if peak-base > 100<<10 {
		t.Fatalf("the server's RSS grew by %d MB (peak %d MB from %d MB), want under 100 MB", (peak-base)>>10, peak>>10, base>>10)
	}
}
