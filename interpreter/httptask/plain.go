package httptask

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// plainTransport performs plain-HTTP/1.1 requests itself and hands every
// other scheme to net/http's Transport. A call is one write and one read
// on a pooled keep-alive connection, in the caller's goroutine: net/http's
// Transport runs a reader and a writer goroutine per connection and hands
// each request and response between them, which was a third of a node's
// CPU on a run of short HTTP tasks (see BENCHMARKS.md). The http.Client in
// front of it still does redirects and their policy checks.
//
// Like net/http, a request that fails on a reused connection before any
// answer arrived is sent once more on a new connection: the server may
// have closed the idle connection meanwhile. Every HTTP Task request
// carries an Idempotency-Key, which is net/http's own condition for that
// retry.
type plainTransport struct {
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	other       http.RoundTripper
	maxIdle     int // per host:port
	maxIdleAll  int
	idleTimeout time.Duration

	mu    sync.Mutex
	idle  map[string][]*plainConn // by host:port; the newest last
	nidle int
}

type plainConn struct {
	net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

func (t *plainTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.other.RoundTrip(req)
	}
	ctx := req.Context()
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	pc, reused, err := t.get(ctx, addr)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, early, err := t.exchange(ctx, pc, addr, req)
	if err == nil {
		return resp, nil
	}
	pc.Close()
	if !reused || !early || (req.GetBody == nil && req.Body != nil && req.Body != http.NoBody) || ctx.Err() != nil {
		return nil, ctxErr(ctx, err)
	}
	again := *req // a RoundTripper must not change the caller's request
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	if pc, err = t.dialConn(ctx, addr); err != nil {
		closeBody(&again)
		return nil, err
	}
	resp, _, err = t.exchange(ctx, pc, addr, &again)
	if err != nil {
		pc.Close()
		return nil, ctxErr(ctx, err)
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// exchange writes req and reads the head of its response. early reports
// an error before any byte of an answer arrived, the case that may be
// sent again.
func (t *plainTransport) exchange(ctx context.Context, pc *plainConn, addr string, req *http.Request) (resp *http.Response, early bool, err error) {
	// A call whose context ends (its deadline, or cancelled) unblocks at
	// once: the connection's deadline is set in the past. The context's
	// own timer does it, which is cheaper than setting the connection's
	// deadlines (runtime timers) on every call.
	stop := context.AfterFunc(ctx, func() { pc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if err != nil {
			stop()
		}
	}()
	if err := req.Write(pc.bw); err != nil {
		return nil, true, err
	}
	if err := pc.bw.Flush(); err != nil {
		return nil, true, err
	}
	if _, err := pc.br.Peek(1); err != nil {
		return nil, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), err
	}
	for {
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			return nil, false, err
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, false, errors.New("the server switched protocols (101), which an HTTP Task does not speak")
		}
		if resp.StatusCode >= 200 || resp.StatusCode < 100 {
			break
		}
		// 1xx: informational, the answer follows.
	}
	resp.Body = &plainBody{t: t, pc: pc, addr: addr, ctx: ctx, body: resp.Body, stop: stop,
		reusable: !resp.Close && !req.Close}
	return resp, false, nil
}

// ctxErr reports an I/O error caused by the call's deadline or
// cancellation as the context's error, which is what callers test for.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// get takes the most recently used idle connection to addr, or dials one.
func (t *plainTransport) get(ctx context.Context, addr string) (*plainConn, bool, error) {
	now := time.Now()
	var stale []*plainConn
	t.mu.Lock()
	list := t.idle[addr]
	var pc *plainConn
	for len(list) > 0 && pc == nil {
		c := list[len(list)-1]
		list = list[:len(list)-1]
		t.nidle--
		if now.Sub(c.idleSince) > t.idleTimeout {
			stale = append(stale, c)
			continue
		}
		pc = c
	}
	if len(list) == 0 {
		delete(t.idle, addr)
	} else {
		t.idle[addr] = list
	}
	t.mu.Unlock()
	for _, c := range stale {
		c.Close()
	}
	if pc != nil {
		return pc, true, nil
	}
	pc, err := t.dialConn(ctx, addr)
	return pc, false, err
}

func (t *plainTransport) dialConn(ctx context.Context, addr string) (*plainConn, error) {
	c, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &plainConn{Conn: c, br: bufio.NewReaderSize(c, 4096), bw: bufio.NewWriterSize(c, 4096)}, nil
}

// put returns a connection whose response was read to the end, and
// whose deadline was never set (the call's context did not end). The
// oldest idle connection of addr is closed when it has idled too long.
func (t *plainTransport) put(addr string, pc *plainConn) {
	now := time.Now()
	pc.idleSince = now
	var closing []*plainConn
	t.mu.Lock()
	list := t.idle[addr]
	if len(list) > 0 && now.Sub(list[0].idleSince) > t.idleTimeout {
		closing = append(closing, list[0])
		list = list[1:]
		t.nidle--
	}
	if len(list) >= t.maxIdle || t.nidle >= t.maxIdleAll {
		closing = append(closing, pc)
	} else {
		list = append(list, pc)
		t.nidle++
	}
	t.idle[addr] = list
	t.mu.Unlock()
	for _, c := range closing {
		c.Close()
	}
}

// CloseIdleConnections closes every idle connection (http.Client's
// CloseIdleConnections calls it).
func (t *plainTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.nidle = map[string][]*plainConn{}, 0
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.Close()
		}
	}
	if o, ok := t.other.(interface{ CloseIdleConnections() }); ok {
		o.CloseIdleConnections()
	}
}

// plainBody is a response body; read to its end, it gives its connection
// back to the pool, and closed before that, it closes the connection.
type plainBody struct {
	t        *plainTransport
	pc       *plainConn
	addr     string
	ctx      context.Context
	body     io.ReadCloser
	stop     func() bool
	reusable bool
	done     bool
}

func (b *plainBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		b.finish(false)
		err = ctxErr(b.ctx, err)
	}
	return n, err
}

func (b *plainBody) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

func (b *plainBody) finish(whole bool) {
	b.done = true
	// stop reports false when the call was cancelled meanwhile: the
	// connection's deadline is spoiled, and it is not reused.
	if b.stop() && whole && b.reusable {
		b.t.put(b.addr, b.pc)
		return
	}
	b.pc.Close()
}
