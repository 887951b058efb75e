package redis

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

var (
	_ store.PartitionQueries = (*Store)(nil)
	_ store.ReleaseRegistry  = (*Store)(nil)
)

// DueIn implements store.PartitionQueries: one ZRANGEBYSCORE per
// partition, all in one pipeline (split by shard on Cluster).
func (s *Store) DueIn(ctx context.Context, partitions []int, until time.Time, limit int) ([]store.DueEntry, error) {
	if len(partitions) == 0 {
		return nil, nil
	}
	for _, p := range partitions {
		if err := s.checkPartition(p); err != nil {
			return nil, err
		}
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	by := &goredis.ZRangeBy{Min: "-inf", Max: micros(until)}
	if limit > 0 {
		by.Count = int64(limit)
	}
	pipe := s.client.Pipeline()
	cmds := make([]*goredis.ZSliceCmd, len(partitions))
	for i, p := range partitions {
		cmds[i] = pipe.ZRangeByScoreWithScores(ctx, s.keys.due(p), by)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis store: due in %d partitions: %w", len(partitions), err)
	}
	var out []store.DueEntry
	for i, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			out = append(out, store.DueEntry{ID: id, Partition: partitions[i], At: time.UnixMicro(int64(z.Score)).UTC()})
		}
	}
	return out, nil
}

// InFlight implements store.PartitionQueries with SSCAN (a member may come
// twice across pages; readers check the record anyway).
func (s *Store) InFlight(ctx context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	if err := s.checkPartition(partition); err != nil {
		return nil, "", err
	}
	var cur uint64
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil || n == 0 {
			return nil, "", store.ErrInvalidCursor
		}
		cur = n
	}
	if limit <= 0 {
		limit = 1000
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ids, next, err := s.client.SScan(ctx, s.keys.inflight(partition), cur, "", int64(limit)).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis store: in-flight of partition %d: %w", partition, err)
	}
	if next == 0 {
		return ids, "", nil
	}
	return ids, strconv.FormatUint(next, 10), nil
}

// AddInFlight implements store.PartitionQueries.
func (s *Store) AddInFlight(ctx context.Context, partition int, ids []string) error {
	if err := s.checkPartition(partition); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	if err := s.client.SAdd(ctx, s.keys.inflight(partition), members...).Err(); err != nil {
		return fmt.Errorf("redis store: add in-flight to partition %d: %w", partition, err)
	}
	return nil
}

// Running implements store.PartitionQueries: the partition's RUNNING
// index in start order. The cursor is the last entry's score and id, so
// executions that end meanwhile do not shift the pages (an offset would
// skip entries).
func (s *Store) Running(ctx context.Context, partition int, cursor string, limit int) ([]string, string, error) {
	if err := s.checkPartition(partition); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = 1000
	}
	min, afterID := "-inf", ""
	if cursor != "" {
		score, id, ok := strings.Cut(cursor, ":")
		if _, err := strconv.ParseInt(score, 10, 64); !ok || err != nil {
			return nil, "", store.ErrInvalidCursor
		}
		min, afterID = score, id
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const slack = 64 // entries at the cursor's own score that come again
	zs, err := s.client.ZRangeByScoreWithScores(ctx, s.keys.index(partition, "", store.StatusRunning),
		&goredis.ZRangeBy{Min: min, Max: "+inf", Count: int64(limit + slack)}).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis store: running in partition %d: %w", partition, err)
	}
	es := entries(zs)
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].score != es[j].score {
			return es[i].score < es[j].score
		}
		return es[i].id < es[j].id
	})
	var ids []string
	var last entry
	fresh := 0 // entries not returned by an earlier page
	for _, e := range es {
		if cursor != "" && strconv.FormatInt(e.score, 10) == min && e.id <= afterID {
			continue
		}
		if fresh++; len(ids) < limit {
			ids, last = append(ids, e.id), e
		}
	}
	more := fresh > len(ids) || (len(ids) > 0 && len(zs) == limit+slack)
	if !more {
		return ids, "", nil
	}
	return ids, strconv.FormatInt(last.score, 10) + ":" + last.id, nil
}

// Rebuilt implements store.PartitionQueries.
func (s *Store) Rebuilt(ctx context.Context, partition int) (int, error) {
	if err := s.checkPartition(partition); err != nil {
		return 0, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := s.client.Get(ctx, s.keys.rebuilt(partition)).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis store: rebuilt mark of partition %d: %w", partition, err)
	}
	return n, nil
}

// MarkRebuilt implements store.PartitionQueries.
func (s *Store) MarkRebuilt(ctx context.Context, partition, release int) error {
	if err := s.checkPartition(partition); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Set(ctx, s.keys.rebuilt(partition), release, 0).Err(); err != nil {
		return fmt.Errorf("redis store: mark partition %d rebuilt: %w", partition, err)
	}
	return nil
}

// OpenCounts implements store.PartitionQueries.
func (s *Store) OpenCounts(ctx context.Context, partition int) (map[string]int64, error) {
	if err := s.checkPartition(partition); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	h, err := s.client.HGetAll(ctx, s.keys.open(partition)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis store: open counts of partition %d: %w", partition, err)
	}
	return parseCounts(h), nil
}

// RecountOpen implements store.PartitionQueries (recount_open.lua).
func (s *Store) RecountOpen(ctx context.Context, partition int) (map[string]int64, error) {
	if err := s.checkPartition(partition); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := recountOpenScript.Run(ctx, s.client,
		[]string{s.keys.index(partition, "", store.StatusRunning), s.keys.open(partition)}, s.keys.partition(partition)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redis store: recount open of partition %d: %w", partition, err)
	}
	h := map[string]string{}
	for i := 0; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	return parseCounts(h), nil
}

// parseCounts keeps the positive counts of a counts hash.
func parseCounts(h map[string]string) map[string]int64 {
	out := make(map[string]int64, len(h))
	for sm, v := range h {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			out[sm] = n
		}
	}
	return out
}

// nodeReleases is the hash of the releases live nodes heartbeat with.
func (k keys) nodeReleases() string { return k.prefix + ":{sm}:releases" }

// HeartbeatRelease implements store.ReleaseRegistry: Heartbeat and the
// node's release in one transaction. The releases of nodes no longer
// alive are pruned as they are seen.
func (s *Store) HeartbeatRelease(ctx context.Context, node string, release int, ttl time.Duration) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	now := time.Now().UnixMilli()
	var live *goredis.StringSliceCmd
	var rel *goredis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZAdd(ctx, s.keys.nodes(), goredis.Z{Score: float64(now + ttl.Milliseconds()), Member: node})
		p.HSet(ctx, s.keys.nodeReleases(), node, release)
		p.ZRemRangeByScore(ctx, s.keys.nodes(), "-inf", strconv.FormatInt(now, 10))
		live = p.ZRange(ctx, s.keys.nodes(), 0, -1)
		rel = p.HGetAll(ctx, s.keys.nodeReleases())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis store: heartbeat %s: %w", node, err)
	}
	out := make(map[string]int, len(live.Val()))
	for _, n := range live.Val() {
		r, _ := strconv.Atoi(rel.Val()[n])
		out[n] = r
	}
	var gone []string
	for n := range rel.Val() {
		if _, ok := out[n]; !ok {
			gone = append(gone, n)
		}
	}
	if len(gone) > 0 {
		_ = s.client.HDel(ctx, s.keys.nodeReleases(), gone...).Err() // best effort: pruned again next time
	}
	return out, nil
}
