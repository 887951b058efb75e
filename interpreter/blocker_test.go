package interpreter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

// blocker is a handler whose calls wait until the test answers them or
// their context is cancelled; each call is announced on calls.
type blocker struct{ calls chan *blockedCall }

type blockedCall struct {
	input json.RawMessage
	ctx   context.Context
	reply chan blockerReply
	done  chan struct{} // closed when the handler has returned
}

type blockerReply struct {
	out json.RawMessage
	err error
}

func newBlocker() *blocker { return &blocker{calls: make(chan *blockedCall, 1000)} }

func (b *blocker) handle(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	c := &blockedCall{input: bytes.Clone(in), ctx: ctx, reply: make(chan blockerReply, 1), done: make(chan struct{})}
	defer close(c.done)
	b.calls <- c
	select {
	case r := <-c.reply:
		return r.out, r.err
	case <-ctx.Done():
		// A late answer: the engine must not record it.
		return json.RawMessage(`{"late":true}`), nil
	}
}

// next waits for the next call.
func (b *blocker) next(t *testing.T) *blockedCall {
	t.Helper()
	select {
	case c := <-b.calls:
		return c
	case <-time.After(guard):
		t.Fatal("the handler was not called")
		return nil
	}
}

func (c *blockedCall) succeed(out string) { c.reply <- blockerReply{out: json.RawMessage(out)} }

func (c *blockedCall) fail(err error) { c.reply <- blockerReply{err: err} }

// cancelled waits until the call's context is cancelled and the handler returned.
func (c *blockedCall) cancelled(t *testing.T) {
	t.Helper()
	select {
	case <-c.ctx.Done():
	case <-time.After(guard):
		t.Fatal("the handler's context was not cancelled")
	}
	<-c.done
}
