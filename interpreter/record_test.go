package interpreter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestDamagedStoredInput: the engine decodes an execution's input only
// when a step reads it, but a record read from the store has its input
// checked at once: a damaged one (here overwritten behind the engine's
// back) is a clear error naming the input, not an empty object later.
func TestDamagedStoredInput(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	ctx := context.Background()
	prefix := "damaged" + strings.ReplaceAll(t.Name(), "/", "-")
	st, err := redisstore.New(ctx, redisstore.Options{URL: url, Partitions: 4, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, RecordCache: -1}) // every look reads the store
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	if _, err := eng.PutStateMachine(ctx, "sm", []byte(`{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "sm", Name: "x", Input: []byte(`{"k":1}`)})
	if err != nil {
		t.Fatal(err)
	}

	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	defer raw.Close()
	keys, err := raw.Keys(ctx, prefix+":*:x:"+ex.ID).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("record key: %v %v", keys, err)
	}
	if err := raw.HSet(ctx, keys[0], "in", `{"k":`).Err(); err != nil {
		t.Fatal(err)
	}

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = eng.StopExecution(sctx, ex.ID, "", "")
	if err == nil || !strings.Contains(err.Error(), "input: not valid JSON") {
		t.Fatalf("stopping an execution with a damaged stored input: %v; want an error naming the input", err)
	}
}
