package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sfn-project/sfn/store"
)

var concurrencyTests = []test{
	{"CompareAndSet", testConcurrentCommits},
}

// testConcurrentCommits: writers race on one execution; each version is
// won by exactly one of them and the history stays gapless.
func testConcurrentCommits(t *testing.T, s store.Store) {
	const writers, wins = 8, 6
	rec := newExec("sm", "race", base)
	create(t, s, rec, 1)
	ctx := ctxFor(t)

	var mu sync.Mutex
	winner := map[int64]int{} // version -> writer
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for won := 0; won < wins; {
				cur, err := s.GetExecution(ctx, rec.ID)
				if err != nil {
					errs <- err
					return
				}
				next := *cur
				next.Engine = fmt.Appendf(nil, "writer %d", w)
				err = s.Commit(ctx, store.CommitParams{
					ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: &next,
					SetThreads: map[string][]byte{fmt.Sprint("w", w): next.Engine},
					Events:     []store.Event{{ID: cur.LastEventID + 1, Data: fmt.Appendf(nil, `{"writer":%d}`, w)}},
				})
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				won++
				mu.Lock()
				if prev, ok := winner[cur.RecordVersion+1]; ok {
					errs <- fmt.Errorf("version %d won by writers %d and %d", cur.RecordVersion+1, prev, w)
				}
				winner[cur.RecordVersion+1] = w
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	const total = writers * wins
	got := get(t, s, rec.ID)
	if got.RecordVersion != 1+total || got.LastEventID != 1+total {
		t.Fatalf("record at version %d with last event %d, want %d and %d", got.RecordVersion, got.LastEventID, 1+total, 1+total)
	}
	if len(got.Threads) != writers+1 {
		t.Errorf("%d threads, want %d", len(got.Threads), writers+1)
	}
	h := history(t, s, rec.ID)
	if len(h) != 1+total {
		t.Fatalf("%d events, want %d", len(h), 1+total)
	}
	for i, ev := range h {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d: history not gapless", i, ev.ID)
		}
		if i == 0 {
			continue
		}
		// Event i+1 was written by the commit that made version i+1.
		if want := fmt.Sprintf(`{"writer":%d}`, winner[int64(i+1)]); string(ev.Data) != want {
			t.Errorf("event %d is %s, want %s (the winner of version %d)", ev.ID, ev.Data, want, i+1)
		}
	}
}
