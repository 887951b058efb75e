package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// janitorClock is real time shifted by an offset the test moves; the
// janitor's one-minute waits are ticks the test sends, every other wait is
// real.
type janitorClock struct {
	mu     sync.Mutex
	offset time.Duration
	ticks  chan time.Time
}

func (c *janitorClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *janitorClock) After(d time.Duration) <-chan time.Time {
	if d == time.Minute {
		return c.ticks
	}
	return time.After(d)
}

func (c *janitorClock) skip(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func TestJanitorRemovesExpiredExecutions(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clock := &janitorClock{ticks: make(chan time.Time)}
	st := memory.New()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Clock: clock, Retention: time.Hour, TimerPoll: 50 * time.Millisecond})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	for name, def := range map[string]string{
		"quick": `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		"slow":  `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}`,
	} {
		if _, err := eng.PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	old, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "quick", Name: "old"})
	if err != nil || old.Status != store.StatusSucceeded {
		t.Fatalf("start: %+v, %v", old, err)
	}
	running, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "slow", Name: "running"})
	if err != nil {
		t.Fatal(err)
	}
	clock.skip(2 * time.Hour)
	recent, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "quick", Name: "recent"})
	if err != nil {
		t.Fatal(err)
	}

	// One janitor run; the next tick is only taken once the run is over.
	clock.ticks <- clock.Now()
	clock.ticks <- clock.Now()
	if _, err := eng.GetExecution(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the execution that ended 2h ago: %v, want ErrNotFound", err)
	}
	for _, id := range []string{running.ID, recent.ID} {
		if _, err := eng.GetExecution(ctx, id); err != nil {
			t.Errorf("%s: %v; running and recent executions are kept", id, err)
		}
	}
	if _, err := st.GetStateMachine(ctx, "quick", 0); err != nil {
		t.Errorf("definitions never expire: %v", err)
	}
	// The name is free again.
	again, existing, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "quick", Name: "old"})
	if err != nil || existing || again.Status != store.StatusSucceeded {
		t.Errorf("restart of an expired name: %+v existing=%v %v", again, existing, err)
	}
}

// TestJanitorOnlyOnMaintainer: with partition leases, only the holder of
// partition 0 sweeps.
func TestJanitorOnlyOnMaintainer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := memory.WithLeases(memory.New(), 4)
	clock := &janitorClock{ticks: make(chan time.Time)}
	// A second node holds every partition (it took them first), so the
	// engine under test is not the maintainer.
	other := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: "other", Retention: -1, LeaseTTL: time.Hour})
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: "idle", Clock: clock, Retention: time.Hour, Nodes: noNodes{}, LeaseTTL: time.Hour})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	if eng.Maintainer() {
		t.Fatal("the second node became maintainer")
	}
	if _, err := other.PutStateMachine(ctx, "quick", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := other.StartExecution(ctx, interpreter.StartParams{StateMachine: "quick", Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	clock.skip(2 * time.Hour)
	clock.ticks <- clock.Now()
	clock.ticks <- clock.Now()
	if _, err := st.GetExecution(ctx, ex.ID); err != nil {
		t.Errorf("a node that is not the maintainer removed an execution: %v", err)
	}
}

// noNodes is a registry in which only the asking node is alive, so a node
// never asks another to hand its partitions over.
type noNodes struct{}

func (noNodes) Heartbeat(_ context.Context, node string, _ time.Duration) ([]string, error) {
	return []string{node}, nil
}
func (noNodes) Leave(context.Context, string) error { return nil }

// TestJanitorRemovesMapRunRecords: a Map Run's record expires with
// retention after its run ended; a recent one is kept.
func TestJanitorRemovesMapRunRecords(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clock := &janitorClock{ticks: make(chan time.Time)}
	st := memory.New()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Clock: clock, Retention: time.Hour, TimerPoll: 50 * time.Millisecond})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	if _, err := eng.PutStateMachine(ctx, "dm", []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	run := func(name string) string {
		ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "dm", Name: name, Input: json.RawMessage(`[1,2]`)})
		if err != nil {
			t.Fatal(err)
		}
		if ex, err = eng.Wait(ctx, ex.ID); err != nil || ex.Status != store.StatusSucceeded {
			t.Fatalf("%s: %+v %v", name, ex, err)
		}
		runs, err := eng.MapRuns(ctx, ex.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("%s's Map Runs: %v %v", name, runs, err)
		}
		return runs[0].ID
	}
	old := run("old")
	clock.skip(2 * time.Hour)
	recent := run("recent")

	clock.ticks <- clock.Now()
	clock.ticks <- clock.Now()
	if _, err := eng.MapRun(ctx, old); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the Map Run that ended 2h ago: %v, want ErrNotFound", err)
	}
	if _, err := eng.MapRun(ctx, recent); err != nil {
		t.Errorf("the recent Map Run: %v; kept", err)
	}
}
