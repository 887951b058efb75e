package interpreter_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
)

// TestLateLandingCommitMakesItsCalls: a commit that schedules a task call
// and whose outcome stays unknown (the write lands, its answer is lost,
// and the reads that follow fail, as while Redis is paused) still has its
// call made, once, when the store answers again: before, the call was
// never made and the task waited for its timeout, or forever.
func TestLateLandingCommitMakesItsCalls(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		op   faultstore.Op
		def  string
	}{
		// The start's own commit schedules the call.
		{"start", faultstore.CreateExecution, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"handler:count","End":true}}}`},
		// A timer's step schedules it (the case of TestFaultPauseRedis).
		{"timer step", faultstore.Commit, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"T"},
			"T":{"Type":"Task","Resource":"handler:count","End":true}}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			fs, faults := faultstore.Wrap(memory.New(), 1)
			eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: fs, TimerPoll: 50 * time.Millisecond})
			eng.RegisterHandler("count", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
				calls.Add(1)
				return json.RawMessage(`{"ok":true}`), nil
			})
			if err := eng.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(eng.Stop)
			if _, err := eng.PutStateMachine(context.Background(), "sm", []byte(c.def), dsl.JSON); err != nil {
				t.Fatal(err)
			}
			id := "sm:late"
			// readBack tries 4 reads: all of them fail, so the outcome stays unknown.
			lostAnswer(faults, c.op, id, 4)
			_, _, err := eng.StartExecution(context.Background(), interpreter.StartParams{StateMachine: "sm", Name: "late",
				Input: json.RawMessage(`{}`)})
			if c.op == faultstore.CreateExecution && err == nil {
				t.Fatal("the start answered success though its outcome could not be known")
			}
			if c.op == faultstore.Commit && err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ex, err := eng.Wait(ctx, id)
			if err != nil {
				t.Fatalf("the execution did not end: %v (calls made: %d, rechecks pending: %d)", err, calls.Load(), eng.RechecksPending())
			}
			if ex.Status != store.StatusSucceeded || calls.Load() != 1 {
				t.Fatalf("%s %s %s after %d calls, want SUCCEEDED after 1", ex.Status, ex.Error, ex.Cause, calls.Load())
			}
			if faults.Hits(c.op) != 1 {
				t.Fatalf("the lost answer hit %d times", faults.Hits(c.op))
			}
		})
	}
}
