package store

import (
	"context"
	"errors"
	"time"
)

// The change log: a durable record of executions' status changes (a
// start, an end, a redrive), written by the same atomic write that changes
// the status, so that what tells others of an execution's end (webhooks,
// the stream of all executions) can neither miss a change that was
// committed nor report one that was not. It is the outbox of the
// notifications: a node that dies right after a commit leaves the entry
// in the log, and whoever reads the log next delivers it.
//
// The engine gives each status-changing write its entry
// (CreateParams.Change, CommitParams.Change: opaque bytes, versioned by
// the engine); the store appends it with the write, or not at all when
// the write is refused. Entries are kept for the log's retention (at least
// DefaultChangeRetention) and then trimmed, oldest first.

// DefaultChangeRetention is how long a change log keeps its entries unless
// told otherwise (ChangeKeeper).
const DefaultChangeRetention = 24 * time.Hour

// Change is one entry of the change log.
type Change struct {
	// Cursor is the entry's position: reading after it (ReadChanges)
	// returns what was logged after this entry. It is the store's own
	// string, valid on every node sharing the store and across restarts,
	// and safe to put in an HTTP header (no spaces, no control characters).
	Cursor string
	// At is when the store logged the entry (the store's clock).
	At time.Time
	// Data is the entry as the writer gave it.
	Data []byte
}

// ChangeLog is implemented by stores that keep the change log. Reading
// returns the entries of all executions together, each execution's in the
// order of its commits; entries of different executions come in the order
// of the time the store logged them, as far as the store can tell (on
// Redis Cluster, shards' clocks).
type ChangeLog interface {
	// ReadChanges returns up to limit entries logged after cursor, oldest
	// first, and the cursor to read on from (the last entry's, or cursor
	// itself when there is none). An empty cursor reads from the oldest
	// entry kept. ErrInvalidCursor: a cursor this store did not make.
	// A *TrimmedError (errors.Is ErrCursorTrimmed): entries logged after
	// cursor were trimmed (it is older than the retention, or the log's
	// size cap was reached); nothing is returned, and its Resume reads on
	// from the oldest entry kept.
	ReadChanges(ctx context.Context, cursor string, limit int) (changes []Change, next string, err error)
	// ChangeCursorAt returns a cursor before every entry logged at or after
	// t (and after those logged before t, as far as the store's clocks
	// tell): reading from it starts at t.
	ChangeCursorAt(ctx context.Context, t time.Time) (string, error)
	// ChangeCursorNow is "from now on" by the store's own clocks: reading
	// from it returns every entry logged after the call (and maybe a few
	// logged just before), whatever the caller's clock says.
	ChangeCursorNow(ctx context.Context) (string, error)
	// WatchChanges returns a channel that receives after entries are
	// logged (notices may be merged or, rarely, lost while a connection
	// reconnects: readers also re-read now and then). cancel releases it.
	WatchChanges(ctx context.Context) (notices <-chan struct{}, cancel func())
}

// ErrCursorTrimmed: a change log cursor from before entries the log has
// trimmed since; reading from it would skip them.
var ErrCursorTrimmed = errors.New("the change log has trimmed entries after this cursor")

// TrimmedError is ReadChanges' refusal of a trimmed cursor.
type TrimmedError struct {
	Cursor string // the cursor refused
	// Resume is the cursor after the last entry trimmed: reading from it
	// goes on with what is still kept.
	Resume string
}

func (e *TrimmedError) Error() string {
	return "change cursor " + e.Cursor + ": " + ErrCursorTrimmed.Error()
}

func (e *TrimmedError) Unwrap() error { return ErrCursorTrimmed }

// ChangeKeeper is implemented by stores whose change log can be turned on
// or given another retention. Neither the in-memory store nor the Redis
// store keeps a log until told to (an engine that nobody reads the
// changes of has no use for one; the Redis store keeps one from the start
// when its options give a retention). Every node that writes to a shared
// store must keep the log once one does, or its writes go unlogged.
type ChangeKeeper interface {
	// KeepChanges keeps the change log from now on, entries being kept
	// for retention (<= 0: DefaultChangeRetention).
	KeepChanges(retention time.Duration)
	// ChangesKept says whether the log is kept: a writer that gets false
	// leaves Change out of its writes (the store would drop it anyway).
	ChangesKept() bool
}

// AsChangeLog returns the ChangeLog of s or of a store it wraps, or nil.
func AsChangeLog(s Store) ChangeLog {
	for s != nil {
		if c, ok := s.(ChangeLog); ok {
			return c
		}
		u, ok := s.(Unwrapper)
		if !ok {
			return nil
		}
		s = u.Unwrap()
	}
	return nil
}

// KeepChanges turns the change log of s (or of the store it wraps) on with
// the retention given, and reports whether it has one.
func KeepChanges(s Store, retention time.Duration) bool {
	for s != nil {
		if k, ok := s.(ChangeKeeper); ok {
			k.KeepChanges(retention)
			return AsChangeLog(s) != nil
		}
		u, ok := s.(Unwrapper)
		if !ok {
			return false
		}
		s = u.Unwrap()
	}
	return false
}

// ChangesKept says whether s (or the store it wraps) keeps its change log
// now.
func ChangesKept(s Store) bool {
	for s != nil {
		if k, ok := s.(ChangeKeeper); ok {
			return k.ChangesKept()
		}
		u, ok := s.(Unwrapper)
		if !ok {
			return false
		}
		s = u.Unwrap()
	}
	return false
}
