package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// Limits (store.Limiter): each limit key has its own hash tag,
// <prefix>:{lim:<key>}:, so that one script sees all of a key's state in
// one Cluster slot, and keys spread over the shards:
//
//	…:held   hash holder -> node: the slots in flight
//	…:wait   zset holder, score the ms it first asked: the FIFO queue
//	…:seen   zset holder, score the ms it last asked: for store.WaiterTTL
//	…:wnode  hash holder -> node of each waiter: for ReleaseNode
//	…:tat    the rate's bucket as a theoretical arrival time in ms (GCRA),
//	         expiring a second after the bucket is full again
//
// Redis deletes a hash or zset that empties, so a key with nothing held or
// waiting keeps nothing but its bucket, and that only until it is full.
//
// <prefix>:{limkeys} lists the keys ever acquired, for ReleaseNode, which
// runs one script per key. It has its own tag, so Acquire cannot add to it
// from its script; it sends SADD in the same pipeline instead (one round
// trip; on Cluster the two go to their shards at once). It is not pruned:
// a key could only be taken out of it atomically with a check that the key
// is empty, which is a cross-slot operation; and it holds the configured
// limit keys (hosts, activities, state machines), not anything that grows
// with executions.

// limitEscaper keeps a limit key inside its hash tag: braces would end or
// move it. "%" escapes, so that different keys stay different.
var limitEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// limit is the name of one part of a limit key's state.
func (k keys) limit(key, part string) string {
	return k.prefix + ":{lim:" + limitEscaper.Replace(key) + "}:" + part
}

func (k keys) limitKeys() string { return k.prefix + ":{limkeys}" }

// The limits' scripts; each file's header names its KEYS, ARGV and result.
var (
	limitAcquireScript     = script("limit_acquire")
	limitCancelScript      = script("limit_cancel")
	limitReleaseNodeScript = script("limit_release_node")
)

var _ store.Limiter = (*Store)(nil)

// Acquire implements store.Limiter.
func (s *Store) Acquire(ctx context.Context, sl store.Slot, lim store.Limit, now time.Time) (store.SlotResult, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	keys := []string{k.limit(sl.Key, "held"), k.limit(sl.Key, "wait"), k.limit(sl.Key, "seen"),
		k.limit(sl.Key, "wnode"), k.limit(sl.Key, "tat")}
	args := []any{sl.Holder, sl.Node, now.UnixMilli(), max(lim.MaxInFlight, 0),
		strconv.FormatFloat(max(lim.Rate, 0), 'g', -1, 64), max(lim.Burst, 1), store.WaiterTTL.Milliseconds()}
	run := func(eval bool) (*goredis.Cmd, error) {
		pipe := s.client.Pipeline()
		pipe.SAdd(ctx, k.limitKeys(), sl.Key)
		var cmd *goredis.Cmd
		if eval {
			cmd = limitAcquireScript.Eval(ctx, pipe, keys, args...)
		} else {
			cmd = limitAcquireScript.EvalSha(ctx, pipe, keys, args...)
		}
		_, err := pipe.Exec(ctx)
		return cmd, err
	}
	cmd, err := run(false)
	if isNoScript(err) {
		cmd, err = run(true)
	}
	if err != nil {
		return store.SlotResult{}, fmt.Errorf("redis store: acquire a slot of limit %q for %s: %w", sl.Key, sl.Holder, err)
	}
	res, err := cmd.Int64Slice()
	if err != nil || len(res) != 3 {
		return store.SlotResult{}, fmt.Errorf("redis store: acquire a slot of limit %q: unexpected reply %v (%v)", sl.Key, cmd.Val(), err)
	}
	out := store.SlotResult{Granted: res[0] == 1, Ahead: int(res[2])}
	if res[1] > 0 {
		out.RetryAt = time.UnixMilli(res[1]).UTC()
	}
	return out, nil
}

// Release implements store.Limiter.
func (s *Store) Release(ctx context.Context, key, holder string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.HDel(ctx, s.keys.limit(key, "held"), holder).Err(); err != nil {
		return fmt.Errorf("redis store: release a slot of limit %q for %s: %w", key, holder, err)
	}
	return nil
}

// Cancel implements store.Limiter.
func (s *Store) Cancel(ctx context.Context, key, holder string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	err := limitCancelScript.Run(ctx, s.client, []string{k.limit(key, "wait"), k.limit(key, "seen"), k.limit(key, "wnode")},
		holder).Err()
	if err != nil {
		return fmt.Errorf("redis store: cancel the wait of %s for limit %q: %w", holder, key, err)
	}
	return nil
}

// releaseNodeBatch is how many keys one pipeline of ReleaseNode covers.
const releaseNodeBatch = 100

// ReleaseNode implements store.Limiter: one script per limit key, in
// pipelines of releaseNodeBatch keys.
func (s *Store) ReleaseNode(ctx context.Context, node string) error {
	var cur uint64
	for {
		keys, next, err := s.scanLimitKeys(ctx, cur)
		if err != nil {
			return fmt.Errorf("redis store: release the limits of node %s: %w", node, err)
		}
		for len(keys) > 0 {
			n := min(len(keys), releaseNodeBatch)
			if err := s.releaseNodeOn(ctx, node, keys[:n]); err != nil {
				return fmt.Errorf("redis store: release the limits of node %s: %w", node, err)
			}
			keys = keys[n:]
		}
		if next == 0 {
			return nil
		}
		cur = next
	}
}

func (s *Store) scanLimitKeys(ctx context.Context, cur uint64) ([]string, uint64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.client.SScan(ctx, s.keys.limitKeys(), cur, "", releaseNodeBatch).Result()
}

func (s *Store) releaseNodeOn(ctx context.Context, node string, limitKeys []string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	calls := make([][]string, len(limitKeys))
	args := make([][]any, len(limitKeys))
	for i, key := range limitKeys {
		calls[i] = []string{k.limit(key, "held"), k.limit(key, "wait"), k.limit(key, "seen"), k.limit(key, "wnode")}
		args[i] = []any{node}
	}
	cmds, err := runPipelined(ctx, s.client, limitReleaseNodeScript, calls, args)
	if err != nil {
		return err
	}
	for i, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, goredis.Nil) {
			return fmt.Errorf("limit %q: %w", limitKeys[i], err)
		}
	}
	return nil
}

// LimitStats implements store.Limiter.
func (s *Store) LimitStats(ctx context.Context, key string) (store.LimitStats, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	held := pipe.HLen(ctx, s.keys.limit(key, "held"))
	waiting := pipe.ZCard(ctx, s.keys.limit(key, "wait"))
	if _, err := pipe.Exec(ctx); err != nil {
		return store.LimitStats{}, fmt.Errorf("redis store: stats of limit %q: %w", key, err)
	}
	return store.LimitStats{InFlight: int(held.Val()), Waiting: int(waiting.Val())}, nil
}
