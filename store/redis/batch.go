package redis

import (
	"context"
	"errors"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// batcher is the store's group commit. Script calls (commits, creates)
// from many goroutines are handed to a few sender goroutines; a sender
// takes the first waiting call and every other call already waiting, up to
// maxBatch, and sends them as one pipeline of EVALSHA commands. Each call
// is still its own script, so each stays atomic, fenced and checked on its
// own, and each caller gets its own reply or error. Nothing waits for a
// batch to fill: a lone call is sent as soon as a sender is free, and calls
// only gather while every sender has a pipeline in flight, which is exactly
// when one round trip for many of them pays.
type batcher struct {
	client   goredis.UniversalClient
	cluster  bool // hints go in a second pipeline, after the scripts' replies
	timeout  time.Duration
	maxBatch int

	queue chan *call // unbuffered: the senders blocked on it are the queue
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	ctx   context.Context // carries no deadline; each pipeline gets timeout
}

type call struct {
	ctx    context.Context
	script *goredis.Script
	keys   []string
	args   []any
	reply  chan *goredis.Cmd // buffered 1; the sender never blocks on it
	// hints are sets to which member is added once the script has run:
	// best effort, outside the script because they live in other slots
	// (see PopActivity).
	hints  []string
	member string
}

var errClosed = errors.New("redis store: closed")

var callPool = sync.Pool{New: func() any { return &call{reply: make(chan *goredis.Cmd, 1)} }}

func newBatcher(ctx context.Context, client goredis.UniversalClient, cluster bool, timeout time.Duration, senders, maxBatch int) *batcher {
	b := &batcher{client: client, cluster: cluster, timeout: timeout, maxBatch: maxBatch, queue: make(chan *call),
		done: make(chan struct{}), ctx: context.WithoutCancel(ctx)}
	b.wg.Add(senders)
	for range senders {
		go b.send()
	}
	return b
}

// run runs a script through the group commit and returns its reply. A call
// whose ctx ends before a sender took it was never sent; one whose ctx ends
// while it is in flight may have been applied (the caller re-reads, as
// after any timeout).
func (b *batcher) run(ctx context.Context, sc *goredis.Script, keys []string, args []any) *goredis.Cmd {
	return b.runHinted(ctx, sc, keys, args, nil, "")
}

// runHinted is run, and then adds member to each set in hints. On
// standalone Redis the SADDs follow the script in the same pipeline (one
// connection, so Redis runs them after it); on Cluster they are sent once
// the script has answered, because a pipeline's commands for different
// shards run in parallel. Either way a hint never lands before the script
// ran, and an SADD that fails or is lost (a crash in between) only delays
// a poller (PopActivity's fallback scan).
func (b *batcher) runHinted(ctx context.Context, sc *goredis.Script, keys []string, args []any, hints []string, member string) *goredis.Cmd {
	c := callPool.Get().(*call)
	c.ctx, c.script, c.keys, c.args, c.hints, c.member = ctx, sc, keys, args, hints, member
	select {
	case b.queue <- c:
	case <-ctx.Done():
		return b.failed(c, ctx.Err())
	case <-b.done:
		return b.failed(c, errClosed)
	}
	select {
	case cmd := <-c.reply:
		c.ctx, c.script, c.keys, c.args, c.hints = nil, nil, nil, nil, nil
		callPool.Put(c)
		return cmd
	case <-ctx.Done():
		// The sender still owns c and replies into its buffer; c is not reused.
		return errCmd(ctx, ctx.Err())
	}
}

func (b *batcher) failed(c *call, err error) *goredis.Cmd {
	ctx := c.ctx
	c.ctx, c.script, c.keys, c.args, c.hints = nil, nil, nil, nil, nil
	callPool.Put(c)
	return errCmd(ctx, err)
}

func errCmd(ctx context.Context, err error) *goredis.Cmd {
	cmd := goredis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}

// send is one sender: it waits for a call, gathers the calls already
// waiting, and sends them together.
func (b *batcher) send() {
	defer b.wg.Done()
	batch := make([]*call, 0, b.maxBatch)
	for {
		select {
		case c := <-b.queue:
			batch = append(batch[:0], c)
		case <-b.done:
			return
		}
	gather:
		for len(batch) < b.maxBatch {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break gather
			}
		}
		b.exec(batch)
		clear(batch)
	}
}

// exec sends one batch and hands every caller its own reply.
func (b *batcher) exec(batch []*call) {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.reply <- errCmd(c.ctx, err) // never sent, so never applied
			continue
		}
		live = append(live, c)
	}
	switch {
	case len(live) == 0:
		return
	case len(live) == 1 && len(live[0].hints) == 0:
		c := live[0]
		c.reply <- c.script.Run(ctx, b.client, c.keys, c.args...)
		return
	}
	cmds := make([]*goredis.Cmd, len(live))
	pipe := b.client.Pipeline()
	for i, c := range live {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		b.hint(ctx, pipe, c, false)
	}
	_, _ = pipe.Exec(ctx) // errors are per command
	// NOSCRIPT means that script did not run (a restarted or flushed
	// Redis): send those calls again with the script's text.
	var again []int
	for i, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe = b.client.Pipeline()
		for _, i := range again {
			cmds[i] = live[i].script.Eval(ctx, pipe, live[i].keys, live[i].args...)
			b.hint(ctx, pipe, live[i], false)
		}
		_, _ = pipe.Exec(ctx)
	}
	if b.cluster {
		pipe = b.client.Pipeline()
		for i, c := range live {
			if cmds[i].Err() == nil {
				b.hint(ctx, pipe, c, true)
			}
		}
		if pipe.Len() > 0 {
			_, _ = pipe.Exec(ctx) // best effort
		}
	}
	for i, c := range live {
		c.reply <- cmds[i]
	}
}

// hint queues c's SADDs on pipe: on standalone right after the script
// (after false), on Cluster only in the pipeline sent after the replies.
func (b *batcher) hint(ctx context.Context, pipe goredis.Pipeliner, c *call, after bool) {
	if b.cluster != after {
		return
	}
	for _, h := range c.hints {
		pipe.SAdd(ctx, h, c.member)
	}
}

// close stops the senders after their batches in flight; later calls fail.
func (b *batcher) close() {
	b.once.Do(func() { close(b.done) })
	b.wg.Wait()
}
