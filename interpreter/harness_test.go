package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// epoch is where every manual clock starts (no monotonic reading, so
// comparisons are exact).
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// guard bounds how long a test waits for something the engine must do; it
// only turns a hang into a failure, it never orders events.
const guard = 15 * time.Second

// pollWait is PollActivity's own re-check interval; its clock waits are not
// the timer loop's and must not satisfy advanceTo.
const pollWait = 250 * time.Millisecond

// manualClock is an interpreter.Clock that moves only when the test says so.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
	added   chan struct{} // closed (and replaced) whenever a waiter is added
}

type clockWaiter struct {
	at   time.Time
	ch   chan time.Time
	poll bool
}

func newManualClock() *manualClock {
	return &manualClock{now: epoch, added: make(chan struct{})}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: c.now.Add(d), ch: ch, poll: d == pollWait})
	close(c.added)
	c.added = make(chan struct{})
	return ch
}

// set moves the clock to t and fires every waiter due by then.
func (c *manualClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
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

// nextWaiter blocks until someone other than an activity poller waits for a
// time at or before target, and returns the earliest such time.
func (c *manualClock) nextWaiter(t *testing.T, target time.Time) time.Time {
	t.Helper()
	deadline := time.After(guard)
	for {
		c.mu.Lock()
		var best time.Time
		for _, w := range c.waiters {
			if !w.poll && !w.at.After(target) && (best.IsZero() || w.at.Before(best)) {
				best = w.at
			}
		}
		added := c.added
		c.mu.Unlock()
		if !best.IsZero() {
			return best
		}
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("nobody waits for the clock at or before %s", target.Format(time.RFC3339Nano))
		}
	}
}

// advanceTo moves time forward to target one timer at a time, so that the
// engine's timer loop sees each due time it waits for. It returns once the
// loop has been woken at target.
func (c *manualClock) advanceTo(t *testing.T, target time.Time) {
	t.Helper()
	for {
		if !c.Now().Before(target) {
			// Already there: still wake whoever waits for a time up to now.
			c.set(target)
			return
		}
		at := c.nextWaiter(t, target)
		c.set(at)
		if !at.Before(target) {
			return
		}
	}
}

// fixture is one engine on its own in-memory store and manual clock.
type fixture struct {
	t     *testing.T
	eng   *interpreter.Engine
	store *memory.Store
	clock *manualClock
	ctx   context.Context
}

// setup starts an engine; adjust may change its Config.
func setup(t *testing.T, adjust ...func(*interpreter.Config)) *fixture {
	t.Helper()
	clock := newManualClock()
	st := memory.New()
	var n atomic.Int64
	cfg := interpreter.Config{
		CheckCachedThreads: true,
		Store:              st,
		Clock:              clock,
		// The timer loop then sleeps exactly until the next due time.
		TimerPoll: 1000 * time.Hour,
		UUID: func() string {
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1))
		},
		Random: func() float64 { return 0.5 },
	}
	for _, a := range adjust {
		a(&cfg)
	}
	eng := interpreter.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		eng.Stop()
	})
	return &fixture{t: t, eng: eng, store: st, clock: clock, ctx: ctx}
}

func (f *fixture) put(name, def string) {
	f.t.Helper()
	if _, err := f.eng.PutStateMachine(f.ctx, name, []byte(def), dsl.JSON); err != nil {
		f.t.Fatalf("PutStateMachine %s: %v", name, err)
	}
}

// start starts an execution named "run" of sm.
func (f *fixture) start(sm, input string) *interpreter.Execution {
	f.t.Helper()
	ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: sm, Name: "run", Input: json.RawMessage(input)})
	if err != nil {
		f.t.Fatalf("StartExecution %s: %v", sm, err)
	}
	return ex
}

// wait waits for an execution to end.
func (f *fixture) wait(id string) *interpreter.Execution {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, guard)
	defer cancel()
	ex, err := f.eng.Wait(ctx, id)
	if err != nil {
		f.t.Fatalf("Wait %s: %v (status %s)", id, err, ex.Status)
	}
	return ex
}

// waitFor waits until cond holds for the execution's record and history,
// re-checking after every commit.
func (f *fixture) waitFor(id, what string, cond func(rec *store.Execution, h []event) bool) (*store.Execution, []event) {
	f.t.Helper()
	notices, stop := f.store.Watch(f.ctx, id)
	defer stop()
	deadline := time.After(guard)
	for {
		rec, err := f.store.GetExecution(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		h := f.history(id)
		if cond(rec, h) {
			return rec, h
		}
		select {
		case <-notices:
		case <-deadline:
			f.t.Fatalf("timed out waiting for %s; history:\n%s", what, typesOf(h))
		}
	}
}

// waitEvent waits until the history holds n events of type typ.
func (f *fixture) waitEvent(id, typ string, n int) []event {
	f.t.Helper()
	_, h := f.waitFor(id, fmt.Sprintf("%d× %s", n, typ), func(_ *store.Execution, h []event) bool {
		return count(h, typ) >= n
	})
	return h
}

// event is a history event, decoded loosely.
type event struct {
	ID     int64          `json:"id"`
	Prev   int64          `json:"previousEventId"`
	Time   string         `json:"timestamp"`
	Type   string         `json:"type"`
	Fields map[string]any `json:"-"`
	Raw    json.RawMessage
}

func (f *fixture) history(id string) []event {
	f.t.Helper()
	evs, err := f.eng.History(f.ctx, store.HistoryQuery{ID: id})
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]event, len(evs))
	for i, e := range evs {
		if err := json.Unmarshal(e.Data, &out[i]); err != nil {
			f.t.Fatalf("event %d: %v: %s", e.ID, err, e.Data)
		}
		if err := json.Unmarshal(e.Data, &out[i].Fields); err != nil {
			f.t.Fatal(err)
		}
		out[i].Raw = e.Data
		if out[i].ID != e.ID {
			f.t.Errorf("event stored as %d says id %d", e.ID, out[i].ID)
		}
	}
	return out
}

func typesOf(h []event) string {
	var b strings.Builder
	for _, e := range h {
		fmt.Fprintf(&b, "  %d<-%d %s %s\n", e.ID, e.Prev, e.Type, e.Raw)
	}
	return b.String()
}

func types(h []event) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Type
	}
	return out
}

func count(h []event, typ string) int {
	n := 0
	for _, e := range h {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func find(h []event, typ string) []event {
	var out []event
	for _, e := range h {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// checkInvariants checks what every history must satisfy (docs/api.md): ids
// 1..n without gaps, each event following an earlier one, timestamps that
// never go backwards; sequential histories follow id-1.
func checkInvariants(t *testing.T, h []event, sequential bool) {
	t.Helper()
	var last time.Time
	for i, e := range h {
		if e.ID != int64(i+1) {
			t.Errorf("event %d has id %d", i+1, e.ID)
		}
		if i == 0 && e.Prev != 0 {
			t.Errorf("first event follows %d", e.Prev)
		}
		if i > 0 && (e.Prev < 1 || e.Prev >= e.ID) {
			t.Errorf("event %d (%s) follows %d", e.ID, e.Type, e.Prev)
		}
		if sequential && i > 0 && e.Prev != e.ID-1 {
			t.Errorf("sequential event %d (%s) follows %d, want %d", e.ID, e.Type, e.Prev, e.ID-1)
		}
		ts, err := time.Parse(interpreter.TimeFormat, e.Time)
		if err != nil {
			t.Errorf("event %d timestamp %q: %v", e.ID, e.Time, err)
			continue
		}
		if ts.Before(last) {
			t.Errorf("event %d timestamp %s goes back from %s", e.ID, e.Time, last.Format(interpreter.TimeFormat))
		}
		last = ts
	}
	if len(h) > 0 && h[0].Type != "ExecutionStarted" {
		t.Errorf("first event is %s", h[0].Type)
	}
}

// handlerFunc adapts a plain function to interpreter.Handler.
func handlerFunc(f func(in map[string]any) (any, error)) interpreter.Handler {
	return func(_ context.Context, input json.RawMessage) (json.RawMessage, error) {
		var in map[string]any
		_ = json.Unmarshal(input, &in)
		out, err := f(in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// sortedKeys lists a map's keys in order (stable error messages).
func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// drive runs an execution to its end, moving the clock to each due time it
// sets (Waits, retry back-offs). Only for executions whose due times are
// not racing a task in flight.
func (f *fixture) drive(id string) *interpreter.Execution {
	f.t.Helper()
	ex, _ := f.driveDue(id)
	return ex
}

// driveDue is drive that also returns each due time it moved to, as an
// offset from the clock's start.
func (f *fixture) driveDue(id string) (*interpreter.Execution, []time.Duration) {
	f.t.Helper()
	var dues []time.Duration
	for {
		rec, _ := f.waitFor(id, "the end or a due time", func(rec *store.Execution, _ []event) bool {
			return rec.Status != store.StatusRunning || !rec.DueAt.IsZero()
		})
		if rec.Status != store.StatusRunning {
			return f.wait(id), dues
		}
		dues = append(dues, rec.DueAt.Sub(epoch))
		f.clock.advanceTo(f.t, rec.DueAt)
		f.waitFor(id, "the timer's commit", func(r *store.Execution, _ []event) bool {
			return r.RecordVersion > rec.RecordVersion
		})
	}
}

// jsonEqual compares a decoded JSON value with JSON text.
func jsonEqual(t *testing.T, got any, want string) bool {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	return cmp.Equal(got, w)
}
