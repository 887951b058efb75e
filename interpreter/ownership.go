package interpreter

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl"
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
// holds), recovers what a taken-over partition had in flight, and hands back
// the partitions another live node should have.
func (e *Engine) runLeases(ctx context.Context) {
	o := e.own
	tick := o.ttl / 3
	for {
		e.balanceLeases(ctx)
		select {
		case <-ctx.Done():
			return
		case <-e.cfg.Clock.After(tick):
		}
	}
}

func (e *Engine) balanceLeases(ctx context.Context) {
	o := e.own
	nodes := []string{o.node}
	if o.registry != nil {
		live, err := o.registry.Heartbeat(ctx, o.node, o.ttl)
		if err != nil {
			e.log.Warn("node heartbeat failed", slog.Any("error", err))
		} else if len(live) > 0 {
			nodes = live
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
			e.recoverPartition(ctx, p)
		case !want && have:
			if err := o.leaser.ReleaseLease(ctx, p, o.node); err == nil {
				o.mu.Lock()
				delete(o.held, p)
				o.mu.Unlock()
			}
		}
	}
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

// recoverPartition resumes what a partition's executions had in flight when
// their previous owner stopped: due timers fire through the normal poll;
// task calls made by a process that died are made again (at-least-once,
// with the same idempotency key).
func (e *Engine) recoverPartition(ctx context.Context, p int) {
	cursor := ""
	for {
		list, next, err := e.store.ListExecutions(ctx, store.ListQuery{Status: store.StatusRunning, Cursor: cursor, Limit: 1000})
		if err != nil {
			e.log.Warn("recovery listing failed", slog.Int("partition", p), slog.Any("error", err))
			return
		}
		for _, sum := range list {
			if store.PartitionOf(sum.ID, e.own.leaser.Partitions()) == p {
				e.recoverExecution(ctx, sum.ID)
			}
		}
		if next == "" {
			return
		}
		cursor = next
	}
}

// recoverExecution re-dispatches the handler and HTTP calls of an execution
// that nobody in this process is making.
func (e *Engine) recoverExecution(ctx context.Context, id string) {
	rec, err := e.store.GetExecution(ctx, id)
	if err != nil || rec.Status != store.StatusRunning {
		return
	}
	def, err := e.definition(ctx, rec.StateMachine, rec.Version)
	if err != nil {
		return
	}
	r, err := decodeRun(rec, def, false, nil)
	if err != nil {
		return
	}
	for _, t := range r.threads {
		if t.Phase != phaseTask || t.Task == nil {
			continue
		}
		s := r.state(t)
		if s == nil || s.Task == nil {
			continue
		}
		if s.Task.Kind == dsl.ActivityTask {
			if !t.Task.Started { // it may have left the queue with a node that died
				e.requeueActivity(ctx, Token{ExecutionID: r.id, Thread: t.ID, ScheduledID: t.Task.ScheduledID, Secret: t.Task.Secret})
			}
			continue
		}
		if s.Task.WaitForToken && t.Task.Started {
			continue // submitted: waiting for the callback, nothing to redo
		}
		tok := MakeToken(r.id, t.ID, t.Task.ScheduledID, t.Task.Secret)
		e.inflightMu.Lock()
		_, running := e.inflight[tok]
		e.inflightMu.Unlock()
		if running {
			continue
		}
		e.log.Info("task call recovered", slog.String("execution_id", id), slog.String("state", s.Name))
		e.dispatch(id, taskCall{Thread: t.ID, ScheduledID: t.Task.ScheduledID, Spec: s.Task, Params: t.Task.Params.V,
			Token: tok, Timeout: t.Task.Timeout, Heartbeat: t.Task.Heartbeat})
	}
}
