package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func TestIdempotentStart(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	start := func(name, input string) (*interpreter.Execution, bool, error) {
		return f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: name, Input: json.RawMessage(input)})
	}
	first, existing, err := start("order-1", `{"a":1,"b":[true]}`)
	if err != nil || existing {
		t.Fatalf("first start: existing %v, %v", existing, err)
	}
	f.wait(first.ID)
	// The same input, key order and number spelling aside, after the end.
	again, existing, err := start("order-1", `{"b":[true],"a":1.0}`)
	if err != nil || !existing || again.ID != first.ID || again.Status != store.StatusSucceeded {
		t.Errorf("same name and input: %+v existing %v, %v", again, existing, err)
	}
	if _, _, err := start("order-1", `{"a":2}`); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("same name, other input: %v, want store.ErrAlreadyExists", err)
	}
	if n := len(f.history(first.ID)); n != 4 {
		t.Errorf("the repeated starts changed the history: %d events", n)
	}
}

func TestInvalidNames(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	for _, name := range []string{strings.Repeat("a", 81), "a b", "a/b", "ä", "a:b", "x\n"} {
		_, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: name})
		if !errors.Is(err, interpreter.ErrInvalidName) {
			t.Errorf("execution name %q: %v, want ErrInvalidName", name, err)
		}
		_, err = f.eng.PutStateMachine(f.ctx, name, []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), dsl.JSON)
		if !errors.Is(err, interpreter.ErrInvalidName) {
			t.Errorf("state machine name %q: %v, want ErrInvalidName", name, err)
		}
	}
	if _, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: strings.Repeat("a", 80)}); err != nil {
		t.Errorf("an 80-character name: %v", err)
	}
	ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm"})
	if err != nil || !interpreter.ValidName(ex.Name) {
		t.Errorf("start without a name: %v, name %q", err, ex.Name)
	}
	if _, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "nope", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown state machine: %v, want store.ErrNotFound", err)
	}
	if _, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: "bad-json", Input: json.RawMessage(`{"a":`)}); err == nil {
		t.Error("malformed input was accepted")
	}
}

// TestCopySemantics: bytes a handler gets or returns, and bytes a caller
// passes in or gets back, are never shared with stored state.
func TestCopySemantics(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	var returned []json.RawMessage
	f.eng.RegisterHandler("mutate", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		out := append(json.RawMessage(nil), in...)
		for i := range in {
			if in[i] == 'v' {
				in[i] = 'X' // scribble over the input it was given
			}
		}
		mu.Lock()
		returned = append(returned, out)
		mu.Unlock()
		return out, nil
	})
	f.put("sm", `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"handler:mutate","ResultPath":"$.r","Next":"Again"},
		"Again":{"Type":"Task","Resource":"handler:mutate","ResultPath":"$.s","End":true}}}`)
	input := []byte(`{"k":"v"}`)
	ex, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: "copy", Input: input})
	if err != nil {
		t.Fatal(err)
	}
	copy(input, `{"k":"Z"}`) // the caller reuses its buffer
	ex = f.wait(ex.ID)
	mu.Lock()
	for _, b := range returned {
		for i := range b {
			b[i] = ' ' // the handler reuses what it returned
		}
	}
	mu.Unlock()
	const want = `{"k":"v","r":{"k":"v"},"s":{"k":"v","r":{"k":"v"}}}`
	if string(ex.Output) != want || string(ex.Input) != `{"k":"v"}` {
		t.Fatalf("input %s output %s, want %s", ex.Input, ex.Output, want)
	}
	again, _ := f.eng.GetExecution(f.ctx, ex.ID)
	if string(again.Output) != want || string(again.Input) != `{"k":"v"}` {
		t.Errorf("stored execution changed: input %s output %s", again.Input, again.Output)
	}
	ex.Output[2] = '!' // mutating an answer must not reach the store
	h := f.history(ex.ID)
	for _, e := range h {
		if raw := string(e.Raw); strings.Contains(raw, `"X"`) || strings.Contains(raw, `"Z"`) || strings.Contains(raw, `"!"`) {
			t.Errorf("history event %d shows a mutation: %s", e.ID, e.Raw)
		}
	}
	evs, _ := f.eng.History(f.ctx, store.HistoryQuery{ID: ex.ID})
	for _, e := range evs {
		for i := range e.Data {
			e.Data[i] = '#'
		}
	}
	if h2 := f.history(ex.ID); string(h2[0].Raw) != string(h[0].Raw) {
		t.Errorf("mutating History's answer changed the store: %s", h2[0].Raw)
	}
}
