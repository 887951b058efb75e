package redis

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// watcher hands commit notices to watches. commit.lua publishes the
// execution id on its partition's channel after every commit, and
// "<id> <status>" on the partition's status channel after a commit that
// changed the status (and, for the waiters of earlier releases, on the
// first channel too). A partition's channel is subscribed the first time
// an execution of it is watched in full (Watch: an event stream), its
// status channel the first time one is watched for its end (WatchStatus:
// ?wait=); each subscription is kept for the store's lifetime (at most
// twice Partitions channels), so that a busy API (?wait= on every start)
// does not subscribe and unsubscribe once per call, and a node whose
// clients only wait for ends hears one notice per status change, not one
// per step of every execution of its partitions.
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
	// chanOf maps a channel name to its partition and kind.
	chanOf map[string]chanKey

	// changes are the watches of the change log (WatchChanges): told of
	// every status notice of every partition.
	changesMu sync.RWMutex
	changes   map[chan struct{}]struct{}

	mu     sync.Mutex // guards shared, conns and closed; never held for I/O
	shared *goredis.PubSub
	conns  []*goredis.PubSub
	closed atomic.Bool
}

type chanKey struct {
	part   int
	status bool // the status channel
}

type partWatch struct {
	subs [2]subscription // [0]: every commit, [1]: status changes

	mu       sync.RWMutex
	watchers map[string]map[chan struct{}]bool // id -> watch -> only status changes
}

type subscription struct {
	start sync.Once
	ready chan struct{} // closed when the subscription is confirmed
}

func kindIndex(status bool) int {
	if status {
		return 1
	}
	return 0
}

func newWatcher(s *Store) *watcher {
	w := &watcher{s: s, parts: make([]partWatch, s.partitions), chanOf: make(map[string]chanKey, 2*s.partitions),
		changes: map[chan struct{}]struct{}{}}
	for p := range w.parts {
		for i := range w.parts[p].subs {
			w.parts[p].subs[i].ready = make(chan struct{})
		}
		w.parts[p].watchers = map[string]map[chan struct{}]bool{}
		w.chanOf[s.keys.channel(p)] = chanKey{part: p}
		w.chanOf[s.keys.statusChannel(p)] = chanKey{part: p, status: true}
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

	sub := &pw.subs[kindIndex(statusOnly)]
	sub.start.Do(func() { w.subscribe(ctx, p, statusOnly) })
	select {
	case <-sub.ready:
	default:
		// Wait for the confirmation, bounded; on failure go-redis keeps
		// retrying and the watch only hears later commits.
		rctx, stop := w.s.bound(ctx)
		select {
		case <-sub.ready:
		case <-rctx.Done():
		}
		stop()
	}
	return ch, cancel
}

// subscribe sends the subscription to the partition's channel or status
// channel (once per store each). The confirmation arrives on the
// connection's dispatch loop, which closes the subscription's ready
// channel. The subscription outlives the ctx of the watch that opened it.
func (w *watcher) subscribe(ctx context.Context, p int, status bool) {
	ctx, cancel := w.s.bound(context.WithoutCancel(ctx))
	defer cancel()
	channel := w.s.keys.channel(p)
	if status {
		channel = w.s.keys.statusChannel(p)
	}
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
			if k, ok := w.chanOf[m.Channel]; ok && (m.Kind == "subscribe" || m.Kind == "ssubscribe") {
				sub := &w.parts[k.part].subs[kindIndex(k.status)]
				select {
				case <-sub.ready:
				default:
					close(sub.ready) // only this goroutine closes a subscription's ready
				}
			}
		case *goredis.Message:
			if k, ok := w.chanOf[m.Channel]; ok {
				w.notify(m.Payload, k.status)
			}
		}
	}
}

// notify hands a notice to the id's watches: "<id>" on the partition's
// channel (every commit) to the full watches, "<id> <new status>" on the
// status channel to the status watches. The status notices that the
// first channel also carries are for earlier releases' waiters: here the
// status channel has them.
func (w *watcher) notify(notice string, statusChannel bool) {
	id, _, withStatus := strings.Cut(notice, " ")
	if withStatus != statusChannel {
		return
	}
	if statusChannel {
		w.changesMu.RLock()
		for ch := range w.changes {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		w.changesMu.RUnlock()
	}
	pw := &w.parts[w.s.partitionOf(id)]
	pw.mu.RLock()
	for ch, statusOnly := range pw.watchers[id] {
		if statusOnly != statusChannel {
			continue
		}
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending; readers re-read
		}
	}
	pw.mu.RUnlock()
}

// addChanges registers a watch of the change log and subscribes every
// partition's status channel (each once per store), waiting for the
// confirmations within the store's timeout.
func (w *watcher) addChanges(ctx context.Context) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	if w.closed.Load() {
		return ch, func() {}
	}
	w.changesMu.Lock()
	w.changes[ch] = struct{}{}
	w.changesMu.Unlock()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			w.changesMu.Lock()
			delete(w.changes, ch)
			w.changesMu.Unlock()
		})
	}
	for p := range w.parts {
		w.parts[p].subs[1].start.Do(func() { w.subscribe(ctx, p, true) })
	}
	rctx, stop := w.s.bound(ctx)
	defer stop()
	for p := range w.parts {
		select {
		case <-w.parts[p].subs[1].ready:
		case <-rctx.Done():
			return ch, cancel // later notices still arrive once confirmed
		}
	}
	return ch, cancel
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
