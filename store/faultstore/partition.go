package faultstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/store"
)

// The partition queries, each with its own Op.
const (
	DueIn            Op = "DueIn"
	InFlight         Op = "InFlight"
	AddInFlight      Op = "AddInFlight"
	Running          Op = "Running"
	Rebuilt          Op = "Rebuilt"
	MarkRebuilt      Op = "MarkRebuilt"
	OpenCounts       Op = "OpenCounts"
	RecountOpen      Op = "RecountOpen"
	HeartbeatRelease Op = "HeartbeatRelease"
)

var (
	_ store.PartitionQueries = (*leasedStore)(nil)
	_ store.ReleaseRegistry  = (*sharedStore)(nil)
)

// queries is the wrapped store's store.PartitionQueries; every store that
// shares partitions has them.
func (s *leasedStore) queries() (store.PartitionQueries, error) {
	q, ok := s.leaser.(store.PartitionQueries)
	if !ok {
		return nil, fmt.Errorf("faultstore: %T has no partition queries", s.leaser)
	}
	return q, nil
}

// DueIn implements store.PartitionQueries.
func (s *leasedStore) DueIn(ctx context.Context, partitions []int, until time.Time, limit int) (out []store.DueEntry, err error) {
	err = do(ctx, s.f, DueIn, "", func() error {
		q, err := s.queries()
		if err == nil {
			out, err = q.DueIn(ctx, partitions, until, limit)
		}
		return err
	})
	return out, err
}

// InFlight implements store.PartitionQueries.
func (s *leasedStore) InFlight(ctx context.Context, partition int, cursor string, limit int) (ids []string, next string, err error) {
	err = do(ctx, s.f, InFlight, "", func() error {
		q, err := s.queries()
		if err == nil {
			ids, next, err = q.InFlight(ctx, partition, cursor, limit)
		}
		return err
	})
	return ids, next, err
}

// AddInFlight implements store.PartitionQueries.
func (s *leasedStore) AddInFlight(ctx context.Context, partition int, ids []string) error {
	return do(ctx, s.f, AddInFlight, "", func() error {
		q, err := s.queries()
		if err == nil {
			err = q.AddInFlight(ctx, partition, ids)
		}
		return err
	})
}

// Running implements store.PartitionQueries.
func (s *leasedStore) Running(ctx context.Context, partition int, cursor string, limit int) (ids []string, next string, err error) {
	err = do(ctx, s.f, Running, "", func() error {
		q, err := s.queries()
		if err == nil {
			ids, next, err = q.Running(ctx, partition, cursor, limit)
		}
		return err
	})
	return ids, next, err
}

// Rebuilt implements store.PartitionQueries.
func (s *leasedStore) Rebuilt(ctx context.Context, partition int) (release int, err error) {
	err = do(ctx, s.f, Rebuilt, "", func() error {
		q, err := s.queries()
		if err == nil {
			release, err = q.Rebuilt(ctx, partition)
		}
		return err
	})
	return release, err
}

// MarkRebuilt implements store.PartitionQueries.
func (s *leasedStore) MarkRebuilt(ctx context.Context, partition, release int) error {
	return do(ctx, s.f, MarkRebuilt, "", func() error {
		q, err := s.queries()
		if err == nil {
			err = q.MarkRebuilt(ctx, partition, release)
		}
		return err
	})
}

// OpenCounts implements store.PartitionQueries.
func (s *leasedStore) OpenCounts(ctx context.Context, partition int) (counts map[string]int64, err error) {
	err = do(ctx, s.f, OpenCounts, "", func() error {
		q, err := s.queries()
		if err == nil {
			counts, err = q.OpenCounts(ctx, partition)
		}
		return err
	})
	return counts, err
}

// RecountOpen implements store.PartitionQueries.
func (s *leasedStore) RecountOpen(ctx context.Context, partition int) (counts map[string]int64, err error) {
	err = do(ctx, s.f, RecountOpen, "", func() error {
		q, err := s.queries()
		if err == nil {
			counts, err = q.RecountOpen(ctx, partition)
		}
		return err
	})
	return counts, err
}

// HeartbeatRelease implements store.ReleaseRegistry (store.HeartbeatRelease
// over the wrapped registry).
func (s *sharedStore) HeartbeatRelease(ctx context.Context, node string, release int, ttl time.Duration) (live map[string]int, err error) {
	err = do(ctx, s.f, HeartbeatRelease, "", func() (err error) {
		live, err = store.HeartbeatRelease(ctx, s.nodes, node, release, ttl)
		return err
	})
	return live, err
}
