package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

const holdDef = `{"StartAt":"Hold","States":{
	"Hold":{"Type":"Wait","Seconds":1,"Next":"Call"},
	"Call":{"Type":"Task","Resource":"handler:echo","End":true}}}`

func echoHandler(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }

// node starts an engine on a shared store; crash cancels its context
// without handing its leases back, as a kill -9 would.
func node(t *testing.T, st store.Store, name string) (eng *interpreter.Engine, crash func()) {
	t.Helper()
	eng = interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: name, LeaseTTL: 600 * time.Millisecond, TimerPoll: 100 * time.Millisecond})
	eng.RegisterHandler("echo", echoHandler)
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return eng, cancel
}

// takeover runs executions on node A, kills A, and requires node B to
// finish every one of them (timers fired, task calls made) exactly once.
func takeover(t *testing.T, st store.Store) {
	ctx := context.Background()
	a, crashA := node(t, st, "A")
	if _, err := a.PutStateMachine(ctx, "hold", []byte(holdDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 20; i++ {
		ex, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "hold", Name: fmt.Sprintf("e%d", i), Input: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
	}
	crashA()
	b, _ := node(t, st, "B")
	t.Cleanup(b.Stop)
	for i, id := range ids {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ex, err := b.Wait(wctx, id)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if ex.Status != store.StatusSucceeded || string(ex.Output) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("%s ended %s %s %s", id, ex.Status, ex.Error, ex.Output)
		}
		evs, err := b.History(ctx, store.HistoryQuery{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		scheduled := 0
		for j, e := range evs {
			if e.ID != int64(j+1) {
				t.Fatalf("%s: event %d has id %d", id, j+1, e.ID)
			}
			var h struct{ Type string }
			_ = json.Unmarshal(e.Data, &h)
			if h.Type == "TaskScheduled" {
				scheduled++
			}
		}
		if scheduled != 1 {
			t.Errorf("%s: %d TaskScheduled, want 1", id, scheduled)
		}
	}
}

func TestTakeoverAfterCrashMemory(t *testing.T) {
	t.Parallel()
	takeover(t, memory.WithLeases(memory.New(), 16))
}

func TestTakeoverAfterCrashRedis(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	open := func() store.Store {
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Partitions: 16, Prefix: "takeover"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	takeover(t, open())
}

// TestLeasesSpreadAndHandBack: two live nodes split the partitions; a
// graceful Stop hands the leaving node's partitions to the other at once.
func TestLeasesSpreadAndHandBack(t *testing.T) {
	t.Parallel()
	st := memory.WithLeases(memory.New(), 32)
	a, _ := node(t, st, "A")
	b, _ := node(t, st, "B")
	t.Cleanup(b.Stop)
	// Both have heartbeated; wait until each holds some partitions (the
	// balancing loop runs every TTL/3).
	deadline := time.Now().Add(10 * time.Second)
	for {
		ha, hb := holders(t, st, "A"), holders(t, st, "B")
		if ha > 0 && hb > 0 && ha+hb == 32 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions not spread: A %d, B %d", ha, hb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.Stop()
	deadline = time.Now().Add(5 * time.Second)
	for holders(t, st, "B") != 32 {
		if time.Now().After(deadline) {
			t.Fatalf("B holds %d partitions after A left, want 32", holders(t, st, "B"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holders counts the partitions a node holds, by asking for each lease:
// AcquireLease by the holder itself only extends it.
func holders(t *testing.T, st *memory.Leased, node string) int {
	n := 0
	for p := 0; p < st.Partitions(); p++ {
		if st.Holder(p) == node {
			n++
		}
	}
	return n
}
