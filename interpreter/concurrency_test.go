package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// TestManyExecutionsAtOnce runs 200 executions with Parallel, Map and
// handler tasks together; run it with -race.
func TestManyExecutionsAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.eng.RegisterHandler("double", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var v struct{ N int }
		if err := json.Unmarshal(in, &v); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]int{"n": v.N * 2})
	})
	f.put("sm", `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,"End":true,
			"ItemSelector":{"N.$":"$$.Map.Item.Value"},
			"ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"handler:double","OutputPath":"$.n","End":true}}}}}},
		{"StartAt":"One","States":{"One":{"Type":"Task","Resource":"handler:double","Parameters":{"N.$":"$.id"},"Next":"Out"},
			"Out":{"Type":"Pass","OutputPath":"$.n","End":true}}}]}}}`)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: fmt.Sprintf("e%d", i),
				Input: json.RawMessage(fmt.Sprintf(`{"id":%d,"xs":[1,2,%d]}`, i, i))})
			if err != nil {
				errs <- err
				return
			}
			ctx, cancel := context.WithTimeout(f.ctx, guard)
			defer cancel()
			ex, err = f.eng.Wait(ctx, ex.ID)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", ex.ID, err)
				return
			}
			want := fmt.Sprintf(`[[2,4,%d],%d]`, 2*i, 2*i)
			if ex.Status != store.StatusSucceeded || string(ex.Output) != want {
				errs <- fmt.Errorf("%s: %s %s %q, want %s", ex.ID, ex.Status, ex.Output, ex.Cause, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
