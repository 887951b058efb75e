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
	swept time.Time
}

type plainConn struct {
	net.Conn
	br        *bufio.Reader // reads through budget
	bw        *bufio.Writer
	budget    budgetReader
	idleSince time.Time
}

// maxResponseHead bounds a response's status line and headers, 1xx
// answers included (net/http's Transport has such a bound too): a
// service cannot make a call hold memory without end.
const maxResponseHead = 1 << 20

var errHeadTooLarge = errors.New("the HTTP response headers are larger than 1 MiB")

// budgetReader reads from the connection while its budget lasts.
type budgetReader struct {
	c net.Conn
	n int64
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n, err := r.c.Read(p)
	r.n -= int64(n)
	return n, err
}

func (t *plainTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.other.RoundTrip(req)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil { // nothing is sent for a call already over
		closeBody(req)
		return nil, err
	}
	if err := validHeaders(req.Header); err != nil {
		closeBody(req)
		return nil, err
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	pc, reused, err := t.get(ctx, addr)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, early, err := t.exchange(ctx, pc, addr, req, reused)
	if err == nil {
		return resp, nil
	}
	pc.Close()
	if !reused || !early || !replayable(req) || ctx.Err() != nil {
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
	resp, _, err = t.exchange(ctx, pc, addr, &again, false)
	if err != nil {
		pc.Close()
		return nil, ctxErr(ctx, err)
	}
	return resp, nil
}

// replayable is net/http's condition for sending a request again: an
// idempotent method or an idempotency key (every HTTP Task call has one),
// and a body that can be produced again.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return req.Header["Idempotency-Key"] != nil || req.Header["X-Idempotency-Key"] != nil
}

// validHeaders refuses what net/http's Transport refuses: a header name
// that is not a token, a value with a control character other than tab.
// (Request.Write would drop or rewrite them silently.)
func validHeaders(h http.Header) error {
	for name, vals := range h {
		if !validHeaderName(name) {
			return fmt.Errorf("net/http: invalid header field name %q", name)
		}
		for _, v := range vals {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
					return fmt.Errorf("net/http: invalid header field value for %q", name)
				}
			}
		}
	}
	return nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// exchange writes req and reads the head of its response. early reports
// an error before any answer to it arrived, the case that may be sent
// again on a reused connection.
func (t *plainTransport) exchange(ctx context.Context, pc *plainConn, addr string, req *http.Request, reused bool) (resp *http.Response, early bool, err error) {
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
	pc.budget.n = maxResponseHead // until the head is read (withBody)
	werr := req.Write(pc.bw)
	if werr == nil {
		werr = pc.bw.Flush()
	}
	if werr != nil {
		// The server may have answered early (a 413, say) and closed: that
		// answer is the result, as with net/http. Otherwise the write error
		// is, and nothing was answered.
		if resp, err := t.readHead(pc, req); err == nil && !(reused && resp.StatusCode == http.StatusRequestTimeout) {
			resp.Close = true
			return t.withBody(ctx, pc, addr, req, resp, stop), false, nil
		}
		return nil, true, werr
	}
	if _, err := pc.br.Peek(1); err != nil {
		return nil, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), err
	}
	if resp, err = t.readHead(pc, req); err != nil {
		return nil, false, err
	}
	// A 408 on a reused connection is the server's farewell to an idle
	// connection (net/http reads it so too), not an answer to this request.
	if reused && resp.StatusCode == http.StatusRequestTimeout {
		return nil, true, errors.New("the idle connection was closed by the server (408)")
	}
	return t.withBody(ctx, pc, addr, req, resp, stop), false, nil
}

// readHead reads a response's head, skipping informational answers,
// within the connection's budget (maxResponseHead, set by exchange).
func (t *plainTransport) readHead(pc *plainConn, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(pc.br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, errors.New("the server switched protocols (101), which an HTTP Task does not speak")
		}
		if resp.StatusCode >= 200 || resp.StatusCode < 100 {
			return resp, nil
		}
		// 1xx: informational, the answer follows.
	}
}

func (t *plainTransport) withBody(ctx context.Context, pc *plainConn, addr string, req *http.Request, resp *http.Response, stop func() bool) *http.Response {
	pc.budget.n = 1<<63 - 1 // the body is bounded by its reader (MaxResponse)
	resp.Body = &plainBody{t: t, pc: pc, addr: addr, ctx: ctx, body: resp.Body, stop: stop,
		reusable: !resp.Close && !req.Close}
	return resp
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
	t.setIdle(addr, list)
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
	pc := &plainConn{Conn: c, bw: bufio.NewWriterSize(c, 4096), budget: budgetReader{c: c, n: 1<<63 - 1}}
	pc.br = bufio.NewReaderSize(&pc.budget, 4096)
	return pc, nil
}

// put returns a connection whose response was read to the end, and
// whose deadline was never set (the call's context did not end). Idle
// connections that have waited longer than idleTimeout are closed on the
// way (all of them once per idleTimeout/2); when the pool is full, the
// oldest idle connection of another host makes room.
func (t *plainTransport) put(addr string, pc *plainConn) {
	if pc.br.Buffered() > 0 { // bytes past the answer: the stream is not in step
		pc.Close()
		return
	}
	now := time.Now()
	pc.idleSince = now
	var closing []*plainConn
	t.mu.Lock()
	if now.Sub(t.swept) > t.idleTimeout/2 {
		t.swept = now
		for a, list := range t.idle {
			keep := list[:0]
			for _, c := range list {
				if now.Sub(c.idleSince) > t.idleTimeout {
					closing = append(closing, c)
					t.nidle--
				} else {
					keep = append(keep, c)
				}
			}
			t.setIdle(a, keep)
		}
	}
	list := t.idle[addr]
	switch {
	case len(list) >= t.maxIdle:
		closing = append(closing, pc)
	case t.nidle >= t.maxIdleAll:
		for a, other := range t.idle { // Go's map order: some other host
			if a != addr && len(other) > 0 {
				closing = append(closing, other[0])
				t.setIdle(a, other[1:])
				t.nidle--
				break
			}
		}
		if t.nidle >= t.maxIdleAll {
			closing = append(closing, pc)
			break
		}
		fallthrough
	default:
		t.setIdle(addr, append(list, pc))
		t.nidle++
	}
	t.mu.Unlock()
	for _, c := range closing {
		c.Close()
	}
}

// setIdle stores addr's idle list, dropping the entry when it is empty;
// t.mu is held.
func (t *plainTransport) setIdle(addr string, list []*plainConn) {
	if len(list) == 0 {
		delete(t.idle, addr)
		return
	}
	t.idle[addr] = list
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
