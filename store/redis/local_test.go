package redis

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

func elem(t *testing.T, token string, at time.Time) string {
	t.Helper()
	e, err := encodeQueued(store.ActivityTask{Activity: "A", Token: token, ExecutionID: "sm:" + token}, at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func popTokens(l *localQueue, now time.Time) []string {
	var out []string
	for t := l.pop("A", now); t != nil; t = l.pop("A", now) {
		out = append(out, t.Token)
	}
	return out
}

// TestLocalQueue: what a node remembers of the tasks it queued is held
// oldest first and stays small: bounded in count and element size,
// forgotten when popped elsewhere, when old, and after a missed claim.
func TestLocalQueue(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		run  func(l *localQueue) (now time.Time)
		want []string
	}{
		{"oldest first, held", func(l *localQueue) time.Time {
			l.add("A", elem(t, "a", t0), t0)
			l.add("A", elem(t, "b", t0), t0)
			l.add("B", elem(t, "x", t0), t0)
			return t0
		}, []string{"a", "b"}},
		{"popped from a shared queue", func(l *localQueue) time.Time {
			l.add("A", elem(t, "a", t0), t0)
			b := elem(t, "b", t0)
			l.add("A", b, t0)
			l.add("A", elem(t, "c", t0), t0)
			l.take("A", b)
			return t0
		}, []string{"a", "c"}},
		{"too large to remember", func(l *localQueue) time.Time {
			l.add("A", elem(t, strings.Repeat("z", localElemMax), t0), t0)
			l.add("A", elem(t, "small", t0), t0)
			return t0
		}, []string{"small"}},
		{"older than localAge", func(l *localQueue) time.Time {
			l.add("A", elem(t, "old", t0), t0)
			l.add("A", elem(t, "new", t0), t0.Add(localAge))
			return t0.Add(localAge + time.Second)
		}, []string{"new"}},
		{"a missed claim empties and pauses", func(l *localQueue) time.Time {
			l.add("A", elem(t, "a", t0), t0)
			l.miss("A", t0)
			l.add("A", elem(t, "during the pause", t0), t0.Add(localPause/2))
			return t0.Add(localPause / 2)
		}, nil},
		{"after the pause", func(l *localQueue) time.Time {
			l.add("A", elem(t, "a", t0), t0)
			l.miss("A", t0)
			l.add("A", elem(t, "b", t0), t0.Add(localPause))
			return t0.Add(localPause)
		}, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l localQueue
			now := c.run(&l)
			got := popTokens(&l, now)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("held %q, want %q", got, c.want)
			}
			if held := l.pop("A", now); held != nil {
				t.Fatalf("a second round held %q", held.Token)
			}
		})
	}
}

// TestLocalQueueBounded: at most localMax live tasks per activity, and
// forgotten entries do not make the list grow without bound.
func TestLocalQueueBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var l localQueue
	for i := range 3 * localMax {
		e := elem(t, fmt.Sprintf("t%d", i), t0)
		l.add("A", e, t0)
		if i%2 == 0 {
			l.take("A", e) // popped elsewhere
		}
	}
	q := l.m["A"]
	if len(q.live) > localMax || len(q.order) > 2*localMax+1 {
		t.Fatalf("%d live, %d entries; want at most %d and %d", len(q.live), len(q.order), localMax, 2*localMax+1)
	}
}

// TestHoldFirstAdapts: with LocalPolls left to adapt, polls go to the
// shared queues about as often as tasks found there were queued elsewhere,
// and never less than one in sixteen.
func TestHoldFirstAdapts(t *testing.T) {
	share := func(s *Store) int {
		n := 0
		for range 10000 {
			if s.holdFirst() {
				n++
			}
		}
		return n
	}
	var s Store
	for range 200 {
		s.noteShared(true)
	}
	if n := share(&s); n > 300 {
		t.Fatalf("all shared pops foreign: %d of 10000 polls held first, want almost none", n)
	}
	for range 200 {
		s.noteShared(false)
	}
	if n := share(&s); n < 9000 || n > 9700 {
		t.Fatalf("no shared pop foreign: %d of 10000 polls held first, want about 15 in 16", n)
	}
	for _, c := range []struct {
		polls float64
		want  int
	}{{1, 10000}, {-1, 0}} {
		s := Store{localPolls: c.polls}
		if n := share(&s); n != c.want {
			t.Fatalf("LocalPolls %v: %d held first, want %d", c.polls, n, c.want)
		}
	}
}
