package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// testClock is a clock that moves only when the test says: back-offs wait
// on it, so a test passes hours of retries in no time.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	added   chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock() *testClock { return &testClock{now: time.Now(), added: make(chan struct{}, 1)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves the clock on and fires the waits it passes.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

func (c *testClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// keepAdvancing moves the clock on by step whenever something waits on
// it, until the returned stop is called.
func (c *testClock) keepAdvancing(step time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond) // a wait added while advancing
		defer tick.Stop()
		for {
			if c.pending() > 0 {
				c.Advance(step)
			}
			select {
			case <-done:
				return
			case <-c.added:
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// waitWaiting blocks until n waits are pending (deliveries backing off).
func (c *testClock) waitWaiting(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for c.pending() < n {
		select {
		case <-c.added:
		case <-deadline:
			t.Fatalf("%d waits pending, want %d", c.pending(), n)
		}
	}
}

// receiver is a webhook endpoint: it answers status (200 by default) and
// hands every request it gets to got.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	got    chan delivery
	count  atomic.Int64
}

type delivery struct {
	header http.Header
	body   []byte
	status int // what the receiver answered
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: make(chan delivery, 10_000)}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		st := int(r.status.Load())
		r.count.Add(1)
		r.got <- delivery{header: req.Header.Clone(), body: body, status: st}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// next returns the next request the receiver got.
func (r *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery")
	}
	return delivery{}
}

// accepted returns the next n requests answered 2xx, skipping the others.
func (r *receiver) accepted(t *testing.T, n int) []delivery {
	t.Helper()
	var out []delivery
	for len(out) < n {
		if d := r.next(t); d.status < 300 {
			out = append(out, d)
		}
	}
	return out
}

func decodeEvent(t *testing.T, body []byte) notify.Event {
	t.Helper()
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return ev
}

const (
	okMachine   = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"handler:work","End":true}}}`
	failMachine = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"handler:fail","End":true}}}`
)

// node is an engine with handlers and state machines "ok" and "bad"
// (whose task fails), started.
func node(t *testing.T, st store.Store, name string, httpc *httptask.Client) *interpreter.Engine {
	t.Helper()
	eng := interpreter.New(interpreter.Config{Store: st, Node: name, HTTP: httpc, LeaseTTL: time.Second})
	eng.RegisterHandler("work", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"done":true}`), nil
	})
	eng.RegisterHandler("fail", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("the work failed")
	})
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		cancel()
		if !stopped {
			eng.Stop()
		}
	})
	for sm, def := range map[string]string{"ok": okMachine, "bad": failMachine, "other": okMachine} {
		if _, err := eng.PutStateMachine(context.Background(), sm, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	return eng
}

// run starts an execution and waits for its end.
func run(t *testing.T, eng *interpreter.Engine, sm, name string) *interpreter.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: sm, Name: name, Input: json.RawMessage(`{"n":"` + name + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err = eng.Wait(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// stores runs f on the memory store and on Redis.
func stores(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		f(t, memory.New())
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		f(t, redisStore(t, redistest.URL(t)))
	})
}

func redisStore(t *testing.T, url string) *redisstore.Store {
	t.Helper()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Partitions: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// service makes and starts a notification service on eng.
func service(t *testing.T, eng *interpreter.Engine, clock *testClock, tweak func(*notify.Config)) *notify.Service {
	t.Helper()
	cfg := notify.Config{Engine: eng, Clock: clock, Rescan: 20 * time.Millisecond, Poll: 50 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	svc, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return svc
}

func put(t *testing.T, svc *notify.Service, sp notify.Spec) notify.Endpoint {
	t.Helper()
	ep, _, err := svc.PutEndpoint(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func strp(s string) *string { return &s }

// caughtUp waits until the endpoint's cursor is past every change logged so far.
func caughtUp(t *testing.T, svc *notify.Service, name string) notify.Delivery {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Read what is logged after the endpoint's cursor: nothing left.
		_, del, err := svc.Endpoint(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		evs, _, _, err := svc.Read(ctx, del.Cursor, notify.Filter{}, 10)
		if err == nil && len(evs) == 0 {
			return del
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint %s not caught up: %d events after its cursor (%v)", name, len(evs), err)
		}
		time.Sleep(10 * time.Millisecond) // polling a store, not ordering goroutines
	}
}

func memStore() store.Store { return memory.New() }

func redistestURL(t *testing.T) string { return redistest.URL(t) }

func redisStoreB(b *testing.B, url string) store.Store {
	b.Helper()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Partitions: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}
