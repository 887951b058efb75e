package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// groupFixture opens a store with one sender, so concurrent commits are
// certainly sent together, and creates n executions.
func groupFixture(t *testing.T, url string, o redis.Options, n int) (*redis.Store, []*store.Execution) {
	t.Helper()
	o.URL, o.Prefix, o.Senders = url, newPrefix(), 1
	s := open(t, o)
	t.Cleanup(func() { _ = s.Close() })
	recs := make([]*store.Execution, n)
	for i := range recs {
		recs[i] = &store.Execution{ID: fmt.Sprintf("sm:g%d", i), StateMachine: "sm", Version: 1, Name: fmt.Sprintf("g%d", i),
			Status: store.StatusRunning, Input: []byte(`{}`), StartedAt: time.Unix(1700000000, 0)}
		if _, err := s.CreateExecution(context.Background(), store.CreateParams{Execution: recs[i],
			Events: []store.Event{{ID: 1, Data: []byte(`{"id":1}`)}}}); err != nil {
			t.Fatal(err)
		}
	}
	return s, recs
}

func commitOne(s *redis.Store, rec *store.Execution, version, fence int64, tag string) error {
	next := *rec
	next.Engine = []byte(tag)
	return s.Commit(context.Background(), store.CommitParams{ID: rec.ID, ExpectedVersion: version, Fence: fence, Record: &next,
		Events: []store.Event{{ID: version + 1, Data: []byte(`{"tag":"` + tag + `"}`)}}})
}

// TestGroupCommitOutcomesPerCall: commits sent together keep their own
// outcome: of many racing on one record exactly one applies and the others
// conflict; wrong fences are refused one by one; the rest apply.
func TestGroupCommitOutcomesPerCall(t *testing.T) {
	t.Parallel()
	s, recs := groupFixture(t, sharedURL(t), redis.Options{Partitions: 8}, 40)
	ctx := context.Background()
	fences := map[int]int64{}
	for p := range 8 {
		f, ok, err := s.AcquireLease(ctx, p, "me", time.Minute)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		fences[p] = f
	}
	fenceOf := func(id string) int64 { return fences[store.PartitionOf(id, 8)] }

	var wg sync.WaitGroup
	racers := make([]error, 30)
	for i := range racers { // 30 writers on recs[0], all at version 1
		wg.Add(1)
		go func() { defer wg.Done(); racers[i] = commitOne(s, recs[0], 1, fenceOf(recs[0].ID), fmt.Sprint("r", i)) }()
	}
	others := make([]error, len(recs))
	for i := 1; i < len(recs); i++ { // odd ones with a wrong fence (0 would be an outside write)
		fence := fenceOf(recs[i].ID)
		if i%2 == 1 {
			fence += 100
		}
		wg.Add(1)
		go func() { defer wg.Done(); others[i] = commitOne(s, recs[i], 1, fence, "o") }()
	}
	wg.Wait()
	applied := 0
	for _, err := range racers {
		switch {
		case err == nil:
			applied++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer: %v, want nil or ErrConflict", err)
		}
	}
	if applied != 1 {
		t.Errorf("%d racing commits applied, want 1", applied)
	}
	for i := 1; i < len(recs); i++ {
		got, err := s.GetExecution(ctx, recs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if !errors.Is(others[i], store.ErrLeaseLost) || got.RecordVersion != 1 {
				t.Errorf("%s with a wrong fence: %v, version %d; want ErrLeaseLost, 1", recs[i].ID, others[i], got.RecordVersion)
			}
		} else if others[i] != nil || got.RecordVersion != 2 || got.LastEventID != 2 {
			t.Errorf("%s: %v, version %d, last %d; want applied", recs[i].ID, others[i], got.RecordVersion, got.LastEventID)
		}
	}
}

// TestGroupCommitScriptFlushed: a Redis that forgot the scripts (restart,
// SCRIPT FLUSH) answers NOSCRIPT per command; those commits are sent again
// with the script text and apply once.
func TestGroupCommitScriptFlushed(t *testing.T) {
	t.Parallel()
	srv := redistest.Pausable(t)
	s, recs := groupFixture(t, srv.URL, redis.Options{Partitions: 4}, 20)
	c := goredis.NewClient(&goredis.Options{Addr: srv.URL[len("redis://"):]})
	defer c.Close()
	if err := c.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(recs))
	for i, rec := range recs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = commitOne(s, rec, 1, 0, "x") }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", recs[i].ID, err)
		}
		h, err := s.History(context.Background(), store.HistoryQuery{ID: recs[i].ID})
		if err != nil || len(h) != 2 {
			t.Fatalf("%s: history %d events (%v), want 2", recs[i].ID, len(h), err)
		}
	}
}

// TestGroupCommitBounded: with Redis paused, commits (queued behind one in
// flight) fail rather than wait for it (their contexts have no deadline:
// only the store's own Timeout ends them), and after Close they fail.
func TestGroupCommitBounded(t *testing.T) {
	t.Parallel()
	srv := redistest.Pausable(t)
	s, recs := groupFixture(t, srv.URL, redis.Options{Partitions: 4, Timeout: 300 * time.Millisecond}, 10)
	srv.Pause(t)
	var wg sync.WaitGroup
	errs := make([]error, len(recs))
	for i, rec := range recs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = commitOne(s, rec, 1, 0, "x") }()
	}
	wg.Wait()
	srv.Resume(t)
	for i, err := range errs {
		if err == nil {
			t.Errorf("%s: commit to a paused Redis succeeded", recs[i].ID)
		}
	}
	_ = s.Close()
	if err := commitOne(s, recs[0], 1, 0, "y"); err == nil {
		t.Error("commit after Close succeeded")
	}
}
