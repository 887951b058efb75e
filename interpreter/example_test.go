package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// Embedding sfn: an engine on the in-memory store, an in-process handler,
// a definition, one execution and its history.
func Example() {
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := eng.Start(ctx); err != nil {
		panic(err)
	}
	defer eng.Stop()

	// Resource "handler:greet" calls this function.
	eng.RegisterHandler("greet", func(_ context.Context, input json.RawMessage) (json.RawMessage, error) {
		var in struct{ Name string }
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"greeting": "Hello, " + in.Name})
	})
	def := `
StartAt: Greet
States:
  Greet:
    Type: Task
    Resource: handler:greet
    ResultPath: $.result
    End: true
`
	if _, err := eng.PutStateMachine(ctx, "hello", []byte(def), dsl.YAML); err != nil {
		panic(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "hello", Name: "first", Input: json.RawMessage(`{"Name":"Ada"}`)})
	if err != nil {
		panic(err)
	}
	ex, err = eng.Wait(ctx, ex.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(ex.Status, string(ex.Output))

	events, err := eng.History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		panic(err)
	}
	var types []string
	for _, e := range events {
		var ev struct{ Type string }
		_ = json.Unmarshal(e.Data, &ev)
		types = append(types, ev.Type)
	}
	fmt.Println(strings.Join(types, "\n"))
	// Output:
	// SUCCEEDED {"Name":"Ada","result":{"greeting":"Hello, Ada"}}
	// ExecutionStarted
	// TaskStateEntered
	// TaskScheduled
	// TaskStarted
	// TaskSucceeded
	// TaskStateExited
	// ExecutionSucceeded
}

// StopExecution ends a running execution at once: ABORTED, with the error
// and cause given.
func ExampleEngine_StopExecution() {
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := eng.Start(ctx); err != nil {
		panic(err)
	}
	defer eng.Stop()
	def := `{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":3600,"End":true}}}`
	if _, err := eng.PutStateMachine(ctx, "sleepy", []byte(def), dsl.JSON); err != nil {
		panic(err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "sleepy", Name: "nap"})
	if err != nil {
		panic(err)
	}
	ex, err = eng.StopExecution(ctx, ex.ID, "Operator.Cancelled", "not needed any more")
	if err != nil {
		panic(err)
	}
	fmt.Println(ex.Status, ex.Error, ex.Cause)
	// Output:
	// ABORTED Operator.Cancelled not needed any more
}
