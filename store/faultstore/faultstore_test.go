package faultstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
	"github.com/sfn-project/sfn/store/storetest"
)

// Without rules the wrapper is the store it wraps.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) store.Store {
		s, _ := faultstore.Wrap(memory.WithLeases(memory.New(), 8), 1)
		return s
	})
}

func TestForwardsCapabilities(t *testing.T) {
	t.Parallel()
	plain, _ := faultstore.Wrap(memory.New(), 1)
	if _, ok := plain.(store.Leaser); ok {
		t.Error("a wrapper of a store without leases offers leases")
	}
	if store.AsExpirer(plain) == nil {
		t.Error("the store's Expirer is not found beneath the wrapper")
	}
	shared, _ := faultstore.Wrap(memory.WithLeases(memory.New(), 8), 1)
	if _, ok := shared.(store.Leaser); !ok {
		t.Error("the wrapper hides store.Leaser")
	}
	if _, ok := shared.(store.NodeRegistry); !ok {
		t.Error("the wrapper hides store.NodeRegistry")
	}
}

func newExec(name string) *store.Execution {
	return &store.Execution{ID: "sm:" + name, StateMachine: "sm", Version: 1, Name: name, Status: store.StatusRunning,
		StartedAt: time.Unix(0, 0).UTC()}
}

func commitOnce(ctx context.Context, s store.Store, id string) error {
	cur, err := s.GetExecution(ctx, id)
	if err != nil {
		return err
	}
	next := *cur
	return s.Commit(ctx, store.CommitParams{ID: id, ExpectedVersion: cur.RecordVersion, Record: &next,
		Events: []store.Event{{ID: cur.LastEventID + 1, Data: []byte(`{}`)}}})
}

func TestRules(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	cases := []struct {
		name        string
		rule        faultstore.Rule
		wantErrs    int // of 10 commits
		wantApplied int // commits that changed the record
	}{
		{"every call", faultstore.Rule{Op: faultstore.Commit}, 10, 0},
		{"count", faultstore.Rule{Op: faultstore.Commit, Count: 3, Err: boom}, 3, 7},
		{"applied then failed", faultstore.Rule{Op: faultstore.Commit, Count: 2, Applied: true}, 2, 10},
		{"delay only", faultstore.Rule{Op: faultstore.Commit, Delay: time.Millisecond}, 0, 10},
		{"other op", faultstore.Rule{Op: faultstore.History}, 0, 10},
		{"match", faultstore.Rule{Op: faultstore.Commit, Match: func(id string) bool { return id == "sm:other" }}, 0, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, f := faultstore.Wrap(memory.New(), 7)
			if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: newExec("e")}); err != nil {
				t.Fatal(err)
			}
			f.Add(c.rule)
			errs := 0
			for range 10 {
				if err := commitOnce(ctx, s, "sm:e"); err != nil {
					errs++
					if c.rule.Err != nil && !errors.Is(err, c.rule.Err) {
						t.Errorf("error %v, want %v", err, c.rule.Err)
					}
				}
			}
			f.Clear()
			rec, err := s.GetExecution(ctx, "sm:e")
			if err != nil {
				t.Fatal(err)
			}
			if errs != c.wantErrs || int(rec.RecordVersion-1) != c.wantApplied {
				t.Errorf("%d errors and %d applied commits, want %d and %d", errs, rec.RecordVersion-1, c.wantErrs, c.wantApplied)
			}
			if c.wantErrs > 0 && f.Hits(faultstore.Commit) != c.wantErrs {
				t.Errorf("Hits = %d", f.Hits(faultstore.Commit))
			}
		})
	}
}

func TestProbability(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, f := faultstore.Wrap(memory.New(), 42)
	remove := f.Add(faultstore.Rule{Op: faultstore.Ping, Probability: 0.3})
	errs := 0
	for range 1000 {
		if s.Ping(ctx) != nil {
			errs++
		}
	}
	if errs < 200 || errs > 400 {
		t.Errorf("%d of 1000 pings failed at probability 0.3", errs)
	}
	remove()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("after remove: %v", err)
	}
	if f.Calls(faultstore.Ping) != 1001 {
		t.Errorf("Calls = %d", f.Calls(faultstore.Ping))
	}
}

func TestDelayHonoursContext(t *testing.T) {
	t.Parallel()
	s, f := faultstore.Wrap(memory.New(), 1)
	f.Add(faultstore.Rule{Op: faultstore.Ping, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a delayed call past its deadline: %v", err)
	}
}
