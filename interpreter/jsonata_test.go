package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/internal/testenv"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// jsonataRejections say why sfn refuses each REJECTED JSONata case.
var jsonataRejections = map[string]dsl.Problem{
	"jsonata-ql-downgrade-rejected":                 {Code: dsl.CodeInvalidQueryLanguage, Path: "/States/Pass/QueryLanguage"},
	"jsonata-expression-in-jsonpath-state-rejected": {Code: dsl.CodeInvalidTimestamp, Path: "/States/WaitUntil/Timestamp"},
	"jsonata-fn-eval-unsupported":                   {Code: dsl.CodeInvalidQuery, Path: "/States/State_0/Output"},
}

// TestJSONataCasesNext runs the AWS-recorded JSONata and variables cases
// of cases-next (jsonata-*, variables-*) against the engine, on memory and
// on Redis, with their history where the case pins it.
func TestJSONataCasesNext(t *testing.T) {
	files := append(testenv.SharedFiles(t, "conformance/cases-next/jsonata-*.json"),
		testenv.SharedFiles(t, "conformance/cases-next/variables-*.json")...)
	stores := map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return memory.New() },
		"redis": func(t *testing.T) store.Store {
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16, Prefix: "jsonata"})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: mk(t)})
			if err := eng.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(eng.Stop)
			echo := echoServer(t)
			for _, file := range files {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var cases []confCase
				if err := json.Unmarshal(data, &cases); err != nil {
					t.Fatalf("%s: %v", filepath.Base(file), err)
				}
				for _, c := range cases {
					t.Run(c.Name, func(t *testing.T) {
						if c.Skip != "" && jsonataRejections[c.Name].Code == "" {
							t.Skip(c.Skip)
						}
						t.Parallel()
						runCaseNext(t, eng, echo.URL, c)
					})
				}
			}
		})
	}
}

func runCaseNext(t *testing.T, eng *interpreter.Engine, echoURL string, c confCase) {
	ctx := context.Background()
	sm, exName, activity := "jn-"+c.Name, "x-"+c.Name, "act-"+c.Name
	sub := strings.NewReplacer("{{SM_NAME}}", sm, "{{EXEC_NAME}}", exName, "{{ACTIVITY}}", activity, "{{ECHO_URL}}", echoURL)
	if needs(c.Needs, "activity") {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go runWorker(wctx, eng, activity, c.Worker)
	}
	_, err := eng.PutStateMachine(ctx, sm, []byte(sub.Replace(string(c.Definition))), dsl.JSON)
	if c.Expect.Status == "REJECTED" {
		var invalid *interpreter.InvalidDefinitionError
		if !errors.As(err, &invalid) {
			t.Fatalf("PutStateMachine: %v; want an InvalidDefinitionError", err)
		}
		want := jsonataRejections[c.Name]
		for _, p := range invalid.Problems {
			if p.Code == want.Code && p.Path == want.Path {
				return
			}
		}
		t.Fatalf("refused without %s at %q:\n%s", want.Code, want.Path, invalid.Problems.Error())
	}
	if err != nil {
		t.Fatalf("definition rejected: %v", err)
	}
	input := c.Input
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: sm, Name: exName, Input: input})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if ex, err = eng.Wait(wctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	checkCase(t, c, sub, ex)
	checkHistoryTypes(t, eng, ex.ID, c.HistoryTypes)
}
