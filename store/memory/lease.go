package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Leased is an in-memory store with partition leases (store.Leaser): a
// Store whose Commit also checks CommitParams.Fence. It exists so that the
// lease protocol of the engine can be developed and tested without Redis;
// leases live in this process only.
type Leased struct {
	*Store
	partitions int
	now        func() time.Time

	// mu guards leases and is held across a fenced commit, so that no
	// acquire can slip between the fence check and the write.
	mu     sync.Mutex
	leases map[int]*lease
	nodes  map[string]time.Time // node -> alive until
	// releases are the releases of the nodes that heartbeat with theirs
	// (store.ReleaseRegistry); a plain Heartbeat clears a node's.
	releases map[string]int
}

type lease struct {
	holder  string
	fence   int64
	expires time.Time
}

var (
	_ store.Store  = (*Leased)(nil)
	_ store.Leaser = (*Leased)(nil)
)

// WithLeases wraps s with leases over a fixed number of partitions
// (256 when partitions <= 0).
func WithLeases(s *Store, partitions int) *Leased {
	if partitions <= 0 {
		partitions = 256
	}
	return &Leased{Store: s, partitions: partitions, now: time.Now, leases: map[int]*lease{}}
}

// Partitions implements store.Leaser.
func (l *Leased) Partitions() int { return l.partitions }

func (l *Leased) checkPartition(p int) error {
	if p < 0 || p >= l.partitions {
		return fmt.Errorf("memory store: partition %d out of range [0, %d)", p, l.partitions)
	}
	return nil
}

// AcquireLease implements store.Leaser.
func (l *Leased) AcquireLease(_ context.Context, partition int, node string, ttl time.Duration) (int64, bool, error) {
	if err := l.checkPartition(partition); err != nil {
		return 0, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	le := l.leases[partition]
	if le == nil {
		le = &lease{}
		l.leases[partition] = le
	}
	live := le.holder != "" && now.Before(le.expires)
	switch {
	case live && le.holder != node:
		return 0, false, nil
	case live: // node renews its own live lease: same fence
		le.expires = now.Add(ttl)
		return le.fence, true, nil
	}
	le.fence++
	le.holder = node
	le.expires = now.Add(ttl)
	return le.fence, true, nil
}

// RenewLeases implements store.Leaser. A lease that expired but that no
// other node took since is renewed: its fence did not change, so nothing
// was written under another holder in between.
func (l *Leased) RenewLeases(_ context.Context, node string, partitions []int, ttl time.Duration) ([]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var lost []int
	for _, p := range partitions {
		le := l.leases[p]
		if le == nil || le.holder != node {
			lost = append(lost, p)
			continue
		}
		le.expires = now.Add(ttl)
	}
	return lost, nil
}

// ReleaseLease implements store.Leaser.
func (l *Leased) ReleaseLease(_ context.Context, partition int, node string) error {
	if err := l.checkPartition(partition); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if le := l.leases[partition]; le != nil && le.holder == node {
		le.holder = ""
		le.expires = time.Time{}
	}
	return nil
}

// Commit implements store.Store: with a non-zero Fence, the commit applies
// only while the fence is the partition's current one and held.
func (l *Leased) Commit(ctx context.Context, p store.CommitParams) error {
	if p.Fence == 0 {
		return l.Store.Commit(ctx, p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	le := l.leases[store.PartitionOf(p.ID, l.partitions)]
	if le == nil || le.holder == "" || le.fence != p.Fence {
		// Existence first, as the unfenced path reports it.
		if _, err := l.Store.GetExecution(ctx, p.ID); err != nil {
			return fmt.Errorf("memory store: commit %s: %w", p.ID, store.ErrNotFound)
		}
		return fmt.Errorf("memory store: commit %s with fence %d: %w", p.ID, p.Fence, store.ErrLeaseLost)
	}
	return l.Store.Commit(ctx, p)
}
