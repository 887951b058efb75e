package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// flakyOnce fails the first call for each input listed in failFirst and
// counts every call by input.
type flakyOnce struct {
	mu        sync.Mutex
	failFirst map[string]bool
	calls     map[string]int
}

func (f *flakyOnce) handle(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := string(in)
	f.calls[key]++
	if f.failFirst[key] && f.calls[key] == 1 {
		return nil, failure.New("Flaky", "first call of "+key)
	}
	return json.RawMessage(fmt.Sprintf(`{"done":%s}`, in)), nil
}

// TestRedriveRunsOnlyUnsucceededChildren: after a Map (or Parallel) failed
// because one iteration (branch) failed, a redrive runs only that one; the
// others' results are kept.
func TestRedriveRunsOnlyUnsucceededChildren(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, def, input, want string
		calls                  int
	}{
		{
			name: "map",
			def: `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":1,
				"ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"handler:f","End":true}}},"End":true}}}`,
			input: `{"xs":[1,2,3]}`,
			want:  `[{"done":1},{"done":2},{"done":3}]`,
			calls: 3 + 1, // 1, 2 (fails), 3 is never started (MaxConcurrency 1) ... then 2 and 3 on redrive
		},
		{
			name: "parallel",
			def: `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
				{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"done":{"b":1}},"End":true}}},
				{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"handler:f","Parameters":{"b":2},"End":true}}}]}}}`,
			input: `{}`,
			want:  `[{"done":{"b":1}},{"done":{"b":2}}]`,
			calls: 2, // B fails, B again on redrive; A (a Pass) runs once: see the history check
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := &flakyOnce{failFirst: map[string]bool{`2`: true, `{"b":2}`: true}, calls: map[string]int{}}
			eng, ex := failThenRedrive(t, f, tc.def, tc.input)
			if string(ex.Output) != tc.want {
				t.Errorf("output %s, want %s", ex.Output, tc.want)
			}
			total := 0
			for _, n := range f.calls {
				total += n
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if tc.name == "map" {
				// 1 ran once; 2 twice (failed, then redriven); 3 once (after the redrive).
				if f.calls["1"] != 1 || f.calls["2"] != 2 || f.calls["3"] != 1 {
					t.Errorf("calls %v", f.calls)
				}
			} else if total != tc.calls {
				t.Errorf("%d calls %v, want %d", total, f.calls, tc.calls)
			}
			evs, err := eng.History(ctx, store.HistoryQuery{ID: ex.ID})
			if err != nil {
				t.Fatal(err)
			}
			passes := 0
			for _, e := range evs {
				var h struct{ Type string }
				_ = json.Unmarshal(e.Data, &h)
				if h.Type == "PassStateEntered" {
					passes++
				}
			}
			if tc.name == "parallel" && passes != 1 {
				t.Errorf("branch A ran %d times, want once", passes)
			}
		})
	}
}

// TestRedriveResumesNestedChildren: a Map inside a Parallel branch fails on
// one item; the redrive resumes the branch at the Map (the Pass before it
// does not run again) and the Map runs only the items that did not succeed.
func TestRedriveResumesNestedChildren(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &flakyOnce{failFirst: map[string]bool{`2`: true}, calls: map[string]int{}}
	def := `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{
			"A":{"Type":"Pass","Next":"Each"},
			"Each":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":1,"End":true,
				"ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"handler:f","End":true}}}}}},
		{"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}]}}}`
	eng, ex := failThenRedrive(t, f, def, `{"xs":[1,2,3]}`)
	if want := `[[{"done":1},{"done":2},{"done":3}],"b"]`; string(ex.Output) != want {
		t.Errorf("output %s, want %s", ex.Output, want)
	}
	f.mu.Lock()
	calls := fmt.Sprint(f.calls)
	f.mu.Unlock()
	if calls != "map[1:1 2:2 3:1]" {
		t.Errorf("handler calls %s, want item 1 once, 2 twice, 3 once", calls)
	}
	evs, err := eng.History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		t.Fatal(err)
	}
	entered := map[string]int{}
	for _, e := range evs {
		var h struct{ Type, Name string }
		_ = json.Unmarshal(e.Data, &h)
		if h.Type == "PassStateEntered" {
			entered[h.Name]++
		}
	}
	if entered["A"] != 1 || entered["B"] != 1 {
		t.Errorf("Pass states entered %v, want A and B once each", entered)
	}
}

// failThenRedrive runs def with handler f on a fresh engine, requires the
// first run to fail, redrives it, and returns the execution once it has
// succeeded.
func failThenRedrive(t *testing.T, f *flakyOnce, def, input string) (*interpreter.Engine, *interpreter.Execution) {
	t.Helper()
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	eng.RegisterHandler("f", f.handle)
	if _, err := eng.PutStateMachine(ctx, "sm", []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "sm", Input: json.RawMessage(input)})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if ex, err = eng.Wait(wctx, ex.ID); err != nil || ex.Status != store.StatusFailed {
		t.Fatalf("first run: %v %+v", err, ex)
	}
	if _, err := eng.RedriveExecution(ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	if ex, err = eng.Wait(wctx, ex.ID); err != nil || ex.Status != store.StatusSucceeded {
		t.Fatalf("after redrive: %v %+v", err, ex)
	}
	return eng, ex
}
