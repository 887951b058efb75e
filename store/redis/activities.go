package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// An activity's tasks are queued in the partitions of their executions,
// atomically with the commit that schedules them. So that a poll does not
// read all Partitions queues, commits and creates then add the partition
// to the activity's hint set (keys.activityHint; best effort, see
// batcher.runHinted), and PopActivity looks only at hinted partitions.
//
// Order: FIFO per partition (so per execution); across partitions a poll
// starts at a random hinted partition, which spreads concurrent pollers
// over the queues instead of racing them for one head, and is roughly fair
// (every hinted partition is equally likely first). It is not the strict
// oldest task of the activity.
//
// A hint can be missing (a node died between the script and its SADD, or
// a poller emptied a partition and removed the hint as a task arrived; the
// re-check below closes that race on one connection). So when the hinted
// partitions give nothing, PopActivity scans every partition's queue
// length, at most once per scanMin per activity in this process, and
// re-hints what it finds; and it rescans at least every scanMax while the
// hints keep it busy. A lost hint therefore delays a task, never loses it.
const (
	scanMin = time.Second
	scanMax = 10 * time.Second
	// firstLook is how many hinted partitions a poll picks at random
	// before it reads the whole hint set.
	firstLook = 16
)

// PopActivity implements store.Store.
func (s *Store) PopActivity(ctx context.Context, activity string) (*store.ActivityTask, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	hint := s.keys.activityHint(activity)
	fail := func(err error) (*store.ActivityTask, error) {
		return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
	}
	if s.scanDue(activity, scanMax) {
		if err := s.scanActivity(ctx, activity, hint); err != nil {
			return fail(err)
		}
	}
	tried := map[string]bool{}
	// Three polls in four try this process's own queues first; the fourth
	// goes to the shared hint set, so that tasks queued by other nodes are
	// served even while the local queues never run dry.
	if rand.IntN(4) != 0 {
		if task, err := s.popLocal(ctx, activity, hint, tried); task != nil || err != nil {
			return task, err
		}
	}
	some, err := s.client.SRandMemberN(ctx, hint, firstLook).Result()
	if err != nil {
		return fail(err)
	}
	task, err := s.popFrom(ctx, activity, hint, some, tried)
	if task != nil || err != nil {
		return task, err
	}
	if len(some) == firstLook {
		all, err := s.client.SMembers(ctx, hint).Result()
		if err != nil {
			return fail(err)
		}
		if task, err := s.popFrom(ctx, activity, hint, all, tried); task != nil || err != nil {
			return task, err
		}
	}
	if s.scanDue(activity, scanMin) {
		if err := s.scanActivity(ctx, activity, hint); err != nil {
			return fail(err)
		}
		all, err := s.client.SMembers(ctx, hint).Result()
		if err != nil {
			return fail(err)
		}
		clear(tried) // a scan found them non-empty again
		if task, err := s.popFrom(ctx, activity, hint, all, tried); task != nil || err != nil {
			return task, err
		}
	}
	return nil, fmt.Errorf("redis store: activity %q: %w", activity, store.ErrNotFound)
}

// popFrom pops the head of the first non-empty queue among the hinted
// partitions, starting at a random one. LPOP is atomic, so two pollers
// never get the same task. An empty partition loses its hint.
func (s *Store) popFrom(ctx context.Context, activity, hint string, parts []string, tried map[string]bool) (*store.ActivityTask, error) {
	n := len(parts)
	if n == 0 {
		return nil, nil
	}
	start := rand.IntN(n)
	for i := range n {
		m := parts[(start+i)%n]
		if tried[m] {
			continue
		}
		tried[m] = true
		if task, err := s.popPartition(ctx, activity, hint, m); task != nil || err != nil {
			return task, err
		}
	}
	return nil, nil
}

// popPartition pops the head of one hinted partition's queue; nil when it
// is empty (and then no longer hinted).
func (s *Store) popPartition(ctx context.Context, activity, hint, m string) (*store.ActivityTask, error) {
	p, err := strconv.Atoi(m)
	if err != nil || p < 0 || p >= s.partitions {
		_ = s.client.SRem(ctx, hint, m).Err() // not ours; drop it
		return nil, nil
	}
	queue := s.keys.activity(p, activity)
	for {
		raw, err := s.client.LPop(ctx, queue).Result()
		if err == nil {
			_, task, err := decodeQueued(raw)
			if err != nil {
				return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
			}
			return task, nil
		}
		if !errors.Is(err, goredis.Nil) {
			return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
		}
		refill, err := s.unhint(ctx, hint, m, queue)
		if err != nil {
			return nil, fmt.Errorf("redis store: pop activity %q: %w", activity, err)
		}
		if !refill {
			return nil, nil
		}
	}
}

// localHints are the partitions in which this process queued tasks of an
// activity, per activity: a poll tries them first, straight with LPOP,
// and reads the shared hint set (one more round trip) only when they are
// empty. They are a shortcut for the common case of workers polling the
// node that runs their executions; the hint set stays the truth across
// nodes, and an entry is dropped once its queue is found empty.
type localHints struct {
	mu sync.Mutex
	m  map[string]map[string]struct{} // activity -> partition (as in the hint set)
}

func (l *localHints) add(activity, member string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[string]struct{}{}
	}
	if l.m[activity] == nil {
		l.m[activity] = map[string]struct{}{}
	}
	l.m[activity][member] = struct{}{}
}

// some returns up to n of the activity's partitions, in random order.
func (l *localHints) some(activity string, n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, min(n, len(l.m[activity])))
	for m := range l.m[activity] { // map order is random
		if len(out) == n {
			break
		}
		out = append(out, m)
	}
	return out
}

func (l *localHints) drop(activity, member string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m[activity], member)
	if len(l.m[activity]) == 0 {
		delete(l.m, activity)
	}
}

// popLocal tries the partitions this process queued tasks of the activity
// in, a few at most, and forgets the empty ones.
func (s *Store) popLocal(ctx context.Context, activity, hint string, tried map[string]bool) (*store.ActivityTask, error) {
	for _, m := range s.local.some(activity, 4) {
		tried[m] = true
		task, err := s.popPartition(ctx, activity, hint, m)
		if task != nil || err != nil {
			return task, err
		}
		s.local.drop(activity, m)
	}
	return nil, nil
}

// unhint removes an empty partition's hint and then looks at the queue
// again: a task queued in between (its SADD came before our SREM) is
// re-hinted, and reported so the caller pops it. The SREM must reach Redis
// before the LLEN: on standalone one pipeline on one connection keeps the
// order; on Cluster they may be on two shards, so they are sent one after
// the other.
func (s *Store) unhint(ctx context.Context, hint, member, queue string) (bool, error) {
	var n int64
	if s.cluster {
		if err := s.client.SRem(ctx, hint, member).Err(); err != nil {
			return false, err
		}
		var err error
		if n, err = s.client.LLen(ctx, queue).Result(); err != nil {
			return false, err
		}
	} else {
		pipe := s.client.Pipeline()
		pipe.SRem(ctx, hint, member)
		llen := pipe.LLen(ctx, queue)
		if _, err := pipe.Exec(ctx); err != nil {
			return false, err
		}
		n = llen.Val()
	}
	if n == 0 {
		return false, nil
	}
	return true, s.client.SAdd(ctx, hint, member).Err()
}

// scanActivity hints every partition whose queue of the activity is not
// empty (one pipeline of LLEN, then one SADD).
func (s *Store) scanActivity(ctx context.Context, activity, hint string) error {
	pipe := s.client.Pipeline()
	lens := make([]*goredis.IntCmd, s.partitions)
	for p := range lens {
		lens[p] = pipe.LLen(ctx, s.keys.activity(p, activity))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	var found []any
	for p, l := range lens {
		if l.Val() > 0 {
			found = append(found, strconv.Itoa(p))
		}
	}
	if len(found) == 0 {
		return nil
	}
	return s.client.SAdd(ctx, hint, found...).Err()
}

// scanDue reports whether this process last scanned the activity's
// partitions at least every ago (or never), and if so claims the scan.
func (s *Store) scanDue(activity string, every time.Duration) bool {
	v, ok := s.scans.Load(activity)
	if !ok {
		v, _ = s.scans.LoadOrStore(activity, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	now := time.Now().UnixNano()
	prev := last.Load()
	if prev != 0 && now-prev < int64(every) {
		return false
	}
	return last.CompareAndSwap(prev, now)
}
