package memory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/store"
)

// The change log (store.ChangeLog) of this store: one list for the whole
// store, in the order of the writes, kept only once KeepChanges turned it
// on (the private store of Express executions needs none). A cursor is
// "m<n>", n the number of entries logged before the next one to read.

var (
	_ store.ChangeLog    = (*Store)(nil)
	_ store.ChangeKeeper = (*Store)(nil)
)

type change struct {
	seq  int64
	at   time.Time
	data []byte
}

// changeLog is the Store's log; guarded by Store.mu.
type changeLog struct {
	on        bool
	retention time.Duration
	entries   []change // oldest first
	seq       int64    // entries ever logged
	trimmed   int64    // the seq of the last entry trimmed
	watchers  map[chan struct{}]struct{}
}

// KeepChanges implements store.ChangeKeeper.
func (s *Store) KeepChanges(retention time.Duration) {
	if retention <= 0 {
		retention = store.DefaultChangeRetention
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes.on = true
	s.changes.retention = retention
}

// ChangesKept implements store.ChangeKeeper.
func (s *Store) ChangesKept() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changes.on
}

// logChangeLocked appends data to the log (when it is kept), trims what is
// older than the retention and tells the watchers.
func (s *Store) logChangeLocked(data []byte) {
	l := &s.changes
	if !l.on || data == nil {
		return
	}
	now := time.Now()
	l.seq++
	l.entries = append(l.entries, change{seq: l.seq, at: now, data: clone(data)})
	old := sort.Search(len(l.entries), func(i int) bool { return !l.entries[i].at.Before(now.Add(-l.retention)) })
	if old > 0 {
		l.trimmed = l.entries[old-1].seq
		// Copy when the dropped head is large, so its memory is freed.
		if old > len(l.entries)/2 {
			l.entries = append([]change(nil), l.entries[old:]...)
		} else {
			l.entries = l.entries[old:]
		}
	}
	for ch := range l.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func changeCursor(n int64) string { return "m" + strconv.FormatInt(n, 10) }

// ReadChanges implements store.ChangeLog.
func (s *Store) ReadChanges(_ context.Context, cursor string, limit int) ([]store.Change, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := &s.changes
	after := int64(0)
	if cursor != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(cursor, "m"), 10, 64)
		if err != nil || !strings.HasPrefix(cursor, "m") || n < 0 || n > l.seq {
			return nil, "", fmt.Errorf("memory store: change cursor %q: %w", cursor, store.ErrInvalidCursor)
		}
		after = n
		if after < l.trimmed {
			return nil, "", &store.TrimmedError{Cursor: cursor, Resume: changeCursor(l.trimmed)}
		}
	}
	from := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > after })
	to := len(l.entries)
	if limit > 0 && to-from > limit {
		to = from + limit
	}
	out := make([]store.Change, 0, to-from)
	for _, c := range l.entries[from:to] {
		out = append(out, store.Change{Cursor: changeCursor(c.seq), At: c.at, Data: clone(c.data)})
	}
	next := cursor
	if len(out) > 0 {
		next = out[len(out)-1].Cursor
	} else if cursor == "" {
		next = changeCursor(after)
	}
	return out, next, nil
}

// ChangeCursorAt implements store.ChangeLog.
func (s *Store) ChangeCursorAt(_ context.Context, t time.Time) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := &s.changes
	i := sort.Search(len(l.entries), func(i int) bool { return !l.entries[i].at.Before(t) })
	if i < len(l.entries) {
		return changeCursor(l.entries[i].seq - 1), nil
	}
	return changeCursor(l.seq), nil
}

// ChangeCursorNow implements store.ChangeLog.
func (s *Store) ChangeCursorNow(context.Context) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return changeCursor(s.changes.seq), nil
}

// WatchChanges implements store.ChangeLog.
func (s *Store) WatchChanges(context.Context) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.changes.watchers == nil {
		s.changes.watchers = map[chan struct{}]struct{}{}
	}
	s.changes.watchers[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.changes.watchers, ch)
		s.mu.Unlock()
	}
}
