package redis

import (
	"context"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// watcher shares one subscription per partition among all watches of the
// executions in it: commit.lua publishes the execution id on the
// partition's channel, and the watcher hands the notice to that id's
// watchers. A notice lost while a subscription reconnects only delays a
// reader, which re-reads by event id anyway.
type watcher struct {
	s *Store

	mu     sync.Mutex
	subs   map[int]*subscription
	closed bool
}

type subscription struct {
	ps       *goredis.PubSub
	watchers map[string]map[chan struct{}]struct{}
	n        int
}

func newWatcher(s *Store) *watcher {
	return &watcher{s: s, subs: map[int]*subscription{}}
}

// Watch implements store.Store. The subscription is confirmed before Watch
// returns (within the store's timeout), so a commit that follows is heard.
func (s *Store) Watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	return s.watch.add(ctx, id)
}

func (w *watcher) add(ctx context.Context, id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p := w.s.partitionOf(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ch, func() {}
	}
	sub := w.subs[p]
	if sub == nil {
		sub = w.subscribe(ctx, p)
		w.subs[p] = sub
	}
	if sub.watchers[id] == nil {
		sub.watchers[id] = map[chan struct{}]struct{}{}
	}
	sub.watchers[id][ch] = struct{}{}
	sub.n++
	var once sync.Once
	return ch, func() { once.Do(func() { w.remove(p, sub, id, ch) }) }
}

// subscribe opens a partition's subscription and starts handing out its
// notices. The subscription outlives the ctx of the watch that opened it.
func (w *watcher) subscribe(ctx context.Context, p int) *subscription {
	ctx = context.WithoutCancel(ctx)
	channel := w.s.keys.channel(p)
	var ps *goredis.PubSub
	if w.s.cluster {
		ps = w.s.client.SSubscribe(ctx, channel)
	} else {
		ps = w.s.client.Subscribe(ctx, channel)
	}
	// Wait for the confirmation; on failure go-redis keeps retrying and the
	// watch only hears later commits.
	rctx, cancel := w.s.bound(ctx)
	_, _ = ps.Receive(rctx)
	cancel()
	sub := &subscription{ps: ps, watchers: map[string]map[chan struct{}]struct{}{}}
	go w.dispatch(sub)
	return sub
}

func (w *watcher) dispatch(sub *subscription) {
	for msg := range sub.ps.Channel() {
		w.mu.Lock()
		for ch := range sub.watchers[msg.Payload] {
			select {
			case ch <- struct{}{}:
			default: // a notice is already pending; readers re-read
			}
		}
		w.mu.Unlock()
	}
}

func (w *watcher) remove(p int, sub *subscription, id string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := sub.watchers[id][ch]; !ok {
		return
	}
	delete(sub.watchers[id], ch)
	if len(sub.watchers[id]) == 0 {
		delete(sub.watchers, id)
	}
	sub.n--
	if sub.n == 0 {
		_ = sub.ps.Close()
		if w.subs[p] == sub {
			delete(w.subs, p)
		}
	}
}

// close ends every subscription; watches made afterwards never fire.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for p, sub := range w.subs {
		_ = sub.ps.Close()
		delete(w.subs, p)
	}
}
