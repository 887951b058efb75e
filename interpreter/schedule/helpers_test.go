package schedule

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// testClock is a clock that moves only when the test sets it.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []testWaiter
	added   chan struct{}
}

type testWaiter struct {
	at time.Time
	ch chan time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{now: t, added: make(chan struct{})} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, testWaiter{at: c.now.Add(d), ch: ch})
	close(c.added)
	c.added = make(chan struct{})
	return ch
}

// Set moves the clock to t and wakes whoever waits for a time up to it.
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	c.waiters = kept
}

const (
	passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	// holdDef runs until stopped (its Wait outlasts every test).
	holdDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}`
)

// fixture is an engine on the memory store (no leases: this node owns
// every schedule) and a scheduler on a test clock, whose passes the test
// runs itself.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	eng   *interpreter.Engine
	clock *testClock
	s     *Scheduler
}

var t0 = time.Date(2025, 1, 1, 10, 0, 30, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, memory.New())
}

func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{Store: st})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	for name, def := range map[string]string{"pass": passDef, "hold": holdDef} {
		if _, err := eng.PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	clock := newTestClock(t0)
	s := New(Config{Engine: eng, Clock: clock, Node: "test", Limits: Limits{MaxCatchup: 7 * 24 * time.Hour}})
	return &fixture{t: t, ctx: ctx, eng: eng, clock: clock, s: s}
}

func (f *fixture) put(name string, spec Spec) View {
	f.t.Helper()
	v, _, err := f.s.Put(f.ctx, name, spec)
	if err != nil {
		f.t.Fatalf("Put %s: %v", name, err)
	}
	return v
}

// at moves the clock and runs one pass of the schedule.
func (f *fixture) at(t time.Time, name string) View {
	f.t.Helper()
	f.clock.Set(t)
	f.s.pass(f.ctx, name)
	v, err := f.s.Get(f.ctx, name)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) status(id string) *interpreter.Execution {
	f.t.Helper()
	ex, err := f.eng.GetExecution(f.ctx, id)
	if err != nil {
		f.t.Fatalf("execution %s: %v", id, err)
	}
	return ex
}

// executions lists the ids of a state machine's executions, by name
// (slot names sort as their slots).
func (f *fixture) executions(sm string) []string {
	f.t.Helper()
	list, _, err := f.eng.Store().ListExecutions(f.ctx, store.ListQuery{StateMachine: sm, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	ids := []string{}
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	sort.Strings(ids)
	return ids
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func at(s string) time.Time { return utc(s) }

// testutilCount reads a counter's value.
func testutilCount(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
