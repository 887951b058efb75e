package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/store"
)

// The partition queries and node releases pass through the wrapper timed
// like the other operations, so that an engine on a wrapped store finds
// them (it reads only its own partitions through them).

var (
	_ store.PartitionQueries = (*timedLeaser)(nil)
	_ store.ReleaseRegistry  = (*timedCluster)(nil)
)

func (t *timedLeaser) queries() (store.PartitionQueries, error) {
	q, ok := t.leaser.(store.PartitionQueries)
	if !ok {
		return nil, fmt.Errorf("metrics: %T has no partition queries", t.leaser)
	}
	return q, nil
}

// timed runs one partition query and records it under op.
func timed[T any](t *timedLeaser, o op, call func(q store.PartitionQueries) (T, error)) (T, error) {
	start := time.Now()
	var out T
	q, err := t.queries()
	if err == nil {
		out, err = call(q)
	}
	t.m.done(o, start, err)
	return out, err
}

func (t *timedLeaser) DueIn(ctx context.Context, partitions []int, until time.Time, limit int) ([]store.DueEntry, error) {
	return timed(t, opDueIn, func(q store.PartitionQueries) ([]store.DueEntry, error) {
		return q.DueIn(ctx, partitions, until, limit)
	})
}

type page struct {
	ids  []string
	next string
}

func (t *timedLeaser) InFlight(ctx context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	p, err := timed(t, opInFlight, func(q store.PartitionQueries) (page, error) {
		ids, next, err := q.InFlight(ctx, partition, cursor, limit)
		return page{ids, next}, err
	})
	return p.ids, p.next, err
}

func (t *timedLeaser) AddInFlight(ctx context.Context, partition int, ids []string) error {
	_, err := timed(t, opAddInFlight, func(q store.PartitionQueries) (struct{}, error) {
		return struct{}{}, q.AddInFlight(ctx, partition, ids)
	})
	return err
}

func (t *timedLeaser) Running(ctx context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	p, err := timed(t, opRunning, func(q store.PartitionQueries) (page, error) {
		ids, next, err := q.Running(ctx, partition, cursor, limit)
		return page{ids, next}, err
	})
	return p.ids, p.next, err
}

func (t *timedLeaser) Rebuilt(ctx context.Context, partition int) (int, error) {
	return timed(t, opRebuilt, func(q store.PartitionQueries) (int, error) { return q.Rebuilt(ctx, partition) })
}

func (t *timedLeaser) MarkRebuilt(ctx context.Context, partition, release int) error {
	_, err := timed(t, opMarkRebuilt, func(q store.PartitionQueries) (struct{}, error) {
		return struct{}{}, q.MarkRebuilt(ctx, partition, release)
	})
	return err
}

func (t *timedLeaser) OpenCounts(ctx context.Context, partition int) (map[string]int64, error) {
	return timed(t, opOpenCounts, func(q store.PartitionQueries) (map[string]int64, error) { return q.OpenCounts(ctx, partition) })
}

func (t *timedLeaser) RecountOpen(ctx context.Context, partition int) (map[string]int64, error) {
	return timed(t, opRecountOpen, func(q store.PartitionQueries) (map[string]int64, error) { return q.RecountOpen(ctx, partition) })
}

func (t *timedCluster) HeartbeatRelease(ctx context.Context, node string, release int, ttl time.Duration) (map[string]int, error) {
	start := time.Now()
	live, err := store.HeartbeatRelease(ctx, t.nodes, node, release, ttl)
	t.m.done(opHeartbeat, start, err)
	return live, err
}
