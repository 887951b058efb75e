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
	KindInput = kindInput
	KindNode  = kindNode
)

// NoFirstRecovery makes Start skip its recovery round: the test's Recover
// calls are then the only rounds until RecoverEvery.
func NoFirstRecovery(c *Config) { c.hooks.noFirstRound = true }

// BeforeClaim has f called when a recovery round has judged a start lost,
// just before it claims it.
func BeforeClaim(c *Config, f func(id string)) { c.hooks.beforeClaim = f }

// Claimed has f called when a recovery round has claimed a start, just
// before it runs it.
func Claimed(c *Config, f func(id string)) { c.hooks.claimed = f }
