package jsonata_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/jsonata"
)

func Example() {
	expr, err := jsonata.Compile(`Account.Order.Product{Name: $sum(Quantity)}`)
	if err != nil {
		panic(err)
	}
	input, _ := jsonata.DecodeJSON([]byte(`{"Account": {"Order": [
		{"Product": [{"Name": "Hat", "Price": 10, "Quantity": 2}, {"Name": "Bag", "Price": 25, "Quantity": 1}]},
		{"Product": [{"Name": "Hat", "Price": 10, "Quantity": 1}]}]}}`))
	result, err := expr.Evaluate(input, nil)
	if err != nil {
		panic(err)
	}
	out, _ := jsonata.EncodeJSON(result)
	fmt.Println(string(out))
	// Output: {"Hat":3,"Bag":1}
}

func ExampleExpression_Evaluate_bindings() {
	expr, _ := jsonata.Compile(`$greeting & ", " & name`)
	input, _ := jsonata.DecodeJSON([]byte(`{"name": "Ada"}`))
	result, _ := expr.Evaluate(input, map[string]any{"greeting": "Hello"})
	fmt.Println(result)
	// Output: Hello, Ada
}

func ExampleLibrary_Without() {
	// The workflow engine evaluates without $eval, and with functions of its own.
	lib := jsonata.DefaultLibrary().Without("eval")
	lib, err := lib.With(&jsonata.Builtin{Name: "double", Signature: "<n:n>", Fn: func(_ *jsonata.Call, args []any) (any, error) {
		return args[0].(float64) * 2, nil
	}})
	if err != nil {
		panic(err)
	}
	expr, _ := jsonata.Compile(`$double(21)`)
	result, _ := expr.Evaluate(jsonata.Undefined, nil, jsonata.WithLibrary(lib))
	fmt.Println(result)
	_, err = mustCompile(`$eval("1")`).Evaluate(jsonata.Undefined, nil, jsonata.WithLibrary(lib))
	fmt.Println(err.(*jsonata.Error).Code)
	// Output:
	// 42
	// T1006
}

func ExampleWithMaxDepth() {
	expr, _ := jsonata.Compile(`($f := function($n){ $n + $f($n + 1) }; $f(0))`)
	_, err := expr.Evaluate(jsonata.Undefined, nil, jsonata.WithMaxDepth(200), jsonata.WithTimeout(time.Second))
	fmt.Println(err.(*jsonata.Error).Code)
	// Output: U1001
}

// TestConcurrentEvaluate evaluates one Expression from many goroutines
// (run with -race): a compiled expression and the library are shared
// read-only.
func TestConcurrentEvaluate(t *testing.T) {
	t.Parallel()
	expr, err := jsonata.Compile(`items#$i[$i > 0]{type: $sum(%.items.n) + $count($)} ~> $each(function($v, $k){ $k & $v })`)
	if err != nil {
		t.Fatal(err)
	}
	input, err := jsonata.DecodeJSON([]byte(`{"items": [{"type": "a", "n": 1}, {"type": "b", "n": 2}, {"type": "a", "n": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want, err := expr.Evaluate(input, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := jsonata.EncodeJSON(want)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, err := expr.Evaluate(input, nil)
				if err != nil {
					errs <- err.Error()
					return
				}
				if b, _ := jsonata.EncodeJSON(got); string(b) != string(wantJSON) {
					errs <- fmt.Sprintf("got %s, want %s", b, wantJSON)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func mustCompile(s string) *jsonata.Expression {
	e, err := jsonata.Compile(s)
	if err != nil {
		panic(err)
	}
	return e
}
