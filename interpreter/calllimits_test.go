package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// gate is a handler whose calls block until the test lets them go, and
// that counts how many run at once.
type gate struct {
	mu      sync.Mutex
	running int
	most    int
	entered chan string // the input's "n" of each call, as it begins
	release chan struct{}
}

func newGate() *gate {
	return &gate{entered: make(chan string, 100), release: make(chan struct{}, 100)}
}

func (g *gate) handler(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	var v struct{ N string }
	_ = json.Unmarshal(in, &v)
	g.mu.Lock()
	g.running++
	g.most = max(g.most, g.running)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	g.entered <- v.N
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return json.RawMessage(`{"done":true}`), nil
}

func (g *gate) next(t *testing.T) string {
	t.Helper()
	select {
	case n := <-g.entered:
		return n
	case <-time.After(guard):
		t.Fatal("no call began")
		return ""
	}
}

// waitForSlots waits until the key has inFlight calls holding a slot and
// waiting in its queue (the store's counts).
func waitForSlots(t *testing.T, eng *interpreter.Engine, key string, inFlight, waiting int) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		st, err := eng.CallLimit(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if st.InFlight == inFlight && st.Waiting == waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d in flight and %d waiting, want %d and %d", key, st.InFlight, st.Waiting, inFlight, waiting)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// TestLimitInFlight: a handler limited to two calls in flight never runs
// three, and the calls that wait are made first come first served.
func TestLimitInFlight(t *testing.T) {
	t.Parallel()
	f := setup(t)
	g := newGate()
	f.eng.RegisterHandler("slow", g.handler)
	if _, _, err := f.eng.PutCallLimit(f.ctx, interpreter.CallLimit{Key: "handler:slow", MaxInFlight: 2}); err != nil {
		t.Fatal(err)
	}
	f.put("work", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","Parameters":{"n.$":"$.n"},"End":true}}}`)
	var ids []string
	for i := 1; i <= 5; i++ {
		ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "work", Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(fmt.Sprintf(`{"n":"e%d"}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
		// Each call holds a slot or waits before the next starts: their
		// order in the queue is the order of the starts.
		waitForSlots(t, f.eng, "handler:slow", min(i, 2), max(i-2, 0))
	}
	first := []string{g.next(t), g.next(t)}
	if st, _ := f.eng.CallLimit(f.ctx, "handler:slow"); st.InFlight != 2 || st.Waiting != 3 {
		t.Errorf("in flight %d, waiting %d; want 2 and 3", st.InFlight, st.Waiting)
	}
	var order []string
	for range 5 {
		g.release <- struct{}{}
		if len(order) < 3 {
			order = append(order, g.next(t))
		}
	}
	for _, id := range ids {
		if got := f.wait(id); got.Status != store.StatusSucceeded {
			t.Errorf("%s ended %s %s", id, got.Status, got.Error)
		}
	}
	if g.most != 2 {
		t.Errorf("at most %d calls at once, want 2", g.most)
	}
	if strings.Join(order, ",") != "e3,e4,e5" {
		t.Errorf("the waiting calls were made in the order %v (the first two: %v), want e3, e4, e5", order, first)
	}
	h := f.history(ids[4])
	started := find(h, "TaskStarted")
	if len(started) != 1 || started[0].Fields["limitKey"] != "handler:slow" || started[0].Fields["limitWaitSeconds"] == nil {
		t.Errorf("TaskStarted %v: want limitKey and limitWaitSeconds", started)
	}
	// The slots go back beside the results' commits: soon after.
	waitForSlots(t, f.eng, "handler:slow", 0, 0)
}

// TestLimitWaitIsNotTimeout: while a call waits for its limit, its
// TimeoutSeconds does not run; it runs from when the call is made. The
// TaskStarted event says how long it waited.
func TestLimitWaitIsNotTimeout(t *testing.T) {
	t.Parallel()
	f := setup(t)
	g := newGate()
	f.eng.RegisterHandler("slow", g.handler)
	if _, _, err := f.eng.PutCallLimit(f.ctx, interpreter.CallLimit{Key: "handler:slow", MaxInFlight: 1}); err != nil {
		t.Fatal(err)
	}
	f.put("holder", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","Parameters":{"n":"holder"},"End":true}}}`)
	f.put("waiter", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","TimeoutSeconds":10,"Parameters":{"n":"waiter"},"End":true}}}`)
	holder, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "holder", Name: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.next(t); n != "holder" {
		t.Fatalf("first call %s", n)
	}
	waiter, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "waiter", Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	// A wait is recorded (its timeout suspended) once it has lasted a
	// second; the test waits for that before time moves on.
	waitForSlots(t, f.eng, "handler:slow", 1, 1)
	f.clock.advanceTo(t, epoch.Add(time.Second))
	f.waitFor(waiter.ID, "the limit wait", func(rec *store.Execution, _ []event) bool {
		for _, th := range rec.Threads {
			if strings.Contains(string(th), `"limitWait"`) {
				return true
			}
		}
		return false
	})
	f.clock.set(epoch.Add(60 * time.Second)) // six times its TimeoutSeconds
	if d, _ := f.eng.GetExecution(f.ctx, waiter.ID); d.Status != store.StatusRunning {
		t.Fatalf("the waiting call's execution is %s %s after 60 s: its timeout ran while it waited", d.Status, d.Error)
	}
	g.release <- struct{}{} // the holder's call returns: the waiter gets the slot
	if n := g.next(t); n != "waiter" {
		t.Fatalf("second call %s", n)
	}
	g.release <- struct{}{}
	if got := f.wait(waiter.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("the waiter ended %s %s", got.Status, got.Error)
	}
	f.wait(holder.ID)
	started := find(f.history(waiter.ID), "TaskStarted")
	if len(started) != 1 || started[0].Fields["limitWaitSeconds"] != float64(60) {
		t.Errorf("TaskStarted %s: want limitWaitSeconds 60", started[0].Raw)
	}
	if n := count(f.history(waiter.ID), "TaskTimedOut"); n != 0 {
		t.Errorf("%d TaskTimedOut", n)
	}
}

// TestLimitRefusals: a limit that limits nothing, or names no known kind
// of key, is refused with what is wrong.
func TestLimitRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tt := range []struct {
		l    interpreter.CallLimit
		want string
	}{
		{interpreter.CallLimit{Key: "handler:x"}, "limits nothing"},
		{interpreter.CallLimit{Key: "lambda:x", MaxInFlight: 1}, "the kind is http, handler or startExecution"},
		{interpreter.CallLimit{Key: "http:API.example.com", MaxInFlight: 1}, "lower-case"},
		{interpreter.CallLimit{Key: "http:example.com:8080", MaxInFlight: 1}, "without port"},
		{interpreter.CallLimit{Key: "handler:x", MaxInFlight: -1}, "maxInFlight -1"},
		{interpreter.CallLimit{Key: "handler:x", Burst: 3, MaxInFlight: 1}, "burst goes with ratePerSecond"},
		{interpreter.CallLimit{Key: "handler:x", Rate: 1e-17}, "one call an hour"},
		{interpreter.CallLimit{Key: "http:[FE80::1]", MaxInFlight: 1}, "IPv6"},
	} {
		if _, _, err := f.eng.PutCallLimit(f.ctx, tt.l); !errors.Is(err, interpreter.ErrInvalidLimit) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.l, err, tt.want)
		}
	}
	l, created, err := f.eng.PutCallLimit(f.ctx, interpreter.CallLimit{Key: "http:*.example.com", Rate: 2.5})
	if err != nil || l.Burst != 3 || !created {
		t.Errorf("a rate alone: %+v %v (created %v), want burst 3 (the rate rounded up), created", l, err, created)
	}
	if _, created, err := f.eng.PutCallLimit(f.ctx, interpreter.CallLimit{Key: "http:*.example.com", Rate: 5}); err != nil || created {
		t.Errorf("a limit put again: created %v, %v; want a replacement", created, err)
	}
	if _, _, err := f.eng.PutCallLimit(f.ctx, interpreter.CallLimit{Key: "http:[::1]", MaxInFlight: 1}); err != nil {
		t.Errorf("an IPv6 host: %v", err)
	}
}

// TestLimitAcrossNodes: two nodes on one Redis share a limit of one call
// in flight: across both, never two calls at once.
func TestLimitAcrossNodes(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*guard)
	defer cancel()
	g := newGate()
	var engines []*interpreter.Engine
	for _, node := range []string{"a", "b"} {
		st, err := redisstore.New(ctx, redisstore.Options{URL: url, Partitions: 8, Prefix: "limits"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		eng := interpreter.New(interpreter.Config{Store: st, Node: node, TimerPoll: 50 * time.Millisecond, LeaseTTL: 2 * time.Second})
		eng.RegisterHandler("slow", g.handler)
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(eng.Stop)
		engines = append(engines, eng)
	}
	// The partitions settle between the two nodes first: a call in flight
	// on a partition that moves is made again by its new holder (at least
	// once), which this test is not about.
	deadline := time.Now().Add(guard)
	for engines[0].HeldPartitions() == 0 || engines[1].HeldPartitions() == 0 || engines[0].HeldPartitions()+engines[1].HeldPartitions() != 8 {
		if time.Now().After(deadline) {
			t.Fatalf("partitions held: %d and %d", engines[0].HeldPartitions(), engines[1].HeldPartitions())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	// Put through each node, so that each reads it now (a node reads the
	// limits others put within two seconds).
	for _, eng := range engines {
		if _, _, err := eng.PutCallLimit(ctx, interpreter.CallLimit{Key: "handler:slow", MaxInFlight: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := engines[0].PutStateMachine(ctx, "work", []byte(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","Parameters":{"n.$":"$$.Execution.Name"},"End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var ids []string
	for i := range n {
		// Started on either node; each runs where its partition is held.
		ex, _, err := engines[i%2].StartExecution(ctx, interpreter.StartParams{StateMachine: "work", Name: fmt.Sprintf("e%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
	}
	for range n {
		g.next(t)
		g.release <- struct{}{}
	}
	for _, id := range ids {
		got, err := engines[0].Wait(ctx, id)
		if err != nil || got.Status != store.StatusSucceeded {
			t.Fatalf("%s: %v %+v", id, err, got)
		}
	}
	if g.most != 1 {
		t.Errorf("at most %d calls at once across the two nodes, want 1", g.most)
	}
}

// TestLimitWaitRecoveredKeepsTimeout: a call that waited for its limit
// (its timeout suspended) on a node that stops is made by the node that
// takes it over, and its timeout runs again there, also when its limit
// was deleted meanwhile: it times out rather than hang for ever.
func TestLimitWaitRecoveredKeepsTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*guard)
	defer cancel()
	st := memory.WithLeases(memory.New(), 4)
	g := newGate()
	node := func(name string) *interpreter.Engine {
		eng := interpreter.New(interpreter.Config{Store: st, Node: name, TimerPoll: 20 * time.Millisecond, LeaseTTL: time.Second})
		eng.RegisterHandler("slow", g.handler)
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return eng
	}
	a := node("a")
	if _, _, err := a.PutCallLimit(ctx, interpreter.CallLimit{Key: "handler:slow", MaxInFlight: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutStateMachine(ctx, "holder", []byte(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","Parameters":{"n":"holder"},"End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutStateMachine(ctx, "waiter", []byte(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:slow","TimeoutSeconds":2,"Parameters":{"n":"waiter"},"End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "holder", Name: "h"}); err != nil {
		t.Fatal(err)
	}
	if n := g.next(t); n != "holder" {
		t.Fatalf("first call %s", n)
	}
	w, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "waiter", Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	// The wait is recorded after a second; then the node stops.
	deadline := time.Now().Add(guard)
	for {
		rec, err := st.GetExecution(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if th := rec.Threads["1"]; strings.Contains(string(th), `"limitWait"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the wait was never recorded")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	a.Stop()
	b := node("b")
	defer b.Stop()
	if err := b.DeleteCallLimit(ctx, "handler:slow"); err != nil {
		t.Fatal(err)
	}
	// b makes both calls again; the waiter's now runs under its timeout.
	for range 2 {
		g.next(t)
	}
	got, err := b.Wait(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusFailed || got.Error != "States.Timeout" {
		t.Fatalf("the recovered waiter ended %s %s, want FAILED States.Timeout (its timeout runs again)", got.Status, got.Error)
	}
}
