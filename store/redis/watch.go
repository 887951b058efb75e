package redis

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// watcher hands commit notices to watches. commit.lua publishes the
// execution id on its partition's channel; the watcher subscribes to a
// partition's channel the first time an execution of it is watched and
// keeps that subscription for the store's lifetime (at most Partitions
// channels), so that a busy API (?wait= on every start) does not
// subscribe and unsubscribe once per call.
//
// Standalone Redis: all channels share one pub/sub connection; each
// partition is added with its own SUBSCRIBE on it. Exact channels rather
// than one PSUBSCRIBE of every partition's channel: a node hears only the
// partitions it watches, not every commit of every node, and Redis does
// not match a pattern on every PUBLISH.
// Cluster: one SSUBSCRIBE connection per partition, to the shard that owns
// the partition's slot (go-redis routes a sharded subscription by its
// first channel, so channels of different shards cannot share one).
//
// No lock is held across the network: a partition's subscription is
// started once (sync.Once) and a Watch waits on the partition's ready
// channel, closed when Redis confirms the subscription. Dispatch takes
// only the read lock of the notice's partition. A notice lost while a
// connection reconnects (go-redis resubscribes) only delays a reader,
// which re-reads by event id anyway.
type watcher struct {
	s     *Store
	parts []partWatch
	// partOf maps a channel name to its partition, for confirmations.
	partOf map[string]int

	mu     sync.Mutex // guards shared, conns and closed; never held for I/O
	shared *goredis.PubSub
	conns  []*goredis.PubSub
	closed atomic.Bool
}

type partWatch struct {
	start sync.Once
	ready chan struct{} // closed when the subscription is confirmed

	mu       sync.RWMutex
	watchers map[string]map[chan struct{}]bool // id -> watch -> only status changes
}

func newWatcher(s *Store) *watcher {
	w := &watcher{s: s, parts: make([]partWatch, s.partitions), partOf: make(map[string]int, s.partitions)}
	for p := range w.parts {
		w.parts[p].ready = make(chan struct{})
		w.parts[p].watchers = map[string]map[chan struct{}]bool{}
		w.partOf[s.keys.channel(p)] = p
	}
	return w
}

// Watch implements store.Store. The subscription is confirmed before Watch
// returns (within the store's timeout), so a commit that follows is heard.
func (s *Store) Watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	return s.watch.add(ctx, id, false)
}

// WatchStatus implements store.Store: commit.lua publishes a second
// notice, "<id> <status>", for commits that change the status. Commits of
// releases that did not publish it are only seen by Wait's periodic
// re-check.
func (s *Store) WatchStatus(ctx context.Context, id string) (<-chan struct{}, func()) {
	return s.watch.add(ctx, id, true)
}

func (w *watcher) add(ctx context.Context, id string, statusOnly bool) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	if w.closed.Load() {
		return ch, func() {}
	}
	p := w.s.partitionOf(id)
	pw := &w.parts[p]
	// Registered before the subscription is confirmed: every notice from
	// the confirmation on reaches ch.
	pw.mu.Lock()
	if pw.watchers[id] == nil {
		pw.watchers[id] = map[chan struct{}]bool{}
	}
	pw.watchers[id][ch] = statusOnly
	pw.mu.Unlock()
	var once sync.Once
	cancel := func() { once.Do(func() { w.remove(pw, id, ch) }) }

	pw.start.Do(func() { w.subscribe(ctx, p) })
	select {
	case <-pw.ready:
	default:
		// Wait for the confirmation, bounded; on failure go-redis keeps
		// retrying and the watch only hears later commits.
		rctx, stop := w.s.bound(ctx)
		select {
		case <-pw.ready:
		case <-rctx.Done():
		}
		stop()
	}
	return ch, cancel
}

// subscribe sends the partition's subscription (once per store). The
// confirmation arrives on the connection's dispatch loop, which closes the
// partition's ready channel. The subscription outlives the ctx of the
// watch that opened it.
func (w *watcher) subscribe(ctx context.Context, p int) {
	ctx, cancel := w.s.bound(context.WithoutCancel(ctx))
	defer cancel()
	channel := w.s.keys.channel(p)
	if w.s.cluster {
		ps := w.s.client.SSubscribe(ctx, channel) // records the channel even on error; resent on reconnect
		if !w.keep(ps) {
			return
		}
		go w.dispatch(ps)
		return
	}
	w.mu.Lock()
	ps := w.shared
	if ps == nil && !w.closed.Load() {
		ps = w.s.client.Subscribe(ctx) // no channel yet: connects on first Subscribe
		w.shared = ps
		w.conns = append(w.conns, ps)
		go w.dispatch(ps)
	}
	w.mu.Unlock()
	if ps == nil {
		return
	}
	_ = ps.Subscribe(ctx, channel) // outside the lock; on error resent on reconnect
}

// keep registers a connection for close, or closes it when the store was
// closed meanwhile.
func (w *watcher) keep(ps *goredis.PubSub) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		_ = ps.Close()
		return false
	}
	w.conns = append(w.conns, ps)
	return true
}

// dispatch reads one connection until it is closed: confirmations open
// their partition's ready channel, notices go to the id's watchers.
func (w *watcher) dispatch(ps *goredis.PubSub) {
	for msg := range ps.ChannelWithSubscriptions() {
		switch m := msg.(type) {
		case *goredis.Subscription:
			if p, ok := w.partOf[m.Channel]; ok && (m.Kind == "subscribe" || m.Kind == "ssubscribe") {
				pw := &w.parts[p]
				select {
				case <-pw.ready:
				default:
					close(pw.ready) // only this goroutine closes a partition's ready
				}
			}
		case *goredis.Message:
			w.notify(m.Payload)
		}
	}
}

// notify hands a notice to the id's watches: "<id>" (every commit) to
// the full watches, "<id> <new status>" (a commit that changed the status,
// published after the plain one) to the status watches.
func (w *watcher) notify(notice string) {
	id, _, statusChanged := strings.Cut(notice, " ")
	pw := &w.parts[w.s.partitionOf(id)]
	pw.mu.RLock()
	for ch, statusOnly := range pw.watchers[id] {
		if statusOnly != statusChanged {
			continue
		}
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending; readers re-read
		}
	}
	pw.mu.RUnlock()
}

// remove drops one watch; the partition's subscription stays.
func (w *watcher) remove(pw *partWatch, id string, ch chan struct{}) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	delete(pw.watchers[id], ch)
	if len(pw.watchers[id]) == 0 {
		delete(pw.watchers, id)
	}
}

// close ends every subscription; watches made afterwards never fire.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed.Store(true)
	for _, ps := range w.conns {
		_ = ps.Close()
	}
	w.conns = nil
}
