package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// TestMaxTaskCalls: over Config.MaxTaskCalls, calls wait in the order they
// were scheduled, none is lost, and TaskCallsWaiting counts them.
func TestMaxTaskCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), MaxTaskCalls: 2, TimerPoll: time.Hour})
	var mu sync.Mutex
	var order []string
	entered := make(chan string, 10)
	release := make(chan struct{})
	eng.RegisterHandler("work", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var v struct{ N int }
		_ = json.Unmarshal(in, &v)
		mu.Lock()
		order = append(order, fmt.Sprint(v.N))
		mu.Unlock()
		entered <- fmt.Sprint(v.N)
		<-release
		return in, nil
	})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	if _, err := eng.PutStateMachine(ctx, "call", []byte(callDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ids := startN(t, eng, "call", 5) // inputs {"n":0} … {"n":4}, scheduled in that order
	<-entered
	<-entered
	waitFor(t, "three calls in line", func() bool { return eng.TaskCallsWaiting() == 3 })
	select {
	case n := <-entered:
		t.Fatalf("call %s started with two in flight and a bound of 2", n)
	default:
	}
	for range 3 {
		release <- struct{}{} // one call ends: the first in line starts
		<-entered
	}
	close(release)
	for _, id := range ids {
		ex, err := eng.Wait(ctx, id)
		if err != nil || ex.Status != store.StatusSucceeded {
			t.Fatalf("%s: %v %v", id, ex, err)
		}
	}
	if eng.TaskCallsWaiting() != 0 {
		t.Errorf("%d calls still wait", eng.TaskCallsWaiting())
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(order[2:]) != "[2 3 4]" {
		t.Errorf("calls started in the order %v; those that waited must start in the order they were scheduled", order)
	}
}
