package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The raw HTTP/1.1 client and echo server below do per request a small
// part of what net/http does (no per-connection goroutines, no header
// maps), as wrk does for starts: on a machine of two cores the load
// generator shares the CPU with sfn and Redis, and every microsecond it
// spends is taken from what is measured. They speak only what sfn and
// sfn's HTTP task client send: plain http, keep-alive, Content-Length or
// chunked bodies. --raw=false uses net/http instead.

// maxBody bounds what the raw client and server read of a body.
const maxBody = 8 << 20

// rawConn is one keep-alive connection to the sfn server, for one
// goroutine at a time.
type rawConn struct {
	addr, host, token string
	conn              net.Conn
	r                 *bufio.Reader
	buf               []byte // the request being written
	body              []byte // the last answer's body; reused
}

func newRawConn(server, token string) (*rawConn, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, usagef("--raw needs an http:// --server (not %q); use --raw=false", server)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawConn{addr: addr, host: u.Host, token: token}, nil
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// do sends one request and reads its answer. The body returned is valid
// until the next call.
func (c *rawConn) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	deadline := time.Now().Add(90 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if !time.Now().Before(deadline) { // the context's own timer may lag its deadline
		return 0, nil, context.DeadlineExceeded
	}
	b := c.buf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	if c.token != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, c.token...)
	}
	if body != nil {
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	c.buf = b
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", c.addr)
			if err != nil {
				return 0, nil, err
			}
			c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
		}
		code, data, err := c.exchange(ctx, b, deadline)
		if err == nil {
			return code, data, nil
		}
		if !time.Now().Before(deadline) {
			return 0, nil, context.DeadlineExceeded
		}
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		// A kept-alive connection the server closed while idle fails
		// before any answer: that request was never served, so it is sent
		// again once on a new connection (as net/http does).
		if !reused || attempt > 0 || !errors.Is(err, errNoAnswer) {
			return 0, nil, err
		}
	}
}

// errNoAnswer: the connection ended before the first byte of an answer.
var errNoAnswer = errors.New("connection closed before an answer")

// exchange writes a request and reads its answer on c's connection,
// which it closes on any error or when the server asks to.
func (c *rawConn) exchange(ctx context.Context, req []byte, deadline time.Time) (int, []byte, error) {
	_ = c.conn.SetDeadline(deadline)
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) }) // cancellation ends a wait
	defer stop()
	if _, err := conn.Write(req); err != nil {
		c.close()
		return 0, nil, fmt.Errorf("%w: %v", errNoAnswer, err)
	}
	if _, err := c.r.Peek(1); err != nil {
		c.close()
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return 0, nil, fmt.Errorf("%w: %v", errNoAnswer, err)
		}
		return 0, nil, err
	}
	code, data, keep, err := readMessage(c.r, c.body[:0], true)
	if err != nil {
		c.close()
		return 0, nil, err
	}
	c.body = data
	if !keep {
		c.close()
	}
	return code, data, nil
}

// readMessage reads an HTTP/1.1 response (status code) or request (code
// 0; the request line is skipped) with its body, appended to buf; keep is
// false when the peer asked to close the connection.
func readMessage(r *bufio.Reader, buf []byte, response bool) (code int, body []byte, keep bool, err error) {
	line, err := readLine(r)
	if err != nil {
		return 0, nil, false, err
	}
	if response {
		// HTTP/1.1 200 OK
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
			return 0, nil, false, fmt.Errorf("malformed status line %q", line)
		}
		if code, err = strconv.Atoi(string(line[9:12])); err != nil {
			return 0, nil, false, fmt.Errorf("malformed status line %q", line)
		}
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, nil, false, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, false, fmt.Errorf("malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqual(name, "content-length"):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 || length > maxBody {
				return 0, nil, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case asciiEqual(name, "transfer-encoding"):
			chunked = asciiEqual(value, "chunked")
		case asciiEqual(name, "connection"):
			keep = !asciiEqual(value, "close")
		}
	}
	switch {
	case chunked:
		body, err = readChunked(r, buf)
	case length >= 0:
		body = grow(buf, length)
		_, err = io.ReadFull(r, body)
	case response && code != 204 && code != 304:
		return 0, nil, false, errors.New("a response without a length")
	default:
		body = buf[:0]
	}
	return code, body, keep, err
}

func readChunked(r *bufio.Reader, buf []byte) ([]byte, error) {
	body := buf[:0]
	for {
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 || int(n) > maxBody-len(body) {
			return nil, fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, up to the empty line
				if line, err = readLine(r); err != nil || len(line) == 0 {
					return body, err
				}
			}
		}
		start := len(body)
		body = grow(body, start+int(n))
		if _, err := io.ReadFull(r, body[start:]); err != nil {
			return nil, err
		}
		if line, err = readLine(r); err != nil || len(line) != 0 {
			return nil, fmt.Errorf("malformed chunk end")
		}
	}
}

// readLine reads a line without its CRLF; the slice is valid until the
// next read.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// grow returns buf resized to n bytes, reusing its array when it can.
func grow(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf[:n]
	}
	out := make([]byte, n, max(n, 2*cap(buf)))
	copy(out, buf)
	return out
}

func asciiEqual(b []byte, lower string) bool {
	return len(b) == len(lower) && strings.EqualFold(string(b), lower)
}

// rawEndpoint is the echo endpoint of the HTTP tasks on raw connections:
// it answers every request with 200 and its body, as JSON.
type rawEndpoint struct {
	ln    net.Listener
	calls *atomic.Int64
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startRawEndpoint(calls *atomic.Int64) (*rawEndpoint, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	e := &rawEndpoint{ln: ln, calls: calls, conns: map[net.Conn]struct{}{}}
	go e.serve()
	return e, "http://" + ln.Addr().String() + "/ok", nil
}

func (e *rawEndpoint) serve() {
	for {
		conn, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[conn] = struct{}{}
		e.mu.Unlock()
		go e.handle(conn)
	}
}

func (e *rawEndpoint) handle(conn net.Conn) {
	defer func() {
		e.mu.Lock()
		delete(e.conns, conn)
		e.mu.Unlock()
		_ = conn.Close()
	}()
	r := bufio.NewReaderSize(conn, 16<<10)
	var body, out []byte
	for {
		_, b, keep, err := readMessage(r, body[:0], false)
		if err != nil {
			return
		}
		body = b
		e.calls.Add(1)
		out = append(out[:0], "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "...)
		out = strconv.AppendInt(out, int64(len(body)), 10)
		out = append(out, "\r\n\r\n"...)
		out = append(out, body...)
		if _, err := conn.Write(out); err != nil || !keep {
			return
		}
	}
}

func (e *rawEndpoint) close() {
	_ = e.ln.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.conns {
		_ = c.Close()
	}
}
