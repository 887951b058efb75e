package httptask

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// countingServer is an httptest server that counts the connections it
// accepted.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func call(t *testing.T, c *Client, ctx context.Context, method, url string) (value.Value, *failure.Error) {
	t.Helper()
	return c.Invoke(ctx, Request{Parameters: value.ObjectOf("ApiEndpoint", url, "Method", method,
		"RequestBody", value.ObjectOf("n", 1)), IdempotencyKey: "exec/1"})
}

func field(t *testing.T, res value.Value, name string) value.Value {
	t.Helper()
	o, ok := res.(*value.Object)
	if !ok {
		t.Fatalf("result %v is not an object", res)
	}
	v, _ := o.Get(name)
	return v
}

// bodyText is a result's ResponseBody as JSON text, or as the text it is.
func bodyText(t *testing.T, res value.Value) string {
	t.Helper()
	if s, ok := field(t, res, "ResponseBody").(string); ok {
		return s
	}
	return string(value.Marshal(field(t, res, "ResponseBody")))
}

// Calls reuse one keep-alive connection whatever framing the answer uses,
// and a connection whose answer was not read to its end, or that the
// server closes, is not reused.
func TestPlainTransportReuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		conns   int64 // after 20 calls
		body    string
	}{
		{"content-length", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, `{"ok":true}`)
		}, 1, `{"ok":true}`},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"part":`)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, `1}`)
		}, 1, `{"part":1}`},
		{"empty", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, 1, ``},
		{"connection close", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, `{}`)
		}, 20, `{}`},
		{"over the size cap", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, strings.Repeat("x", MaxResponse+10))
		}, 20, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, conns := countingServer(t, tc.handler)
			c := newClient(t, Config{})
			for i := range 20 {
				res, ferr := call(t, c, context.Background(), "POST", srv.URL)
				if tc.name == "over the size cap" {
					if ferr == nil || !strings.Contains(ferr.Cause, "larger than") {
						t.Fatalf("call %d: %v, want the size error", i, ferr)
					}
					continue
				}
				if ferr != nil {
					t.Fatalf("call %d: %v", i, ferr)
				}
				if got := bodyText(t, res); tc.body != "" && got != tc.body {
					t.Fatalf("call %d: body %s, want %s", i, got, tc.body)
				}
			}
			if got := conns.Load(); got != tc.conns {
				t.Errorf("20 calls took %d connections, want %d", got, tc.conns)
			}
		})
	}
}

// rawServer answers each connection with answer(request number on the
// connection, request head), and closes the connection after it when
// answer says so.
func rawServer(t *testing.T, answer func(n int, head string) (string, bool)) (string, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	addr := tcpServer(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for n := 0; ; n++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			requests.Add(1)
			out, closeAfter := answer(n, req.Method+" "+req.URL.Path)
			if _, err := io.WriteString(conn, out); err != nil || closeAfter {
				return
			}
		}
	})
	return "http://" + addr, &requests
}

// tcpServer serves each connection on loopback with handle, which the
// connection is closed after; it returns the address.
func tcpServer(t *testing.T, handle func(conn net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	return l.Addr().String()
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

// A server that closes an idle keep-alive connection without saying so:
// the next call fails on it before any answer, and is sent once more on a
// new connection.
func TestPlainTransportRetriesClosedIdle(t *testing.T) {
	t.Parallel()
	url, requests := rawServer(t, func(int, string) (string, bool) { return okAnswer, true })
	c := newClient(t, Config{})
	for i := range 5 {
		if _, ferr := call(t, c, context.Background(), "POST", url); ferr != nil {
			t.Fatalf("call %d: %v", i, ferr)
		}
		// Let the server's close reach this side before the next call,
		// so that the next call does meet a dead connection.
		c.plain.mu.Lock()
		idle := c.plain.idle
		c.plain.mu.Unlock()
		for _, list := range idle {
			for _, pc := range list {
				waitClosed(t, pc)
			}
		}
	}
	if got := requests.Load(); got != 5 {
		t.Errorf("the server handled %d requests, want 5 (each once)", got)
	}
}

// waitClosed waits until the peer has closed pc, without consuming data.
func waitClosed(t *testing.T, pc *plainConn) {
	t.Helper()
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := pc.br.Peek(1); !errors.Is(err, io.EOF) {
		t.Fatalf("the server did not close the connection: %v", err)
	}
	_ = pc.SetReadDeadline(time.Time{})
}

// Informational answers are skipped; an answer delimited by the end of
// the connection is read to that end.
func TestPlainTransportFraming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, answer, body string
		closeAfter         bool
	}{
		{"100 continue first", "HTTP/1.1 100 Continue\r\n\r\n" + okAnswer, `{}`, false},
		{"103 early hints first", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + okAnswer, `{}`, false},
		{"until close", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"to\":\"eof\"}", `{"to":"eof"}`, true},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"v\":10}", `{"v":10}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, requests := rawServer(t, func(int, string) (string, bool) { return tc.answer, tc.closeAfter })
			c := newClient(t, Config{})
			for i := range 3 {
				res, ferr := call(t, c, context.Background(), "POST", url)
				if ferr != nil {
					t.Fatalf("call %d: %v", i, ferr)
				}
				if got := bodyText(t, res); got != tc.body {
					t.Fatalf("call %d: body %s, want %s", i, got, tc.body)
				}
			}
			if got := requests.Load(); got != 3 {
				t.Errorf("the server handled %d requests, want 3", got)
			}
		})
	}
}

func TestPlainTransportHead(t *testing.T) {
	t.Parallel()
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("Content-Length", "1234") // HEAD: the length of a body not sent
	})
	c := newClient(t, Config{})
	for i := range 3 {
		res, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", srv.URL, "Method", "HEAD")})
		if ferr != nil {
			t.Fatalf("call %d: %v", i, ferr)
		}
		h := field(t, res, "Headers").(*value.Object)
		if m, _ := h.Get("x-method"); fmt.Sprint(m) != "[HEAD]" {
			t.Fatalf("call %d: x-method %v", i, m)
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("3 HEAD calls took %d connections, want 1", got)
	}
}

// A call whose context ends while the server is still sending gives up at
// once, with the timeout as its error, and its connection is not reused.
func TestPlainTransportDeadlineMidBody(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall" {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "part")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	defer close(release)
	c := newClient(t, Config{})
	if _, ferr := call(t, c, context.Background(), "POST", srv.URL+"/fast"); ferr != nil {
		t.Fatal(ferr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, ferr := call(t, c, ctx, "POST", srv.URL+"/stall")
	if ferr == nil || ferr.Name != failure.Timeout {
		t.Fatalf("stalled body: %v, want %s", ferr, failure.Timeout)
	}
	if _, ferr := call(t, c, context.Background(), "POST", srv.URL+"/fast"); ferr != nil {
		t.Fatal(ferr)
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections, want 2 (the stalled one is not reused)", got)
	}

	// Cancelled rather than timed out: the call returns the cancellation.
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, ccancel)
	_, ferr = call(t, c, cctx, "POST", srv.URL+"/stall")
	if ferr == nil || !strings.Contains(ferr.Cause, "canceled") {
		t.Fatalf("cancelled call: %v, want a cancellation", ferr)
	}
}

// Redirects still go through http.Client and the destination policy.
func TestPlainTransportRedirect(t *testing.T) {
	t.Parallel()
	target, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"method":%q}`, r.Method)
	})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/there", http.StatusSeeOther)
	})
	c := newClient(t, Config{})
	res, ferr := call(t, c, context.Background(), "POST", srv.URL)
	if ferr != nil {
		t.Fatal(ferr)
	}
	if got := bodyText(t, res); got != `{"method":"GET"}` {
		t.Errorf("after a 303: %s, want a GET", got)
	}
	denied := newClient(t, Config{Allow: []string{"localhost"}})
	if _, ferr := call(t, denied, context.Background(), "POST", fmt.Sprintf("http://localhost:%d", srv.Listener.Addr().(*net.TCPAddr).Port)); ferr == nil || !strings.Contains(ferr.Cause, "not") {
		t.Errorf("a redirect to a destination outside --http-allow: %v, want a refusal", ferr)
	}
}

func TestPlainTransportCloseIdle(t *testing.T) {
	t.Parallel()
	srv, conns := countingServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
	c := newClient(t, Config{})
	for range 2 {
		if _, ferr := call(t, c, context.Background(), "POST", srv.URL); ferr != nil {
			t.Fatal(ferr)
		}
		c.CloseIdle()
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections, want 2 (CloseIdle closed the first)", got)
	}
}

// What a server sends on an idle connection, or past an answer, is not
// taken for the next call's answer.
func TestPlainTransportStrayBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		answer   func(n int) (string, bool)
		requests int64 // the server reads for 4 calls
	}{
		// The 408 a server sends when it gives up an idle connection, met
		// by the next request on it: that request is sent again on a new
		// connection.
		{"408 on idle", func(n int) (string, bool) {
			if n == 0 {
				return okAnswer, false
			}
			return "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true
		}, 7},
		{"bytes past the body", func(int) (string, bool) { return okAnswer + "garbage", false }, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, requests := rawServer(t, func(n int, _ string) (string, bool) { return tc.answer(n) })
			c := newClient(t, Config{})
			for i := range 4 {
				if _, ferr := call(t, c, context.Background(), "POST", url); ferr != nil {
					t.Fatalf("call %d: %v", i, ferr)
				}
			}
			if got := requests.Load(); got != tc.requests {
				t.Errorf("the server read %d requests, want %d", got, tc.requests)
			}
		})
	}
}

// A response head is bounded, 1xx answers included.
func TestPlainTransportHeadBound(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]string{
		"long header": "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 2*maxResponseHead) + "\r\nContent-Length: 0\r\n\r\n",
		"endless 1xx": strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n", maxResponseHead/30) + okAnswer,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, _ := rawServer(t, func(int, string) (string, bool) { return answer, true })
			c := newClient(t, Config{})
			if _, ferr := call(t, c, context.Background(), "POST", url); ferr == nil || !strings.Contains(ferr.Cause, "larger than 1 MiB") {
				t.Fatalf("%v, want the head size error", ferr)
			}
		})
	}
}

// A call whose context is over sends nothing.
func TestPlainTransportCancelledBeforeSending(t *testing.T) {
	t.Parallel()
	url, requests := rawServer(t, func(int, string) (string, bool) { return okAnswer, false })
	c := newClient(t, Config{})
	if _, ferr := call(t, c, context.Background(), "POST", url); ferr != nil {
		t.Fatal(ferr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ferr := call(t, c, ctx, "POST", url); ferr == nil {
		t.Fatal("a call with a cancelled context succeeded")
	}
	// A third call on the same connection: the server has seen two
	// requests, so the cancelled one never reached it.
	if _, ferr := call(t, c, context.Background(), "POST", url); ferr != nil {
		t.Fatal(ferr)
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("the server handled %d requests, want 2", got)
	}
}

// An answer sent before the request was all written (the server refuses
// a large body and closes) is the call's answer.
func TestPlainTransportEarlyAnswer(t *testing.T) {
	t.Parallel()
	addr := tcpServer(t, func(conn net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil { // the head only
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		conn.(*net.TCPConn).SetLinger(0) // reset at close: the client's write fails
	})
	c := newClient(t, Config{})
	big := strings.Repeat("x", 8<<20)
	_, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", "http://"+addr,
		"Method", "POST", "RequestBody", big)})
	if ferr == nil || (ferr.Name != "States.Http.StatusCode.413" && !strings.Contains(ferr.Cause, "reset")) {
		t.Fatalf("%v, want the 413 (or, when the reset lost the answer, a reset)", ferr)
	}
}

// Header names and values net/http refuses are refused over plain HTTP too.
func TestPlainTransportHeaderValidation(t *testing.T) {
	t.Parallel()
	url, requests := rawServer(t, func(int, string) (string, bool) { return okAnswer, false })
	c := newClient(t, Config{})
	for _, h := range []*value.Object{
		value.ObjectOf("X-Split", "a\r\nInjected: yes"),
		value.ObjectOf("Bad Name", "v"),
		value.ObjectOf("X-Nul", "a\x00b"),
	} {
		_, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", url, "Method", "GET", "Headers", h)})
		if ferr == nil || !strings.Contains(ferr.Cause, "invalid header") {
			t.Errorf("headers %s: %v, want an invalid header error", value.Marshal(h), ferr)
		}
	}
	if got := requests.Load(); got != 0 {
		t.Errorf("the server handled %d requests, want none", got)
	}
}

// A full pool makes room for a new host's connection by closing another
// host's oldest one.
func TestPlainTransportPoolBound(t *testing.T) {
	t.Parallel()
	c := newClient(t, Config{})
	c.plain.maxIdleAll = 2
	var urls []string
	var conns []*atomic.Int64
	for range 3 {
		srv, n := countingServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		urls, conns = append(urls, srv.URL), append(conns, n)
	}
	for round := range 2 {
		for i, u := range urls {
			if _, ferr := call(t, c, context.Background(), "POST", u); ferr != nil {
				t.Fatalf("round %d host %d: %v", round, i, ferr)
			}
		}
	}
	c.plain.mu.Lock()
	nidle, hosts := c.plain.nidle, len(c.plain.idle)
	c.plain.mu.Unlock()
	if nidle != 2 || hosts != 2 {
		t.Errorf("%d idle connections to %d hosts, want 2 and 2", nidle, hosts)
	}
	// The host called last kept its connection.
	before := conns[2].Load()
	if _, ferr := call(t, c, context.Background(), "POST", urls[2]); ferr != nil {
		t.Fatal(ferr)
	}
	if got := conns[2].Load(); got != before {
		t.Errorf("the host called last saw a new connection (%d, was %d)", got, before)
	}
}
