package memory

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/store"
)

var _ store.PartitionQueries = (*Leased)(nil)

// The partition queries scan the whole store and keep what is in the
// asked partitions: this store is for development and tests, where what
// matters is that the answers are the ones the Redis store gives.

// DueIn implements store.PartitionQueries.
func (l *Leased) DueIn(_ context.Context, partitions []int, until time.Time, limit int) ([]store.DueEntry, error) {
	for _, p := range partitions {
		if err := l.checkPartition(p); err != nil {
			return nil, err
		}
	}
	l.Store.mu.RLock()
	defer l.Store.mu.RUnlock()
	per := map[int][]store.DueEntry{}
	for id, e := range l.Store.executions {
		if e.rec.Status != store.StatusRunning || e.rec.DueAt.IsZero() || e.rec.DueAt.After(until) {
			continue
		}
		p := store.PartitionOf(id, l.partitions)
		if slices.Contains(partitions, p) {
			per[p] = append(per[p], store.DueEntry{ID: id, Partition: p, At: e.rec.DueAt})
		}
	}
	var out []store.DueEntry
	for _, p := range partitions {
		ds := per[p]
		sort.Slice(ds, func(i, j int) bool {
			if !ds[i].At.Equal(ds[j].At) {
				return ds[i].At.Before(ds[j].At)
			}
			return ds[i].ID < ds[j].ID
		})
		if limit > 0 && len(ds) > limit {
			ds = ds[:limit]
		}
		out = append(out, ds...)
		delete(per, p) // a partition listed twice is answered once
	}
	return out, nil
}

// InFlight implements store.PartitionQueries.
func (l *Leased) InFlight(_ context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	if err := l.checkPartition(partition); err != nil {
		return nil, "", err
	}
	l.Store.mu.RLock()
	var ids []string
	for id := range l.Store.inflight {
		if store.PartitionOf(id, l.partitions) == partition {
			ids = append(ids, id)
		}
	}
	l.Store.mu.RUnlock()
	return page(ids, cursor, limit)
}

// AddInFlight implements store.PartitionQueries.
func (l *Leased) AddInFlight(_ context.Context, partition int, ids []string) error {
	if err := l.checkPartition(partition); err != nil {
		return err
	}
	l.Store.mu.Lock()
	defer l.Store.mu.Unlock()
	for _, id := range ids {
		l.Store.inflight[id] = true
	}
	return nil
}

// Running implements store.PartitionQueries.
func (l *Leased) Running(_ context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	if err := l.checkPartition(partition); err != nil {
		return nil, "", err
	}
	l.Store.mu.RLock()
	var ids []string
	for id, e := range l.Store.executions {
		if e.rec.Status == store.StatusRunning && store.PartitionOf(id, l.partitions) == partition {
			ids = append(ids, id)
		}
	}
	l.Store.mu.RUnlock()
	return page(ids, cursor, limit)
}

// page sorts ids and returns those after cursor (an offset), limit at most.
func page(ids []string, cursor string, limit int) ([]string, string, error) {
	sort.Strings(ids)
	from := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", store.ErrInvalidCursor
		}
		from = min(n, len(ids))
	}
	ids = ids[from:]
	if limit > 0 && len(ids) > limit {
		return ids[:limit], strconv.Itoa(from + limit), nil
	}
	return ids, "", nil
}

// Rebuilt implements store.PartitionQueries.
func (l *Leased) Rebuilt(_ context.Context, partition int) (int, error) {
	if err := l.checkPartition(partition); err != nil {
		return 0, err
	}
	l.Store.mu.RLock()
	defer l.Store.mu.RUnlock()
	return l.Store.rebuilt[partition], nil
}

// MarkRebuilt implements store.PartitionQueries.
func (l *Leased) MarkRebuilt(_ context.Context, partition, release int) error {
	if err := l.checkPartition(partition); err != nil {
		return err
	}
	l.Store.mu.Lock()
	defer l.Store.mu.Unlock()
	l.Store.rebuilt[partition] = release
	return nil
}

// OpenCounts implements store.PartitionQueries; this store counts on
// every call, so the counts are always exact.
func (l *Leased) OpenCounts(_ context.Context, partition int) (map[string]int64, error) {
	if err := l.checkPartition(partition); err != nil {
		return nil, err
	}
	l.Store.mu.RLock()
	defer l.Store.mu.RUnlock()
	counts := map[string]int64{}
	for id, e := range l.Store.executions {
		if e.rec.Status == store.StatusRunning && store.PartitionOf(id, l.partitions) == partition {
			counts[e.rec.StateMachine]++
		}
	}
	return counts, nil
}

// RecountOpen implements store.PartitionQueries.
func (l *Leased) RecountOpen(ctx context.Context, partition int) (map[string]int64, error) {
	return l.OpenCounts(ctx, partition)
}

// HeartbeatRelease implements store.ReleaseRegistry.
func (l *Leased) HeartbeatRelease(ctx context.Context, node string, release int, ttl time.Duration) (map[string]int, error) {
	live, err := l.Heartbeat(ctx, node, ttl)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.releases == nil {
		l.releases = map[string]int{}
	}
	l.releases[node] = release
	out := make(map[string]int, len(live))
	for _, n := range live {
		out[n] = l.releases[n]
	}
	return out, nil
}
