package interpreter

import (
	"context"
	"hash/fnv"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// ownership holds this node's partition leases, when the store shares work
// between nodes (store.Leaser). The lease holder is the one node that fires
// a partition's timers and recovers its in-flight task calls; every commit
// it makes carries the partition's fencing token, so a node that lost its
// lease can never apply a stale step. Writes from outside (stop, task
// results) stay plain compare-and-set on the record version, from any node.
type ownership struct {
	leaser   store.Leaser
	registry store.NodeRegistry // nil: this node takes every free partition
	node     string
	ttl      time.Duration

	mu   sync.RWMutex
	held map[int]int64 // partition -> fence

	// live are the nodes the last heartbeat saw (balanceLeases' own).
	live []string
}

// fence returns this node's fencing token for an execution's partition, or
// 0 when it does not hold it.
func (o *ownership) fence(id string) int64 {
	if o == nil {
		return 0
	}
	p := store.PartitionOf(id, o.leaser.Partitions())
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.held[p]
}

// owns reports whether this node holds an execution's partition.
func (o *ownership) owns(id string) bool {
	if o == nil {
		return true
	}
	return o.fence(id) != 0
}

// holds reports whether this node holds partition p.
func (o *ownership) holds(p int) bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.held[p] != 0
}

// fenceOf is this node's fence for partition p (0: not held).
func (o *ownership) fenceOf(p int) int64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.held[p]
}

func (o *ownership) partitions() []int {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ps := make([]int, 0, len(o.held))
	for p := range o.held {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	return ps
}

// rendezvous picks the node that should own a partition: the highest hash
// of (partition, node). When a node joins or leaves, only the partitions it
// wins or held move.
func rendezvous(partition int, nodes []string) string {
	best, bestScore := "", uint64(0)
	for _, n := range nodes {
		h := fnv.New64a()
		h.Write([]byte(strconv.Itoa(partition)))
		h.Write([]byte{0})
		h.Write([]byte(n))
		if s := h.Sum64(); best == "" || s > bestScore {
			best, bestScore = n, s
		}
	}
	return best
}

// runLeases keeps this node's leases: one heartbeat renews them all; it
// takes the partitions rendezvous hashing gives it (and any that nobody
// holds), queues a taken-over partition for recovery (which runs on its
// own, so that renewals never wait on it), and hands back the partitions
// another live node should have.
func (e *Engine) runLeases(ctx context.Context) {
	o := e.own
	tick := o.ttl / 3
	for {
		select { // Start balanced them first
		case <-ctx.Done():
			return
		case <-e.cfg.Clock.After(tick):
		}
		e.balanceLeases(ctx)
	}
}

func (e *Engine) balanceLeases(ctx context.Context) {
	o := e.own
	nodes := []string{o.node}
	if o.registry != nil {
		live, older, err := o.heartbeat(ctx)
		if err != nil {
			e.log.Warn("node heartbeat failed", slog.Any("error", err))
		} else if len(live) > 0 {
			nodes = live
			e.noteOlderNodes(older)
			e.noteGoneNodes(live)
		}
	}
	held := o.partitions()
	if len(held) > 0 {
		lost, err := o.leaser.RenewLeases(ctx, o.node, held, o.ttl)
		if err != nil {
			e.log.Warn("lease renewal failed", slog.Any("error", err))
			return
		}
		if len(lost) > 0 {
			o.mu.Lock()
			for _, p := range lost {
				delete(o.held, p)
			}
			o.mu.Unlock()
			e.log.Warn("partitions lost", slog.Int("count", len(lost)))
		}
	}
	for p := 0; p < o.leaser.Partitions(); p++ {
		if ctx.Err() != nil {
			return
		}
		want := rendezvous(p, nodes) == o.node
		o.mu.RLock()
		_, have := o.held[p]
		o.mu.RUnlock()
		switch {
		case want && !have:
			fence, ok, err := o.leaser.AcquireLease(ctx, p, o.node, o.ttl)
			if err != nil || !ok {
				continue // its holder is alive: it hands it back once it sees us
			}
			o.mu.Lock()
			o.held[p] = fence
			o.mu.Unlock()
			e.recovery.add(p)
			e.timers.pollNow() // its due timers fire without waiting for the next poll
		case !want && have:
			if err := o.leaser.ReleaseLease(ctx, p, o.node); err == nil {
				o.mu.Lock()
				delete(o.held, p)
				o.mu.Unlock()
			}
		}
	}
}

// noteGoneNodes re-checks the in-flight work of the partitions this node
// holds when a node it saw alive is gone. A node that is not a
// partition's holder commits there too (a task's answer, a child's end
// told to its parent) and then performs what its commit left to do: a
// task call, the start of a Map Run's children. Had it died in between,
// nobody would take that over, since the partition's holder is alive:
// recovering the held partitions again makes those calls and starts
// again (at least once; starts are found by name).
func (e *Engine) noteGoneNodes(live []string) {
	o := e.own
	before := o.live
	o.live = live
	gone := false
	for _, n := range before {
		if _, found := slices.BinarySearch(live, n); !found {
			gone = true
			e.log.Info("a node is gone: re-checking the in-flight work of the partitions held here", slog.String("node", n))
		}
	}
	if !gone {
		return
	}
	if limiter := store.AsLimiter(e.store); limiter != nil {
		// The calls it made under limits give their slots back (the nodes
		// that take its partitions over make them again, and ask anew).
		for _, n := range before {
			if _, found := slices.BinarySearch(live, n); !found {
				e.wg.Add(1)
				go func() {
					defer e.wg.Done()
					if err := limiter.ReleaseNode(e.ctx, n); err != nil && e.ctx.Err() == nil {
						e.log.Warn("a gone node's limit slots not given back", slog.String("node", n), slog.Any("error", err))
					}
				}()
			}
		}
	}
	for _, p := range o.partitions() {
		e.recovery.add(p)
	}
}

// heartbeat says this node is alive and returns the live nodes, and
// whether one of them runs an earlier release (store.HeartbeatRelease).
func (o *ownership) heartbeat(ctx context.Context) (live []string, older bool, err error) {
	releases, err := store.HeartbeatRelease(ctx, o.registry, o.node, store.Release, o.ttl)
	if err != nil {
		return nil, false, err
	}
	for n, rel := range releases {
		live = append(live, n)
		older = older || rel < store.Release
	}
	sort.Strings(live)
	return live, older, nil
}

// noteOlderNodes tells recovery whether a node of an earlier release is
// alive. When one appears, the partitions this node holds lose their
// rebuilt mark: that node commits without keeping the in-flight sets, so
// whoever takes them over next scans them again.
func (e *Engine) noteOlderNodes(older bool) {
	if !e.recovery.setOlder(older) || !older || e.recovery.q == nil {
		return
	}
	e.log.Warn("a node of an earlier release is alive: recovery scans whole partitions until it is gone")
	held := e.own.partitions()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for _, p := range held {
			if err := e.recovery.q.MarkRebuilt(e.ctx, p, 0); err != nil && e.ctx.Err() == nil {
				e.log.Warn("clearing a partition's rebuilt mark failed", slog.Int("partition", p), slog.Any("error", err))
			}
		}
	}()
}

// releaseLeases hands every lease back (graceful shutdown), so other nodes
// take the executions over at once instead of after the expiry.
func (e *Engine) releaseLeases(ctx context.Context) {
	o := e.own
	if o == nil {
		return
	}
	for _, p := range o.partitions() {
		_ = o.leaser.ReleaseLease(ctx, p, o.node)
	}
	o.mu.Lock()
	o.held = map[int]int64{}
	o.mu.Unlock()
	if o.registry != nil {
		_ = o.registry.Leave(ctx, o.node)
	}
}

// Maintainer reports whether this node does the cluster-wide chores (the
// open-executions gauge, the janitor): the holder of partition 0, or the
// only node when the store is not shared.
func (e *Engine) Maintainer() bool {
	if e.own == nil {
		return true
	}
	e.own.mu.RLock()
	defer e.own.mu.RUnlock()
	_, ok := e.own.held[0]
	return ok
}

// Owns reports whether this node holds the partition of key (an
// execution id, or any name hashed the same way: a schedule's, whose slots
// its partition's holder fires), and the lease's fencing token (0 when the
// store is not shared). Work keyed so moves with the partition when a node
// dies or the leases rebalance.
func (e *Engine) Owns(key string) (owned bool, fence int64) {
	if e.own == nil {
		return true, 0
	}
	f := e.own.fence(key)
	return f != 0, f
}

// HeldPartitions is how many partition leases this node holds (0 when the
// store is not shared), for metrics.
func (e *Engine) HeldPartitions() int {
	if e.own == nil {
		return 0
	}
	return len(e.own.partitions())
}
