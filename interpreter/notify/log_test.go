package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// The engine logs status changes only while the store keeps its change
// log, and leaves the cause (up to 32 KB, in the record) out of entries.
func TestEngineLogsOnlyWhileKept(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		eng := node(t, st, "n1", nil)
		run(t, eng, "ok", "unlogged")
		cl := store.AsChangeLog(st)
		if cl == nil {
			t.Fatal("the store has no change log")
		}
		store.KeepChanges(st, 0)
		bad := run(t, eng, "bad", "logged")
		if bad.Cause == "" {
			t.Fatal("the failed execution has no cause")
		}
		ctx := context.Background()
		var statuses []string
		cursor := ""
		for {
			page, next, err := cl.ReadChanges(ctx, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				sc, err := interpreter.DecodeStatusChange(c.Data)
				if err != nil {
					t.Fatal(err)
				}
				statuses = append(statuses, sc.Name+" "+sc.Status)
				if strings.Contains(string(c.Data), `"cause"`) || sc.Cause != "" {
					t.Errorf("entry %s carries the cause", c.Data)
				}
			}
			cursor = next
		}
		if got := strings.Join(statuses, ", "); got != "logged RUNNING, logged FAILED" && got != "logged FAILED" {
			t.Errorf("logged %q, want only the execution run after KeepChanges", got)
		}
	})
}
