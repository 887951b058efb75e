package interpreter_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/internal/testenv"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

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
						if _, rejected := rejections[c.Name]; c.Skip != "" && !rejected {
							t.Skip(c.Skip)
						}
						t.Parallel()
						sm, exName, activity := "jn-"+c.Name, "x-"+c.Name, "act-"+c.Name
						sub := strings.NewReplacer("{{SM_NAME}}", sm, "{{EXEC_NAME}}", exName, "{{ACTIVITY}}", activity, "{{ECHO_URL}}", echo.URL)
						runConfCase(t, eng, c, sm, exName, activity, sub, false)
					})
				}
			}
		})
	}
}
