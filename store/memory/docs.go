package memory

import (
	"context"
	"fmt"
	"sort"

	"github.com/sfn-project/sfn/store"
)

// GetDoc implements store.Docs.
func (s *Store) GetDoc(_ context.Context, kind, name string) (store.Doc, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[kind][name]
	if !ok {
		return store.Doc{}, fmt.Errorf("document %s/%s: %w", kind, name, store.ErrNotFound)
	}
	d.Data = clone(d.Data)
	return d, nil
}

// PutDoc implements store.Docs.
func (s *Store) PutDoc(_ context.Context, d store.Doc) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byName := s.docs[d.Kind]
	if byName == nil {
		byName = map[string]store.Doc{}
		s.docs[d.Kind] = byName
	}
	cur := byName[d.Name] // Rev 0 when absent
	if cur.Rev != d.Rev {
		return 0, fmt.Errorf("document %s/%s is at revision %d, not %d: %w", d.Kind, d.Name, cur.Rev, d.Rev, store.ErrConflict)
	}
	d.Rev++
	d.Data = clone(d.Data)
	byName[d.Name] = d
	return d.Rev, nil
}

// DeleteDoc implements store.Docs.
func (s *Store) DeleteDoc(_ context.Context, kind, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs[kind], name)
	return nil
}

// ListDocs implements store.Docs.
func (s *Store) ListDocs(_ context.Context, kind, cursor string, limit int) ([]store.Doc, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.docs[kind]))
	for n := range s.docs[kind] {
		if n > cursor {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	next := ""
	if limit > 0 && len(names) > limit {
		names, next = names[:limit], names[limit-1]
	}
	out := make([]store.Doc, len(names))
	for i, n := range names {
		d := s.docs[kind][n]
		d.Data = clone(d.Data)
		out[i] = d
	}
	return out, next, nil
}
