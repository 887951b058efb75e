package redis

import (
	"context"
	"fmt"
	"time"
)

// Leases: each partition's lease is a hash <prefix>:{pN}:lease (holder,
// fence, expires) in the partition's own slot, so commit.lua checks the
// fence in the same script that writes. Expiry uses Redis's clock.

func (s *Store) checkPartition(p int) error {
	if p < 0 || p >= s.partitions {
		return fmt.Errorf("redis store: partition %d out of range [0, %d)", p, s.partitions)
	}
	return nil
}

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, partition int, node string, ttl time.Duration) (int64, bool, error) {
	if err := s.checkPartition(partition); err != nil {
		return 0, false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := acquireScript.Run(ctx, s.client, []string{s.keys.lease(partition)}, node, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("redis store: acquire lease %d: %w", partition, err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("redis store: acquire lease %d: unexpected reply %v", partition, res)
	}
	return res[1], res[0] == 1, nil
}

// RenewLeases implements store.Leaser: one pipeline for all partitions.
func (s *Store) RenewLeases(ctx context.Context, node string, partitions []int, ttl time.Duration) ([]int, error) {
	if len(partitions) == 0 {
		return nil, nil
	}
	calls, args := make([][]string, len(partitions)), make([][]any, len(partitions))
	for i, p := range partitions {
		if err := s.checkPartition(p); err != nil {
			return nil, err
		}
		calls[i], args[i] = []string{s.keys.lease(p)}, []any{node, ttl.Milliseconds()}
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	cmds, err := runPipelined(ctx, s.client, renewScript, calls, args)
	if err != nil {
		return nil, fmt.Errorf("redis store: renew leases: %w", err)
	}
	var lost []int
	for i, c := range cmds {
		n, err := c.Int()
		if err != nil {
			return nil, fmt.Errorf("redis store: renew lease %d: %w", partitions[i], err)
		}
		if n == 0 {
			lost = append(lost, partitions[i])
		}
	}
	return lost, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, partition int, node string) error {
	if err := s.checkPartition(partition); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := releaseScript.Run(ctx, s.client, []string{s.keys.lease(partition)}, node).Err(); err != nil {
		return fmt.Errorf("redis store: release lease %d: %w", partition, err)
	}
	return nil
}
