package redis

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// entry is an execution in a partition's listing index or due set.
type entry struct {
	score int64 // microseconds
	id    string
}

// listCursor is the position after the last execution of a page: its start
// time and id. Executions that started at the same microsecond are ordered
// by id, descending, like the newer ones before them.
func encodeListCursor(e entry) string {
	return base64.RawURLEncoding.EncodeToString([]byte("x" + strconv.FormatInt(e.score, 10) + ":" + e.id))
}

func decodeListCursor(c string) (entry, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	bad := fmt.Errorf("redis store: malformed cursor: %w", store.ErrInvalidCursor)
	if err != nil {
		return entry{}, bad
	}
	rest, ok := strings.CutPrefix(string(b), "x")
	if !ok {
		return entry{}, bad
	}
	score, id, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(score, 10, 64)
	if !ok || err != nil || id == "" {
		return entry{}, bad
	}
	return entry{n, id}, nil
}

func entries(zs []goredis.Z) []entry {
	out := make([]entry, 0, len(zs))
	for _, z := range zs {
		id, _ := z.Member.(string)
		out = append(out, entry{int64(z.Score), id})
	}
	return out
}

// ListExecutions implements store.Store: each partition's index gives its
// newest limit+1 executions after the cursor (one pipeline), and the merge
// keeps the newest limit; a next page exists exactly when more were found.
func (s *Store) ListExecutions(ctx context.Context, q store.ListQuery) ([]store.Summary, string, error) {
	var from *entry
	if q.Cursor != "" {
		c, err := decodeListCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		from = &c
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	older := make([]*goredis.ZSliceCmd, s.partitions)
	ties := make([]*goredis.ZSliceCmd, s.partitions)
	for p := 0; p < s.partitions; p++ {
		key := s.keys.index(p, q.StateMachine, q.Status)
		max := "+inf"
		if from != nil {
			max = "(" + strconv.FormatInt(from.score, 10)
			at := strconv.FormatInt(from.score, 10)
			ties[p] = pipe.ZRangeByScoreWithScores(ctx, key, &goredis.ZRangeBy{Min: at, Max: at})
		}
		older[p] = pipe.ZRevRangeByScoreWithScores(ctx, key, &goredis.ZRangeBy{Max: max, Min: "-inf", Count: int64(limit) + 1})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("redis store: list executions: %w", err)
	}
	var found []entry
	for p := 0; p < s.partitions; p++ {
		if ties[p] != nil {
			for _, e := range entries(ties[p].Val()) {
				if e.id < from.id {
					found = append(found, e)
				}
			}
		}
		found = append(found, entries(older[p].Val())...)
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score > found[j].score
		}
		return found[i].id > found[j].id
	})
	next := ""
	if len(found) > limit {
		found = found[:limit]
		next = encodeListCursor(found[limit-1])
	}
	if len(found) == 0 {
		return nil, next, nil
	}
	pipe = s.client.Pipeline()
	reads := make([]*goredis.SliceCmd, len(found))
	for i, e := range found {
		reads[i] = pipe.HMGet(ctx, s.keys.record(s.partitionOf(e.id), e.id), summaryFields...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("redis store: list executions: %w", err)
	}
	out := make([]store.Summary, 0, len(found))
	for i, e := range found {
		if sum, ok := decodeSummary(e.id, reads[i].Val()); ok {
			out = append(out, sum)
		}
	}
	return out, next, nil
}

// Due implements store.Store: the earliest due entries of every partition
// (one pipeline), merged, earliest first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	by := &goredis.ZRangeBy{Min: "-inf", Max: micros(now)}
	if limit > 0 {
		by.Count = int64(limit)
	}
	pipe := s.client.Pipeline()
	cmds := make([]*goredis.ZSliceCmd, s.partitions)
	for p := range cmds {
		cmds[p] = pipe.ZRangeByScoreWithScores(ctx, s.keys.due(p), by)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis store: due: %w", err)
	}
	var found []entry
	for _, c := range cmds {
		found = append(found, entries(c.Val())...)
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score < found[j].score
		}
		return found[i].id < found[j].id
	})
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]string, len(found))
	for i, e := range found {
		out[i] = e.id
	}
	return out, nil
}
