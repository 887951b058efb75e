package redis_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
	"github.com/sfn-project/sfn/store/storetest"
)

func open(t testing.TB, o redis.Options) *redis.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.New(ctx, o)
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	url := sharedURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, redis.Options{URL: url, Prefix: newPrefix(), Partitions: 64})
	})
}

// TestDefaultPartitions runs a part of the suite's ground on the default
// 256 partitions: listing, due times and activity queues merge them all.
func TestDefaultPartitions(t *testing.T) {
	t.Parallel()
	s := open(t, redis.Options{URL: sharedURL(t), Prefix: newPrefix()})
	defer s.Close()
	if s.Partitions() != 256 {
		t.Fatalf("Partitions() = %d, want 256", s.Partitions())
	}
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		id := "sm:e" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		rec := &store.Execution{ID: id, StateMachine: "sm", Version: 1, Name: id[3:], Status: store.StatusRunning,
			StartedAt: base.Add(time.Duration(i) * time.Second), DueAt: base.Add(time.Duration(i) * time.Second)}
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec,
			Activities: []store.ActivityTask{{Activity: "act", Token: id, ExecutionID: id}}}); err != nil {
			t.Fatal(err)
		}
	}
	var all []store.Summary
	cursor := ""
	for {
		page, next, err := s.ListExecutions(ctx, store.ListQuery{Cursor: cursor, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 40 {
		t.Fatalf("listed %d, want 40", len(all))
	}
	for i := 1; i < len(all); i++ {
		if !all[i].StartedAt.Before(all[i-1].StartedAt) {
			t.Fatalf("listing not newest first at %d: %v after %v", i, all[i].StartedAt, all[i-1].StartedAt)
		}
	}
	due, err := s.Due(ctx, base.Add(9*time.Second), 5)
	if err != nil || len(due) != 5 || due[0] != "sm:eaa" {
		t.Fatalf("Due = %v, %v; want 5 ids from sm:eaa", due, err)
	}
	// One task per execution, spread over partitions: each is handed out
	// once (across partitions the order is not the queue order, see
	// activities.go), then the queue is empty.
	popped := map[string]bool{}
	for i := 0; i < 40; i++ {
		tk, err := storetest.Take(ctx, s, "act")
		if err != nil {
			t.Fatalf("PopActivity %d: %v", i, err)
		}
		if popped[tk.Token] {
			t.Fatalf("PopActivity %d: %s handed out twice", i, tk.Token)
		}
		popped[tk.Token] = true
	}
	if _, err := storetest.Take(ctx, s, "act"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PopActivity after 40: %v, want ErrNotFound", err)
	}
}

// twoNodes opens two stores on one key prefix of the shared Redis, as two
// nodes of one deployment.
func twoNodes(t *testing.T, partitions int) (a, b *redis.Store) {
	t.Helper()
	o := redis.Options{URL: sharedURL(t), Prefix: newPrefix(), Partitions: partitions}
	a, b = open(t, o), open(t, o)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestWatchAcrossNodes: a commit through one store wakes a watch on
// another store (another node) on the same Redis.
func TestWatchAcrossNodes(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, 16)
	ctx := context.Background()
	rec := &store.Execution{ID: "sm:w", StateMachine: "sm", Version: 1, Name: "w", Status: store.StatusRunning, StartedAt: time.Now()}
	if _, err := a.CreateExecution(ctx, store.CreateParams{Execution: rec}); err != nil {
		t.Fatal(err)
	}
	notices, cancel := a.Watch(ctx, rec.ID)
	defer cancel()
	if err := b.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: rec}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-notices:
	case <-time.After(5 * time.Second):
		t.Fatal("no notice on node a after a commit on node b")
	}
}

// TestRestartKeepsData: with the append-only file on (fsync always), a
// commit acknowledged before Redis is killed is there after the restart.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	srv := redistest.Pausable(t, "--appendonly", "yes", "--appendfsync", "always")
	o := redis.Options{URL: srv.URL, Prefix: "restart", Partitions: 8}
	s := open(t, o)
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := s.PutStateMachine(ctx, store.StateMachine{Name: "sm", DefinitionSHA256: "x", Definition: []byte(`{}`), UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	rec := &store.Execution{ID: "sm:r", StateMachine: "sm", Version: 1, Name: "r", Status: store.StatusRunning,
		StartedAt: base, Engine: []byte("e1"), Threads: map[string][]byte{"0": []byte("t")}}
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: []store.Event{{ID: 1, Data: []byte(`{"a":1}`)}}}); err != nil {
		t.Fatal(err)
	}
	next := *rec
	next.Engine = []byte("e2")
	if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: &next,
		Events: []store.Event{{ID: 2, Data: []byte(`{"b":2}`)}}}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	srv.Kill()
	srv.Restart(t)
	s = open(t, o)
	defer s.Close()
	got, err := s.GetExecution(ctx, rec.ID)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got.RecordVersion != 2 || got.LastEventID != 2 || string(got.Engine) != "e2" || string(got.Threads["0"]) != "t" {
		t.Fatalf("after restart: %+v", got)
	}
	h, err := s.History(ctx, store.HistoryQuery{ID: rec.ID})
	if err != nil || len(h) != 2 || string(h[1].Data) != `{"b":2}` {
		t.Fatalf("history after restart: %v %v", h, err)
	}
	if _, err := s.GetStateMachine(ctx, "sm", 0); err != nil {
		t.Fatalf("state machine after restart: %v", err)
	}
}

// TestUnreachable: calls to a Redis that does not answer end with an
// error, never hang. The calls' contexts have no deadline, so only the
// store's own Timeout can end a call to a server that never answers: a
// call that returns at all shows that timeout at work.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	quick := func(t *testing.T, what string, call func() error) {
		t.Helper()
		if err := call(); err == nil {
			t.Errorf("%s: no error", what)
		}
	}

	t.Run("SilentServer", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() { // accept and never answer
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		quick(t, "New", func() error {
			s, err := redis.New(context.Background(), redis.Options{URL: "redis://" + l.Addr().String(), Timeout: timeout})
			if err == nil {
				s.Close()
			}
			return err
		})
	})
	t.Run("ClosedPort", func(t *testing.T) {
		t.Parallel()
		port, err := freePortForTest()
		if err != nil {
			t.Fatal(err)
		}
		quick(t, "New", func() error {
			_, err := redis.New(context.Background(), redis.Options{URL: "redis://127.0.0.1:" + port, Timeout: timeout})
			return err
		})
	})
	t.Run("PausedServer", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Pausable(t)
		s := open(t, redis.Options{URL: srv.URL, Prefix: "paused", Partitions: 8, Timeout: timeout})
		defer s.Close()
		ctx := context.Background()
		rec := &store.Execution{ID: "sm:p", StateMachine: "sm", Version: 1, Name: "p", Status: store.StatusRunning, StartedAt: time.Now()}
		if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec}); err != nil {
			t.Fatal(err)
		}
		srv.Pause(t)
		quick(t, "Ping", func() error { return s.Ping(ctx) })
		quick(t, "GetExecution", func() error { _, err := s.GetExecution(ctx, rec.ID); return err })
		quick(t, "Commit", func() error {
			return s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: rec})
		})
		quick(t, "ListExecutions", func() error { _, _, err := s.ListExecutions(ctx, store.ListQuery{}); return err })
		srv.Resume(t)
		// Work resumes on its own. The commit that timed out may or may
		// not have been applied: re-read, as callers must.
		deadline := time.Now().Add(5 * time.Second)
		for {
			cur, err := s.GetExecution(ctx, rec.ID)
			if err == nil {
				if cur.RecordVersion != 1 && cur.RecordVersion != 2 {
					t.Fatalf("record version %d after an ambiguous commit", cur.RecordVersion)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Redis resumed but the store still fails: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func freePortForTest() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, l.Close()
}

// TestEvictionPolicy: New refuses a maxmemory-policy that evicts keys.
func TestEvictionPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		policy string
		ok     bool
	}{
		{"noeviction", true},
		{"allkeys-lru", false},
		{"volatile-lru", false},
		{"allkeys-random", false},
		{"volatile-ttl", false},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Pausable(t, "--maxmemory-policy", c.policy)
			s, err := redis.New(context.Background(), redis.Options{URL: srv.URL, Prefix: "policy"})
			if c.ok {
				if err != nil {
					t.Fatalf("New on %s: %v", c.policy, err)
				}
				s.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), "maxmemory-policy") || !strings.Contains(err.Error(), c.policy) {
				t.Fatalf("New on %s: error %v, want a refusal naming the policy", c.policy, err)
			}
			s, err = redis.New(context.Background(), redis.Options{URL: srv.URL, Prefix: "policy", SkipPolicyCheck: true})
			if err != nil {
				t.Fatalf("New with SkipPolicyCheck: %v", err)
			}
			s.Close()
		})
	}
}

// TestOptions: bad options and a changed partition count are refused.
func TestOptions(t *testing.T) {
	t.Parallel()
	url := sharedURL(t)
	prefix := newPrefix()
	open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 32}).Close()
	ctx := context.Background()
	for _, o := range []redis.Options{
		{URL: url, Prefix: prefix, Partitions: 64},
		{URL: url, Prefix: "a{b}"},
		{URL: ""},
		{URL: "http://127.0.0.1:1"},
	} {
		if s, err := redis.New(ctx, o); err == nil {
			s.Close()
			t.Errorf("New(%+v): no error", o)
		}
	}
	s := open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 32})
	defer s.Close()
	if _, _, err := s.AcquireLease(ctx, 32, "n", time.Second); err == nil {
		t.Error("AcquireLease(32) of 32 partitions: no error")
	}
	if err := s.Close(); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("Close: %v", err)
	}
}

// TestOddNames: names with the key separator still get their own keys,
// and a commit moves them between the status indexes.
func TestOddNames(t *testing.T) {
	t.Parallel()
	s := open(t, redis.Options{URL: sharedURL(t), Prefix: newPrefix(), Partitions: 8})
	defer s.Close()
	ctx := context.Background()
	rec := &store.Execution{ID: "a:b%:c:d", StateMachine: "a:b%", Version: 1, Name: "c:d", Status: store.StatusRunning, StartedAt: time.Now()}
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec}); err != nil {
		t.Fatal(err)
	}
	next := *rec
	next.Status = store.StatusSucceeded
	if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: &next}); err != nil {
		t.Fatal(err)
	}
	for status, want := range map[string]int{store.StatusSucceeded: 1, store.StatusRunning: 0} {
		got, _, err := s.ListExecutions(ctx, store.ListQuery{StateMachine: "a:b%", Status: status})
		if err != nil || len(got) != want {
			t.Errorf("list %s: %v %v, want %d", status, got, err, want)
		}
		got, _, err = s.ListExecutions(ctx, store.ListQuery{StateMachine: "a", Status: status})
		if err != nil || len(got) != 0 {
			t.Errorf("list of state machine a, %s: %v %v, want none", status, got, err)
		}
	}
}

// TestPollsAcrossNodes: node a queues tasks in several partitions and
// polls the partitions it queued in first (local hints); node b knows them
// only from the shared hint set. Between them every task is handed out
// exactly once, whichever node empties which partition first, and then
// both find nothing.
func TestPollsAcrossNodes(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, 8)
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 12 {
		name := "x" + string(rune('a'+i))
		rec := &store.Execution{ID: "sm:" + name, StateMachine: "sm", Version: 1, Name: name, Status: store.StatusRunning, StartedAt: time.Now()}
		token := "token-" + name
		want[token] = true
		if _, err := a.CreateExecution(ctx, store.CreateParams{Execution: rec,
			Activities: []store.ActivityTask{{Activity: "work", Token: token, ExecutionID: rec.ID}}}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for i := 0; len(got) < len(want); i++ {
		node, s := "a", a
		if i%3 != 0 { // b takes two of three, emptying partitions a still has hints for
			node, s = "b", b
		}
		task, err := storetest.Take(ctx, s, "work")
		if err != nil {
			t.Fatalf("poll %d on node %s, with %d of %d tasks handed out: %v", i, node, len(got), len(want), err)
		}
		if prev, dup := got[task.Token]; dup {
			t.Fatalf("task %s handed out twice: to node %s, then to node %s", task.Token, prev, node)
		}
		got[task.Token] = node
	}
	for token := range want {
		if got[token] == "" {
			t.Errorf("task %s never handed out", token)
		}
	}
	for node, s := range map[string]*redis.Store{"a": a, "b": b} {
		if task, err := storetest.Take(ctx, s, "work"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("node %s, all tasks handed out: got %v, %v; want ErrNotFound", node, task, err)
		}
	}
}
