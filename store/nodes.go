package store

import (
	"context"
	"time"
)

// NodeRegistry is implemented by stores shared by several nodes: each node
// says it is alive, and learns who else is, so that partitions can be spread
// over the live nodes by rendezvous hashing.
type NodeRegistry interface {
	// Heartbeat records that node is alive for ttl and returns the nodes
	// alive now, itself included, sorted.
	Heartbeat(ctx context.Context, node string, ttl time.Duration) ([]string, error)
	// Leave removes node at once (a graceful shutdown).
	Leave(ctx context.Context, node string) error
}
