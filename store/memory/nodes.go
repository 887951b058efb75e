package memory

import (
	"context"
	"sort"
	"time"

	"github.com/sfn-project/sfn/store"
)

var _ store.NodeRegistry = (*Leased)(nil)

// Heartbeat implements store.NodeRegistry.
func (s *Leased) Heartbeat(_ context.Context, node string, ttl time.Duration) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.nodes == nil {
		s.nodes = map[string]time.Time{}
	}
	s.nodes[node] = now.Add(ttl)
	delete(s.releases, node)
	live := make([]string, 0, len(s.nodes))
	for n, until := range s.nodes {
		if until.After(now) {
			live = append(live, n)
		} else {
			delete(s.nodes, n)
			delete(s.releases, n)
		}
	}
	sort.Strings(live)
	return live, nil
}

// Leave implements store.NodeRegistry.
func (s *Leased) Leave(_ context.Context, node string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, node)
	delete(s.releases, node)
	return nil
}

// Holder returns the node holding a partition's live lease ("" when none),
// for tests and diagnostics.
func (s *Leased) Holder(partition int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	le := s.leases[partition]
	if le == nil || !s.now().Before(le.expires) {
		return ""
	}
	return le.holder
}
