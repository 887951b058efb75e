package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// The change log (store.ChangeLog): one stream per partition,
// <prefix>:{pN}:changes, appended by create.lua and commit.lua in the same
// script as the write that changes the status (so in the partition's slot),
// trimmed by the appends themselves: entries older than the retention and
// those beyond the partition's cap (changeCap), up to 100 an append, by
// XDEL, so that the stream records the last id it lost
// (max-deleted-entry-id, Redis 7) and a reader whose cursor is before it
// is told (store.ErrCursorTrimmed) instead of skipping entries unawares.
// Stream ids are the shard's time in ms and a sequence within the ms.
//
// Reading merges the partitions in the order (ms, partition, seq): a
// total order that keeps each partition's (so each execution's) order. A
// cursor is the position of the last entry read, "<ms>-<seq>-<partition>".
// Each partition is read by read_changes.lua, which also returns the
// shard's time: the partition has all its entries up to the ms before it,
// since later appends get later ids. The merged page stops at the earliest
// point up to which every partition is known (the earliest such time, or
// the last entry of a partition that returned a full page), so an entry
// logged after a read can never fall behind the cursor (unless a shard's
// clock goes back, which Redis's ids do not follow within one stream, but
// do across streams).

var (
	_ store.ChangeLog    = (*Store)(nil)
	_ store.ChangeKeeper = (*Store)(nil)
)

// KeepChanges implements store.ChangeKeeper.
func (s *Store) KeepChanges(retention time.Duration) {
	if retention <= 0 {
		retention = store.DefaultChangeRetention
	}
	s.changeRetention.Store(max(retention.Milliseconds(), 1))
}

// ChangesKept implements store.ChangeKeeper.
func (s *Store) ChangesKept() bool { return s.changeRetention.Load() > 0 }

// maxChanges bounds the entries of all partitions' logs together: a day of
// status changes at a rate that fills it is trimmed sooner than the
// retention (readers behind are told, store.ErrCursorTrimmed). An entry is
// a few hundred bytes.
const maxChanges = 2_000_000

// defaultChangeCap is a partition's share of maxChanges (at least 1,000).
func defaultChangeCap(partitions int) int64 {
	return max(1000, int64(maxChanges/max(partitions, 1)))
}

// changeArg is a script's change argument: the entry, or "" for none (or
// while the log is not kept).
func (s *Store) changeArg(change []byte) any {
	if len(change) == 0 || !s.ChangesKept() {
		return ""
	}
	return change
}

// changeMinID is a script's trim argument, "<min id> <cap>": entries older
// than the first (logged before now minus the retention) and beyond the
// cap are trimmed by the next append.
func (s *Store) changeMinID() string {
	return strconv.FormatInt(max(time.Now().UnixMilli()-s.changeRetention.Load(), 0), 10) + "-0 " +
		strconv.FormatInt(max(s.changeCap.Load(), 1), 10)
}

// changePos is a position in the merged log.
type changePos struct {
	ms, seq uint64
	part    int
}

func (a changePos) compare(b changePos) int {
	switch {
	case a.ms != b.ms:
		return cmp.Compare(a.ms, b.ms)
	case a.part != b.part:
		return cmp.Compare(a.part, b.part)
	}
	return cmp.Compare(a.seq, b.seq)
}

func (a changePos) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10) + "-" + strconv.Itoa(a.part)
}

// maxCursorMs bounds a cursor's time (year 10889): past it, the next
// millisecond or stream id (startFor) would overflow.
const maxCursorMs = 1 << 48

func (s *Store) parseChangeCursor(c string) (changePos, error) {
	f := strings.Split(c, "-")
	if len(f) == 3 {
		ms, err1 := strconv.ParseUint(f[0], 10, 64)
		seq, err2 := strconv.ParseUint(f[1], 10, 64)
		part, err3 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil && err3 == nil && part >= 0 && part < s.partitions && ms < maxCursorMs {
			return changePos{ms: ms, seq: seq, part: part}, nil
		}
	}
	return changePos{}, fmt.Errorf("redis store: change cursor %q: %w", c, store.ErrInvalidCursor)
}

// parseStreamID reads "<ms>-<seq>".
func parseStreamID(id string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, found && err1 == nil && err2 == nil
}

// startFor is where partition q is read from after c (XRANGE syntax).
func startFor(c *changePos, q int) string {
	switch {
	case c == nil:
		return "-"
	case q < c.part:
		return strconv.FormatUint(c.ms+1, 10)
	case q == c.part:
		return "(" + strconv.FormatUint(c.ms, 10) + "-" + strconv.FormatUint(c.seq, 10)
	}
	return strconv.FormatUint(c.ms, 10)
}

// ChangeCursorAt implements store.ChangeLog: the position just before
// the first entry of the millisecond of t, in every partition.
func (s *Store) ChangeCursorAt(_ context.Context, t time.Time) (string, error) {
	ms := t.UnixMilli() - 1
	if ms < 0 {
		ms = 0
	}
	return changePos{ms: uint64(ms), seq: math.MaxUint64, part: s.partitions - 1}.String(), nil
}

// ChangeCursorNow implements store.ChangeLog: the position just before
// the millisecond of the earliest clock among the partitions' shards, so
// that no entry logged after the call is before it (a node's clock ahead
// of the shards' would skip them).
func (s *Store) ChangeCursorNow(ctx context.Context) (string, error) {
	cmds, err := s.readPartitions(ctx, nil, 0)
	if err != nil {
		return "", fmt.Errorf("redis store: change cursor now: %w", err)
	}
	earliest := int64(math.MaxInt64)
	for p, cmd := range cmds {
		res, err := cmd.Slice()
		if err != nil || len(res) != 3 {
			return "", fmt.Errorf("redis store: change cursor now, partition %d: unexpected reply (%v)", p, err)
		}
		now, _ := res[0].(int64)
		earliest = min(earliest, now)
	}
	return changePos{ms: uint64(max(earliest-1, 0)), seq: math.MaxUint64, part: s.partitions - 1}.String(), nil
}

type readEntry struct {
	pos  changePos
	data string
}

// How long ReadChanges waits, at most, for the shards' clocks to pass
// entries that are logged but not yet orderable (logged in the current
// millisecond, or on a shard whose clock is ahead), before it returns
// without them.
const maxOrderWait = 250 * time.Millisecond

// ReadChanges implements store.ChangeLog.
func (s *Store) ReadChanges(ctx context.Context, cursor string, limit int) ([]store.Change, string, error) {
	var after *changePos
	if cursor != "" {
		c, err := s.parseChangeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	if limit <= 0 {
		limit = 1000
	}
	// Each partition's page: a fair share of limit with room for
	// unevenness; a partition with more is read on the next call.
	per := min(limit, max(16, 2*limit/s.partitions+8))
	for try := 0; ; try++ {
		page, wait, err := s.readChangesOnce(ctx, after, per)
		var te *store.TrimmedError
		if errors.As(err, &te) {
			te.Cursor = cursor
		}
		if err != nil {
			return nil, "", err
		}
		if len(page) > 0 || wait <= 0 || wait > maxOrderWait || try == 2 {
			if len(page) > limit {
				page = page[:limit]
			}
			out := make([]store.Change, len(page))
			for i, e := range page {
				out[i] = store.Change{Cursor: e.pos.String(), At: time.UnixMilli(int64(e.pos.ms)).UTC(), Data: bytesOf(e.data)}
			}
			next := cursor
			if len(out) > 0 {
				next = out[len(out)-1].Cursor
			}
			return out, next, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, "", fmt.Errorf("redis store: read changes: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// readPartitions runs read_changes.lua on every partition, in one
// pipeline: each partition's entries after after, per at the most (0: its
// shard's clock only).
func (s *Store) readPartitions(ctx context.Context, after *changePos, per int) ([]*goredis.Cmd, error) {
	calls := make([][]string, s.partitions)
	args := make([][]any, s.partitions)
	for p := range s.partitions {
		calls[p] = []string{s.keys.changes(p)}
		args[p] = []any{startFor(after, p), per}
	}
	rctx, cancel := s.bound(ctx)
	defer cancel()
	return runPipelined(rctx, s.client, readChangesScript, calls, args)
}

// readChangesOnce reads every partition after after and returns the
// entries up to the point where all partitions are known, in order; wait
// is, when it returned none but some were held back, how long until the
// clocks pass the first of them.
func (s *Store) readChangesOnce(ctx context.Context, after *changePos, per int) ([]readEntry, time.Duration, error) {
	cmds, err := s.readPartitions(ctx, after, per)
	if err != nil {
		return nil, 0, fmt.Errorf("redis store: read changes: %w", err)
	}
	var all []readEntry
	bound := changePos{ms: math.MaxUint64, seq: math.MaxUint64, part: math.MaxInt}
	var trimmed *changePos // the latest entry trimmed after the cursor
	for p, cmd := range cmds {
		res, err := cmd.Slice()
		if err != nil {
			return nil, 0, fmt.Errorf("redis store: read changes of partition %d: %w", p, err)
		}
		if len(res) != 3 {
			return nil, 0, fmt.Errorf("redis store: read changes of partition %d: unexpected reply", p)
		}
		now, _ := res[0].(int64)
		entries, _ := res[1].([]any)
		if del, _ := res[2].(string); del != "" {
			ms, seq, ok := parseStreamID(del)
			if !ok {
				return nil, 0, fmt.Errorf("redis store: read changes of partition %d: malformed trimmed id %q", p, del)
			}
			if pos := (changePos{ms: ms, seq: seq, part: p}); trimmed == nil || pos.compare(*trimmed) > 0 {
				trimmed = &pos
			}
		}
		// The partition is known up to the ms before now, or up to its
		// last entry when the page is full.
		known := changePos{ms: uint64(max(now-1, 0)), seq: math.MaxUint64, part: math.MaxInt}
		for _, e := range entries {
			pe, err := decodeStreamEntry(e, p)
			if err != nil {
				return nil, 0, err
			}
			all = append(all, pe)
		}
		if len(entries) >= per && all[len(all)-1].pos.compare(known) < 0 {
			known = all[len(all)-1].pos
		}
		if known.compare(bound) < 0 {
			bound = known
		}
	}
	if trimmed != nil {
		// Going on from the latest entry trimmed skips nothing still kept
		// in its partition; in the others, what is older (trimmed soon too,
		// as the oldest) is skipped with it.
		return nil, 0, &store.TrimmedError{Resume: trimmed.String()}
	}
	slices.SortFunc(all, func(a, b readEntry) int { return a.pos.compare(b.pos) })
	n := 0
	for n < len(all) && all[n].pos.compare(bound) <= 0 {
		n++
	}
	if n == 0 && len(all) > 0 {
		return nil, time.Duration(all[0].pos.ms-bound.ms+1) * time.Millisecond, nil
	}
	return all[:n], 0, nil
}

// decodeStreamEntry reads one XRANGE entry, {id, {"d", data}}.
func decodeStreamEntry(e any, part int) (readEntry, error) {
	pair, _ := e.([]any)
	if len(pair) != 2 {
		return readEntry{}, errors.New("redis store: read changes: malformed entry")
	}
	id, _ := pair[0].(string)
	ms, seq, ok := parseStreamID(id)
	if !ok {
		return readEntry{}, fmt.Errorf("redis store: read changes: malformed entry id %q", id)
	}
	fields, _ := pair[1].([]any)
	data := ""
	for i := 0; i+1 < len(fields); i += 2 {
		if k, _ := fields[i].(string); k == "d" {
			data, _ = fields[i+1].(string)
		}
	}
	return readEntry{pos: changePos{ms: ms, seq: seq, part: part}, data: data}, nil
}

// WatchChanges implements store.ChangeLog: every start and every status
// change is published on its partition's status channel, which the watch
// listens to on all partitions.
func (s *Store) WatchChanges(ctx context.Context) (<-chan struct{}, func()) {
	return s.watch.addChanges(ctx)
}
