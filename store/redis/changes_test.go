package redis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
)

// TestChangeLogCap: a partition's log keeps at most its cap of entries
// (trimmed by the appends), and a cursor before what the cap trimmed is
// refused, not read on from the oldest entry kept.
func TestChangeLogCap(t *testing.T) {
	t.Parallel()
	s := open(t, redis.Options{URL: sharedURL(t), Prefix: newPrefix(), Partitions: 1, ChangeRetention: time.Hour})
	const capacity = 5
	s.SetChangeCap(capacity)
	ctx := context.Background()
	start, err := s.ChangeCursorAt(ctx, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * capacity {
		name := fmt.Sprint("e", i)
		rec := &store.Execution{ID: "sm:" + name, StateMachine: "sm", Version: 1, Name: name, Status: store.StatusRunning,
			Input: []byte(`{}`), StartedAt: time.Now(), Engine: []byte("x"), Threads: map[string][]byte{"0": []byte("t")}}
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: []store.Event{{ID: 1, Data: []byte(`{}`)}},
			Change: []byte(`"` + name + `"`)}); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := s.ReadChanges(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != capacity || string(all[0].Data) != fmt.Sprintf(`"e%d"`, 2*capacity) {
		t.Fatalf("kept %d entries from %s, want the last %d", len(all), all[0].Data, capacity)
	}
	_, _, err = s.ReadChanges(ctx, start, 100)
	var te *store.TrimmedError
	if !errors.As(err, &te) {
		t.Fatalf("ReadChanges from before the trimmed entries: %v, want a *store.TrimmedError", err)
	}
	rest, _, err := s.ReadChanges(ctx, te.Resume, 100)
	if err != nil || len(rest) != capacity {
		t.Fatalf("from the resume cursor: %d entries (%v), want %d", len(rest), err, capacity)
	}
}
