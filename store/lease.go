package store

import (
	"context"
	"hash/fnv"
	"time"
)

// Leaser is implemented by stores that let several nodes share the work:
// executions hash into Partitions() partitions, and a node advances a
// partition's executions only while it holds that partition's lease.
//
// Every time a partition passes to a holder that did not hold it live, its
// fencing token (fence) grows. The holder passes the fence in
// CommitParams.Fence; a store that implements Leaser refuses such a commit
// with ErrLeaseLost when the fence is no longer the partition's current one,
// so a node that lost its lease (a long GC pause, a network partition) can
// never overwrite the new holder's work.
type Leaser interface {
	// AcquireLease takes the lease of a partition for ttl, or extends it when
	// node already holds it. ok is false when another node holds a live lease.
	AcquireLease(ctx context.Context, partition int, node string, ttl time.Duration) (fence int64, ok bool, err error)
	// RenewLeases extends node's leases on partitions by ttl, in one round
	// trip, and returns the partitions that node no longer holds.
	RenewLeases(ctx context.Context, node string, partitions []int, ttl time.Duration) (lost []int, err error)
	// ReleaseLease gives a partition up (nothing when node does not hold it),
	// so that another node can take it over without waiting for the expiry.
	ReleaseLease(ctx context.Context, partition int, node string) error
	// Partitions is the fixed number of partitions of the store.
	Partitions() int
}

// PartitionOf returns the partition of an execution: FNV-1a (32 bits) of
// its id, modulo partitions. The function is part of the stored data's
// format: it must never change, or executions would move between
// partitions (and, on Redis, between keys).
func PartitionOf(executionID string, partitions int) int {
	if partitions <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(executionID))
	return int(h.Sum32() % uint32(partitions))
}
