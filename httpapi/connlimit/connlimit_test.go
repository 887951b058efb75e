package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs an HTTP server over a Listener capped at limit; handler
// answers every request.
func serve(t *testing.T, limit int, handler http.Handler) (*Listener, string) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(raw, limit, true)
	srv := &http.Server{Handler: l.Handler(handler), ConnContext: l.ConnContext, ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l, raw.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get sends one GET on c and returns the status line.
func get(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimSpace(line)
}

// waitOpen waits until the listener counts want open connections (the
// server accepts in its own goroutine).
func waitOpen(t *testing.T, l *Listener, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.Stats().Open != want {
		if time.Now().After(deadline) {
			t.Fatalf("open connections: %d, want %d", l.Stats().Open, want)
		}
		time.Sleep(time.Millisecond) // polling a counter, not waiting for an event
	}
}

// Connections that never send a request give way to one that does, the
// oldest first.
func TestSilentConnectionsAreEvicted(t *testing.T) {
	l, addr := serve(t, 3, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	silent := []net.Conn{dial(t, addr), dial(t, addr), dial(t, addr)}
	waitOpen(t, l, 3)

	if got := get(t, dial(t, addr)); got != "HTTP/1.1 200 OK" {
		t.Fatalf("a request over the cap of silent connections: %q, want 200", got)
	}
	// The oldest silent connection was closed for it; the others stay.
	_ = silent[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("oldest silent connection: read %v, want EOF (closed)", err)
	}
	_ = silent[1].SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := silent[1].Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("second silent connection: read %v, want a timeout (still open)", err)
	}
	if s := l.Stats(); s.Evicted != 1 || s.Refused != 0 || s.Open > 3 {
		t.Fatalf("stats %+v, want 1 evicted, 0 refused, at most 3 open", s)
	}
}

// When every connection has a request in progress, a newcomer is told 503
// at once, and the busy ones finish.
func TestBusyConnectionsRefuseNewcomers(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	l, addr := serve(t, 2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}))
	busy := []net.Conn{dial(t, addr), dial(t, addr)}
	for _, c := range busy {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	<-started
	<-started

	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("newcomer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"error":"Unavailable"`) ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("newcomer: %d %s %q, want 503 Unavailable with Retry-After", resp.StatusCode, resp.Header, body)
	}
	close(release)
	for i, c := range busy {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("busy connection %d: %v %v, want 200", i, resp, err)
		}
	}
	if s := l.Stats(); s.Refused != 1 || s.Evicted != 0 {
		t.Fatalf("stats %+v, want 1 refused, 0 evicted", s)
	}
}

// A connection that finished its request is idle, and evictable again;
// closed connections give their place back.
func TestIdleConnectionsAreEvictable(t *testing.T) {
	l, addr := serve(t, 1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	first := dial(t, addr)
	if got := get(t, first); got != "HTTP/1.1 200 OK" {
		t.Fatalf("first: %q", got)
	}
	if got := get(t, dial(t, addr)); got != "HTTP/1.1 200 OK" {
		t.Fatalf("second, over the cap of one idle connection: %q, want 200", got)
	}
	_ = first.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := first.Read(make([]byte, 1)); err == nil {
		t.Fatal("the idle first connection is still open")
	}
	waitOpen(t, l, 1)
}
