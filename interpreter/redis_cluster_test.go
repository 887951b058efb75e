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
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestRedisClusterEndToEnd runs executions with a Wait and a handler task
// on a local 3-master Redis Cluster: creates, fenced commits, timers, leases
// over all shards and sharded commit notices (Wait returns on a notice).
func TestRedisClusterEndToEnd(t *testing.T) {
	t.Parallel()
	url := redistest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := redisstore.New(ctx, redisstore.Options{URL: url, Prefix: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, TimerPoll: 100 * time.Millisecond})
	eng.RegisterHandler("echo", echoHandler)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	const def = `{"StartAt":"Hold","States":{
		"Hold":{"Type":"Wait","Seconds":1,"Next":"Call"},
		"Call":{"Type":"Task","Resource":"handler:echo","Next":"Check"},
		"Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanEquals":0,"Next":"Done"}],"Default":"Done"},
		"Done":{"Type":"Succeed"}}}`
	if _, err := eng.PutStateMachine(ctx, "cluster", []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	const n = 24
	ids := make([]string, n)
	for i := range ids {
		ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "cluster", Name: fmt.Sprintf("e%d", i),
			Input: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = ex.ID
	}
	for i, id := range ids {
		ex, err := eng.Wait(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if ex.Status != store.StatusSucceeded || string(ex.Output) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("%s ended %s %s %s %s", id, ex.Status, ex.Error, ex.Cause, ex.Output)
		}
		evs, err := eng.History(ctx, store.HistoryQuery{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for j, e := range evs {
			if e.ID != int64(j+1) {
				t.Fatalf("%s: event %d has id %d", id, j+1, e.ID)
			}
			var h struct{ Type string }
			_ = json.Unmarshal(e.Data, &h)
			types = append(types, h.Type)
		}
		if len(types) == 0 || types[len(types)-1] != "ExecutionSucceeded" {
			t.Errorf("%s: history %v", id, types)
		}
	}
	page, _, err := eng.Store().ListExecutions(ctx, store.ListQuery{StateMachine: "cluster", Status: store.StatusSucceeded, Limit: 100})
	if err != nil || len(page) != n {
		t.Fatalf("listed %d succeeded executions (%v), want %d", len(page), err, n)
	}
}
