package interpreter

import (
	"bytes"
	"strings"
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
// encodes to its committed bytes (changed without being marked dirty)
// fails loudly under test.
func TestDecodedThreadMustMatch(t *testing.T) {
	th := &thread{ID: 3, State: "A"}
	b, err := encodeThread(th)
	if err != nil {
		t.Fatal(err)
	}
	if !reuseDecoded(th, b) {
		t.Fatal("an unchanged thread was not reused")
	}
	// Bytes of an earlier encoding of the same state (here: other spacing).
	if !reuseDecoded(th, bytes.ReplaceAll(b, []byte(`,"`), []byte(`, "`))) {
		t.Fatal("a thread cached over an earlier encoding of its state was not reused")
	}
	th.State = "B"
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "no longer matches") {
			t.Fatalf("a changed thread was reused: %v", p)
		}
	}()
	reuseDecoded(th, b)
}
