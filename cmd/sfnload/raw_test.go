package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadMessage: the raw reader takes what net/http servers and clients
// send: lengths, chunks, no body, and the peer's wish to close.
func TestReadMessage(t *testing.T) {
	tests := []struct {
		name, in string
		response bool
		code     int
		body     string
		keep     bool
		err      bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, 200, "hello", true, false},
		{"chunked", "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: t\r\n\r\n", true, 201, "abcde", true, false},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", true, 204, "", true, false},
		{"close", "HTTP/1.1 200 OK\r\nconnection: Close\r\ncontent-length: 2\r\n\r\n{}", true, 200, "{}", false, false},
		{"request", "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"i\":1}", false, 0, `{"i":1}`, true, false},
		{"request without a body", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, 0, "", true, false},
		{"response without a length", "HTTP/1.1 200 OK\r\n\r\nabc", true, 0, "", false, true},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", true, 0, "", false, true},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", true, 0, "", false, true},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", true, 0, "", false, true},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true, 0, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, keep, err := readMessage(bufio.NewReader(strings.NewReader(tt.in)), nil, tt.response)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if code != tt.code || string(body) != tt.body || keep != tt.keep {
				t.Fatalf("got %d %q keep %v, want %d %q keep %v", code, body, keep, tt.code, tt.body, tt.keep)
			}
		})
	}
}

// TestRawConn: the raw client against net/http: keep-alive, a body net/http
// sends chunked, a token, and a server that closes.
func TestRawConn(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/big": // larger than net/http's buffer: sent chunked
			w.Write(bytes.Repeat([]byte("x"), 100_000))
		case "/auth":
			w.Write([]byte(r.Header.Get("Authorization")))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write(body)
		default:
			w.WriteHeader(http.StatusAccepted)
			w.Write(body)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := newRawConn(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, tt := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/echo", `{"a":1}`, 202, `{"a":1}`},
		{"/big", "", 200, strings.Repeat("x", 100_000)},
		{"/auth", "", 200, "Bearer tok"},
		{"/echo", "", 202, ""},
		{"/close", `{}`, 200, `{}`},
		{"/echo", `{"after":"close"}`, 202, `{"after":"close"}`},
	} {
		var body []byte
		if tt.body != "" {
			body = []byte(tt.body)
		}
		code, got, err := c.do(ctx, http.MethodPost, tt.path, body)
		if err != nil || code != tt.code || string(got) != tt.want {
			t.Fatalf("request %d %s: %d %.40q %v, want %d %.40q", i, tt.path, code, got, err, tt.code, tt.want)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (one kept alive until the server closed it)", n)
	}
	expired, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	if _, _, err := c.do(expired, http.MethodGet, "/echo", nil); err == nil {
		t.Fatal("a request after the deadline was sent")
	}
}

// TestRawEndpoint: net/http's client (as sfn's HTTP tasks use it) against
// the raw echo endpoint: answers, keep-alive, the call count.
func TestRawEndpoint(t *testing.T) {
	var calls atomic.Int64
	e, url, err := startRawEndpoint(&calls)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	cl := &http.Client{Timeout: 5 * time.Second}
	for i := range 3 {
		body := strings.Repeat("y", i*50_000)
		res, err := cl.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != body || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("call %d: %d %q, %d bytes, want an echo of %d", i, res.StatusCode, res.Header.Get("Content-Type"), len(got), len(body))
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls counted, want 3", n)
	}
}

// TestRawConnRetriesClosedIdle: a server that closes a kept-alive
// connection after one answer (without saying so) costs the next request
// a new connection, not an error.
func TestRawConnRetriesClosedIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer conn.Close()
				if _, _, _, err := readMessage(bufio.NewReader(conn), nil, false); err != nil {
					return
				}
				_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
			}()
		}
	}()
	c, err := newRawConn("http://"+ln.Addr().String(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		code, body, err := c.do(ctx, http.MethodGet, "/", nil)
		if err != nil || code != 200 || string(body) != "ok" {
			t.Fatalf("request %d: %d %q %v", i, code, body, err)
		}
	}
	if n := accepted.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (each closed after one answer)", n)
	}
}
