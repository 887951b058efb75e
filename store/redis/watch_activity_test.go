package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
	"github.com/sfn-project/sfn/store/storetest"
)

// stores gives a standalone and a Cluster store with few partitions, so
// that executions share partitions and subscriptions.
func stores(t *testing.T) map[string]func(t *testing.T) *redis.Store {
	return map[string]func(t *testing.T) *redis.Store{
		"standalone": func(t *testing.T) *redis.Store {
			return open(t, redis.Options{URL: sharedURL(t), Prefix: newPrefix(), Partitions: 8})
		},
		"cluster": func(t *testing.T) *redis.Store {
			return open(t, redis.Options{URL: redistest.Cluster(t), Prefix: newPrefix(), Partitions: 8})
		},
	}
}

func newRunning(name string) *store.Execution {
	return &store.Execution{ID: "sm:" + name, StateMachine: "sm", Version: 1, Name: name,
		Status: store.StatusRunning, StartedAt: time.Now()}
}

// TestWatchConcurrent: many watches come and go while commits run; every
// commit made after its Watch returned is heard, on any partition, also
// when a partition's other watchers have left (the subscription stays).
func TestWatchConcurrent(t *testing.T) {
	t.Parallel()
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mk(t)
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const n, rounds = 24, 5
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rec := newRunning(fmt.Sprintf("w%d", i))
					if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec}); err != nil {
						errs <- err
						return
					}
					for r := range rounds {
						notices, stop := s.Watch(ctx, rec.ID)
						err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: int64(r + 1), Record: rec})
						if err == nil {
							select {
							case <-notices:
							case <-time.After(5 * time.Second):
								err = fmt.Errorf("%s round %d: no notice after Watch returned", rec.ID, r)
							}
						}
						stop()
						stop() // twice is harmless
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestPopActivityConcurrent: many pollers on tasks spread over partitions;
// each task is handed to exactly one, and all are handed out.
func TestPopActivityConcurrent(t *testing.T) {
	t.Parallel()
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mk(t)
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const execs, per, pollers = 40, 5, 16
			want := map[string]bool{}
			for i := range execs {
				rec := newRunning(fmt.Sprintf("a%d", i))
				var tasks []store.ActivityTask
				for j := range per {
					tk := fmt.Sprintf("t%d-%d", i, j)
					want[tk] = true
					tasks = append(tasks, store.ActivityTask{Activity: "A", Token: tk, ExecutionID: rec.ID, Input: []byte(`{}`)})
				}
				if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Activities: tasks}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			got := map[string]int{}
			var wg sync.WaitGroup
			for range pollers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						tk, err := storetest.Take(ctx, s, "A")
						if errors.Is(err, store.ErrNotFound) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got[tk.Token]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for tk := range want {
				if got[tk] != 1 {
					t.Errorf("task %s handed out %d times, want once", tk, got[tk])
				}
			}
			if len(got) != len(want) {
				t.Errorf("handed out %d distinct tasks, want %d", len(got), len(want))
			}
		})
	}
}

// TestPopActivityLostHint: a task whose hint was lost is found by the
// fallback scan (which runs about every second; the test gives it 5s) and
// never lost.
func TestPopActivityLostHint(t *testing.T) {
	t.Parallel()
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mk(t)
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// The first poll of the process scans; the next scans come later.
			if _, err := storetest.Take(ctx, s, "L"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("PopActivity of nothing: %v, want ErrNotFound", err)
			}
			rec := newRunning("lost")
			tasks := []store.ActivityTask{{Activity: "L", Token: "1", ExecutionID: rec.ID, Input: []byte(`{}`)},
				{Activity: "L", Token: "2", ExecutionID: rec.ID, Input: []byte(`{}`)}}
			if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Activities: tasks}); err != nil {
				t.Fatal(err)
			}
			if err := redis.DropActivityHint(ctx, s, "L"); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var tokens []string
			for len(tokens) < 2 && time.Since(start) < 5*time.Second {
				tk, err := storetest.Take(ctx, s, "L")
				if errors.Is(err, store.ErrNotFound) {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, tk.Token)
			}
			if len(tokens) != 2 || tokens[0] != "1" || tokens[1] != "2" {
				t.Fatalf("popped %v within 5s of losing the hint, want [1 2] (FIFO per execution)", tokens)
			}
		})
	}
}
