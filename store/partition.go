package store

import (
	"context"
	"time"
)

// Release is the store format release this build writes. Release 2 added
// what the partition queries below read: the in-flight set of each
// partition (CommitParams.InFlight) and its open-execution counters. A
// partition that nodes of an earlier release wrote to has neither kept up
// to date; it is rebuilt once (PartitionQueries.Rebuilt), and while a node
// of an earlier release is alive (ReleaseRegistry) recovery scans anyway.
const Release = 2

// PartitionQueries is implemented by stores that share work between nodes
// (next to Leaser). Each call reads one partition's own keys (one hash tag
// on Redis, so it is Cluster-safe), so that what a node does for the
// partitions it holds costs what those partitions hold, not what the
// cluster holds.
type PartitionQueries interface {
	// DueIn returns, for each listed partition, up to limit of its running
	// executions whose DueAt is at or before until, earliest first. The
	// entries of all partitions come back together, in no particular order
	// between partitions.
	DueIn(ctx context.Context, partitions []int, until time.Time, limit int) ([]DueEntry, error)
	// InFlight pages the partition's in-flight set: the executions whose
	// last commit had CommitParams.InFlight (or CreateParams.InFlight) set,
	// plus those AddInFlight put there. It may hold ids that no longer have
	// a call in flight (a rebuild raced a commit, or the execution expired):
	// readers check the record.
	InFlight(ctx context.Context, partition int, cursor string, limit int) (ids []string, next string, err error)
	// AddInFlight adds ids to the partition's in-flight set (a rebuild).
	AddInFlight(ctx context.Context, partition int, ids []string) error
	// Running pages the partition's RUNNING executions (a rebuild scan).
	Running(ctx context.Context, partition int, cursor string, limit int) (ids []string, next string, err error)
	// Rebuilt returns the release that last rebuilt the partition's
	// in-flight set and counters (0: never, a partition written by an
	// earlier release only); MarkRebuilt records it.
	Rebuilt(ctx context.Context, partition int) (int, error)
	MarkRebuilt(ctx context.Context, partition, release int) error
	// OpenCounts returns the partition's RUNNING executions per state
	// machine, as the commits and creates keep them.
	OpenCounts(ctx context.Context, partition int) (map[string]int64, error)
	// RecountOpen counts the partition's RUNNING executions per state
	// machine from its index, atomically, stores the counts and returns
	// them: seeding after an upgrade, and the rare check of the kept counts.
	RecountOpen(ctx context.Context, partition int) (map[string]int64, error)
}

// DueEntry is a due execution and its due time.
type DueEntry struct {
	ID        string
	Partition int
	At        time.Time
}

// ReleaseRegistry is implemented by node registries that know each live
// node's release, so that nodes can tell whether an earlier release still
// runs beside them (it does not keep the in-flight sets).
type ReleaseRegistry interface {
	// HeartbeatRelease is Heartbeat that also records node's release. It
	// returns the live nodes with their releases; a node that heartbeats
	// with plain Heartbeat (an earlier release) has release 0.
	HeartbeatRelease(ctx context.Context, node string, release int, ttl time.Duration) (map[string]int, error)
}

// HeartbeatRelease says node is alive through reg, with its release when
// reg records releases (ReleaseRegistry), and returns the live nodes with
// their releases. A registry that records none knows of no node of
// another release: its nodes are reported at release.
func HeartbeatRelease(ctx context.Context, reg NodeRegistry, node string, release int, ttl time.Duration) (map[string]int, error) {
	if rr, ok := reg.(ReleaseRegistry); ok {
		return rr.HeartbeatRelease(ctx, node, release, ttl)
	}
	names, err := reg.Heartbeat(ctx, node, ttl)
	if err != nil {
		return nil, err
	}
	live := make(map[string]int, len(names))
	for _, n := range names {
		live[n] = release
	}
	return live, nil
}
