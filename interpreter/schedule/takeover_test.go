package schedule

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// shiftedClock is real time moved by an offset the test sets, so that a
// slot comes a moment after the test is ready for it.
type shiftedClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// setNow makes the clock read t now.
func (c *shiftedClock) setNow(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = time.Until(t)
}

// schedNode is one node: an engine on the shared store and its scheduler.
type schedNode struct {
	name  string
	eng   *interpreter.Engine
	s     *Scheduler
	crash func() // as kill -9: leases are not handed back
	fired chan Fire
	wrote chan string
	// kill, when set, runs before (or after) each start.
	killBefore, killAfter atomic.Pointer[func(Fire) error]
}

func startNode(t *testing.T, st store.Store, name string, clock interpreter.Clock) *schedNode {
	t.Helper()
	eng := interpreter.New(interpreter.Config{Store: st, Node: name, LeaseTTL: 600 * time.Millisecond, TimerPoll: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	n := &schedNode{name: name, eng: eng, fired: make(chan Fire, 10), wrote: make(chan string, 100)}
	n.s = New(Config{Engine: eng, Clock: clock, Node: name, Poll: 50 * time.Millisecond})
	n.s.beforeStart = func(f Fire) error {
		if k := n.killBefore.Load(); k != nil {
			return (*k)(f)
		}
		return nil
	}
	n.s.afterStart = func(f Fire) error {
		if k := n.killAfter.Load(); k != nil {
			if err := (*k)(f); err != nil {
				return err
			}
		}
		n.fired <- f
		return nil
	}
	n.s.written = func(name string, fires int) {
		if fires > 0 {
			n.wrote <- name
		}
	}
	if err := n.s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	n.crash = func() { once.Do(cancel) }
	t.Cleanup(func() { n.crash(); n.s.Stop(); eng.Stop() })
	return n
}

// killAtSlot: the node that owns a schedule dies right at a slot — before
// it starts the slot's execution, or after starting it and before writing
// the schedule's state. The other node takes the partition over when the
// lease expires and fires the slot: one execution, counted once.
func killAtSlot(t *testing.T, st store.Store, afterStart bool) {
	clock := &shiftedClock{}
	slot := time.Date(2030, 1, 1, 0, 1, 0, 0, time.UTC)
	clock.setNow(slot.Add(-time.Hour))
	a := startNode(t, st, "A", clock)
	b := startNode(t, st, "B", clock)
	ctx := context.Background()
	if _, err := a.eng.PutStateMachine(ctx, "pass", []byte(passDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	// Wait until the two nodes have split the partitions: the schedule's
	// partition is then held by one of them, and stays so.
	name := ""
	deadline := time.Now().Add(15 * time.Second)
	for name == "" {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not split the partitions")
		}
		if a.eng.HeldPartitions() > 0 && b.eng.HeldPartitions() > 0 && a.eng.HeldPartitions()+b.eng.HeldPartitions() == st.(store.Leaser).Partitions() {
			// A schedule that A owns, so that the node that dies is the one
			// that wrote it.
			for i := 0; i < 100; i++ {
				cand := fmt.Sprintf("tick%d", i)
				if own, _ := a.eng.Owns(ownerKey(cand)); own {
					name = cand
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // lease balancing runs on its own clock
	}
	clock.setNow(slot.Add(-2 * time.Second))
	if _, _, err := a.s.Put(ctx, name, Spec{Target: Target{StateMachine: "pass"}, Expression: "cron(* * * * ? *)"}); err != nil {
		t.Fatal(err)
	}
	owner, other := a, b
	kill := func(f Fire) error {
		if f.Slot.Equal(slot) {
			owner.crash()
			return errStopPass
		}
		return nil
	}
	if afterStart {
		owner.killAfter.Store(&kill)
	} else {
		owner.killBefore.Store(&kill)
	}
	select {
	case f := <-other.fired:
		if f.Name != ExecutionName(name, slot) {
			t.Fatalf("%s fired %s, want the slot %s", other.name, f.Name, slot)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not fire the slot after %s died", other.name, owner.name)
	}
	list, _, err := st.ListExecutions(ctx, store.ListQuery{StateMachine: "pass", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != ExecutionName(name, slot) {
		t.Fatalf("executions %+v, want exactly one for the slot", list)
	}
	select { // the pass that fired writes the state
	case <-other.wrote:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not write the schedule's state", other.name)
	}
	v, err := other.s.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if v.State.Counts.Fired != 1 || len(v.State.Recent) != 1 || v.State.Recent[0].Node != other.name || v.State.Recent[0].Existing != afterStart {
		t.Errorf("state %+v: one fire, by %s, finding the execution %v", v.State, other.name, afterStart)
	}
}

func TestKillOwnerAtSlotMemory(t *testing.T) {
	t.Parallel()
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("afterStart=%v", after), func(t *testing.T) {
			t.Parallel()
			killAtSlot(t, memory.WithLeases(memory.New(), 16), after)
		})
	}
}

func TestKillOwnerAtSlotRedis(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("afterStart=%v", after), func(t *testing.T) {
			t.Parallel()
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Partitions: 16, Prefix: fmt.Sprintf("sched%v", after)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			killAtSlot(t, st, after)
		})
	}
}
