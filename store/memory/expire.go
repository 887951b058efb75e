package memory

import (
	"context"
	"slices"
	"time"

	"github.com/sfn-project/sfn/store"
)

var _ store.Expirer = (*Store)(nil)

// Expire implements store.Expirer: the executions that ended longest ago
// go first, up to limit.
func (s *Store) Expire(_ context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []*execution
	for _, e := range s.executions {
		r := &e.rec
		if r.Status != store.StatusRunning && !r.StoppedAt.IsZero() && r.StoppedAt.Before(before) {
			old = append(old, e)
		}
	}
	slices.SortFunc(old, func(a, b *execution) int { return a.rec.StoppedAt.Compare(b.rec.StoppedAt) })
	if len(old) > limit {
		old = old[:limit]
	}
	if len(old) == 0 {
		return 0, nil
	}
	gone := make(map[*execution]bool, len(old))
	for _, e := range old {
		gone[e] = true
		delete(s.executions, e.rec.ID)
		delete(s.inflight, e.rec.ID)
		key := e.rec.StateMachine + "\x00" + e.rec.Name
		if s.names[key] == e.rec.ID {
			delete(s.names, key)
		}
	}
	s.byStart = slices.DeleteFunc(s.byStart, func(e *execution) bool { return gone[e] })
	return len(old), nil
}
