// Package connlimit caps the connections an HTTP server holds at once.
//
// A connection that never sends a request (a slowloris client sending its
// headers a byte at a time, or a client that connects and waits) costs the
// server a file descriptor and a goroutine; enough of them exhaust the
// file-descriptor limit and then nothing, /healthz included, is answered.
// The Listener bounds the open connections. When the bound is reached, it
// first closes the oldest connection that holds no request in progress
// (still waiting for its first request's headers, or idle between
// requests), so that clients that do send requests keep being served; only
// when every connection is busy with a request does it answer the newcomer
// with a 503 and close it.
//
// A connection counts as busy from the moment its handler starts (its
// request's headers are read) until the handler returns: a client that
// trickles its headers is not busy, and is the first to go. The Listener
// learns this through two hooks: set http.Server.ConnContext to
// Listener.ConnContext and wrap the server's handler with Listener.Handler.
package connlimit

import (
	"container/list"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// refusalBody is the JSON error body of the API sent with the 503.
const refusalBody = `{"error":"Unavailable","message":"the server holds its maximum number of connections: retry later"}` + "\n"

// refusal is the whole answer to a connection over the cap: a valid
// HTTP/1.1 response, so that a client says "503" rather than "connection
// reset".
var refusal = []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"+
	"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(refusalBody), refusalBody))

// Listener wraps a net.Listener with a cap on open connections.
type Listener struct {
	net.Listener
	max int
	// plain is true when the connections speak plain HTTP, so that a
	// refused one can be told why; over TLS a refusal just closes.
	plain bool

	mu   sync.Mutex
	open int
	// waiting lists the connections without a request in progress, oldest
	// first: the ones to close when the cap is reached.
	waiting *list.List

	refused, evicted atomic.Uint64
}

// New caps ln at limit connections (less than 1 means 1). plain says whether the
// server speaks plain HTTP on them (false for TLS).
func New(ln net.Listener, limit int, plain bool) *Listener {
	return &Listener{Listener: ln, max: max(1, limit), plain: plain, waiting: list.New()}
}

// conn is one accepted connection.
type conn struct {
	net.Conn
	l      *Listener
	once   sync.Once
	closed bool          // under l.mu: Close has run
	busy   int           // under l.mu: handlers running on it (HTTP/2 runs several)
	elem   *list.Element // under l.mu: its place in waiting, or nil when busy
}

// Close closes the connection and frees its place.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.closed = true
		if c.elem != nil {
			c.l.waiting.Remove(c.elem)
			c.elem = nil
		}
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// Accept waits for a connection the cap has room for.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c := &conn{Conn: nc, l: l}
		l.mu.Lock()
		var victim *conn
		if l.open >= l.max {
			if front := l.waiting.Front(); front != nil {
				victim = front.Value.(*conn)
				l.waiting.Remove(front)
				victim.elem = nil
			}
		}
		if l.open >= l.max && victim == nil {
			l.mu.Unlock()
			l.refused.Add(1)
			l.refuse(nc)
			continue
		}
		l.open++ // the victim's Close gives its place back below
		c.elem = l.waiting.PushBack(c)
		l.mu.Unlock()
		if victim != nil {
			l.evicted.Add(1)
			_ = victim.Close()
		}
		return c, nil
	}
}

// refuse answers a connection over the cap and closes it, without waiting
// for a slow client: the write goes to the socket's buffer or not at all.
func (l *Listener) refuse(nc net.Conn) {
	if l.plain {
		_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = nc.Write(refusal)
	}
	_ = nc.Close()
}

type ctxKey struct{}

// ConnContext is the http.Server.ConnContext hook: it lets Handler find the
// connection of a request.
func (l *Listener) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if c, ok := nc.(*conn); ok && c.l == l {
		return context.WithValue(ctx, ctxKey{}, c)
	}
	return ctx
}

// Handler marks a request's connection busy while next runs.
func (l *Listener) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := r.Context().Value(ctxKey{}).(*conn)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		c.busy++
		if c.elem != nil {
			l.waiting.Remove(c.elem)
			c.elem = nil
		}
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			c.busy--
			if c.busy == 0 && !c.closed && c.elem == nil {
				c.elem = l.waiting.PushBack(c)
			}
			l.mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}

// Stats are the Listener's counts.
type Stats struct {
	Open    int    // connections open now
	Max     int    // the cap
	Refused uint64 // connections answered 503 because every open one was busy
	Evicted uint64 // connections closed, while they held no request, to make room
}

// Stats returns the current counts.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, Max: l.max, Refused: l.refused.Load(), Evicted: l.evicted.Load()}
}
