package faultstore

import (
	"context"
	"time"

	"github.com/sfn-project/sfn/store"
)

// leasedStore is the wrapper of a store with partition leases.
type leasedStore struct {
	*Store
	leaser store.Leaser
}

var _ store.Leaser = (*leasedStore)(nil)

// AcquireLease implements store.Leaser.
func (s *leasedStore) AcquireLease(ctx context.Context, partition int, node string, ttl time.Duration) (fence int64, ok bool, err error) {
	err = do(ctx, s.f, AcquireLease, "", func() (err error) {
		fence, ok, err = s.leaser.AcquireLease(ctx, partition, node, ttl)
		return err
	})
	return fence, ok, err
}

// RenewLeases implements store.Leaser.
func (s *leasedStore) RenewLeases(ctx context.Context, node string, partitions []int, ttl time.Duration) (lost []int, err error) {
	err = do(ctx, s.f, RenewLeases, "", func() (err error) {
		lost, err = s.leaser.RenewLeases(ctx, node, partitions, ttl)
		return err
	})
	return lost, err
}

// ReleaseLease implements store.Leaser.
func (s *leasedStore) ReleaseLease(ctx context.Context, partition int, node string) error {
	return do(ctx, s.f, ReleaseLease, "", func() error { return s.leaser.ReleaseLease(ctx, partition, node) })
}

// Partitions implements store.Leaser.
func (s *leasedStore) Partitions() int { return s.leaser.Partitions() }

// sharedStore is the wrapper of a store with leases and a node registry.
type sharedStore struct {
	leasedStore
	nodes store.NodeRegistry
}

var _ store.NodeRegistry = (*sharedStore)(nil)

// Heartbeat implements store.NodeRegistry.
func (s *sharedStore) Heartbeat(ctx context.Context, node string, ttl time.Duration) (live []string, err error) {
	err = do(ctx, s.f, Heartbeat, "", func() (err error) {
		live, err = s.nodes.Heartbeat(ctx, node, ttl)
		return err
	})
	return live, err
}

// Leave implements store.NodeRegistry.
func (s *sharedStore) Leave(ctx context.Context, node string) error {
	return do(ctx, s.f, Leave, "", func() error { return s.nodes.Leave(ctx, node) })
}
