package notify

import (
	"context"
	"log/slog"
	"time"
)

// StreamEvent is an event of the stream of all executions' status changes.
type StreamEvent struct {
	// Cursor, on the last event of a change log entry, resumes the stream
	// after it (the SSE id); "" on the first of an entry's two events.
	Cursor string
	ID     string // the event's id
	Data   []byte // the event, as a webhook's body
}

// Read returns the events logged after cursor that f selects, from up to
// limit change log entries, the cursor to go on from (past the entries f
// left out too), and how many entries it read: 0 only when it is at the
// end of the log (a page may be short of limit before the end). An
// invalid cursor is store.ErrInvalidCursor; one older than what the log
// still keeps, store.ErrCursorTrimmed.
func (s *Service) Read(ctx context.Context, cursor string, f Filter, limit int) ([]StreamEvent, string, int, error) {
	changes, next, err := s.log.ReadChanges(ctx, cursor, limit)
	if err != nil {
		return nil, "", 0, err
	}
	var out []StreamEvent
	for _, c := range changes {
		its, err := expand(c)
		if err != nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "event stream skips a change log entry", slog.String("cursor", c.Cursor), slog.Any("error", err))
			continue
		}
		for i := range its {
			it := &its[i]
			if !f.match(it) {
				continue
			}
			body, err := s.build.body(ctx, it)
			if err != nil {
				return out, resumeFrom(out, cursor), len(changes), err
			}
			ev := StreamEvent{ID: it.id, Data: body}
			if it.last {
				ev.Cursor = it.cursor
			}
			out = append(out, ev)
		}
	}
	return out, next, len(changes), nil
}

// resumeFrom is where a read that stopped after out goes on from.
func resumeFrom(out []StreamEvent, cursor string) string {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Cursor != "" {
			return out[i].Cursor
		}
	}
	return cursor
}

// Watch returns a channel that receives when status changes are logged.
func (s *Service) Watch(ctx context.Context) (<-chan struct{}, func()) {
	return s.log.WatchChanges(ctx)
}

// Now returns the cursor of the stream from now on, by the store's clock.
func (s *Service) Now(ctx context.Context) (string, error) {
	return s.log.ChangeCursorNow(ctx)
}

// Since returns the cursor of the stream from t on (as far back as the
// log keeps changes).
func (s *Service) Since(ctx context.Context, t time.Time) (string, error) {
	return s.log.ChangeCursorAt(ctx, t)
}
