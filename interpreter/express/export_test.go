package express

import (
	"context"
	"math"
	"time"

	"github.com/sfn-project/sfn/store"
)

// HeldInMemory counts the executions the private store still holds,
// ended ones included.
func (r *Runner) HeldInMemory(ctx context.Context) int {
	sums, _, err := r.mem.ListExecutions(ctx, store.ListQuery{Limit: math.MaxInt32})
	if err != nil {
		panic(err)
	}
	return len(sums)
}

// SweepNow removes every ended execution from the private store, as the
// sweeper does keepEnded after their ends.
func (r *Runner) SweepNow(ctx context.Context) {
	if _, err := r.mem.Expire(ctx, time.Now().Add(time.Hour), math.MaxInt32); err != nil {
		panic(err)
	}
}

// Kinds of the shared store's documents.
const (
	KindStart = kindStart
	KindNode  = kindNode
)
