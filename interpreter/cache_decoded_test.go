package interpreter

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

// TestCacheHandsDecodedThreadsOnce: the threads a commit cached decoded go
// to the next step only; a record read from the store brings none.
func TestCacheHandsDecodedThreadsOnce(t *testing.T) {
	c := newRecordCache(10, time.Minute, realClock{})
	rec := &store.Execution{ID: "sm:e", Status: store.StatusRunning, RecordVersion: 2, StartedAt: time.Unix(1, 0)}
	th := map[string]*thread{"0": {ID: 0, State: "A"}}
	c.putDecoded(rec, th)
	got, threads := c.take("sm:e")
	if got != rec || threads["0"] != th["0"] {
		t.Fatalf("first take: %v %v, want the record and its threads", got, threads)
	}
	if got, threads := c.take("sm:e"); got != rec || threads != nil {
		t.Fatalf("second take: %v %v, want the record without threads (the first step owns them)", got, threads)
	}
	c.put(&store.Execution{ID: "sm:e", Status: store.StatusRunning, RecordVersion: 3, StartedAt: time.Unix(1, 0)})
	if _, threads := c.take("sm:e"); threads != nil {
		t.Fatalf("after a store read: threads %v, want none", threads)
	}
}

// TestDecodedThreadMustMatch: reusing a cached thread that no longer
// encodes to its committed bytes (changed without being marked dirty) is
// an error when every reuse is checked, and, sampled, falls back to the
// bytes and is counted.
func TestDecodedThreadMustMatch(t *testing.T) {
	th := &thread{ID: 3, State: "A"}
	b, err := encodeThread(th)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := reuseDecoded(th, b, true); !ok || err != nil {
		t.Fatalf("an unchanged thread was not reused: %v", err)
	}
	// Bytes of an earlier encoding of the same state (here: other spacing).
	if ok, err := reuseDecoded(th, bytes.ReplaceAll(b, []byte(`,"`), []byte(`, "`)), true); !ok || err != nil {
		t.Fatalf("a thread cached over an earlier encoding of its state was not reused: %v", err)
	}
	th.State = "B"
	before := CachedThreadMismatches()
	if ok, err := reuseDecoded(th, b, true); ok || !errors.Is(err, errCachedThread) {
		t.Fatalf("a changed thread, every reuse checked: reused %v, error %v", ok, err)
	}
	// Sampled: the reuse that is checked falls back to the bytes.
	fellBack := false
	for range checkEvery {
		ok, err := reuseDecoded(th, b, false)
		if err != nil {
			t.Fatal(err)
		}
		fellBack = fellBack || !ok
	}
	if !fellBack {
		t.Errorf("in %d sampled reuses of a changed thread none was checked", checkEvery)
	}
	if got := CachedThreadMismatches() - before; got != 2 {
		t.Errorf("%d mismatches counted, want 2", got)
	}
}
