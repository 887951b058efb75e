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
// atomically with the commit that schedules them. Most polls hold a task
// this process queued (localQueue), which the commit recording its start
// claims. The others pop from the shared queues: so that a poll does not
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
	// Three polls in four hold the oldest task this process queued (no
	// round trip: the caller's commit claims it); the fourth goes to the
	// shared hint set, so that tasks queued by other nodes are served even
	// while the local queue never runs dry.
	if rand.IntN(4) != 0 {
		if task := s.local.pop(activity); task != nil {
			return task, nil
		}
	}
	tried := map[string]bool{}
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
			s.local.take(activity, raw)
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

// localMax bounds the tasks localQueue remembers per activity: enough
// for the workers of one node to never wait on the hint set, small enough
// to cost little memory when the workers poll another node.
const localMax = 1024

// localQueue keeps, per activity, the tasks this process queued, oldest
// first, as their exact queue elements, so that a poll can hold one
// without a round trip. The queues in Redis stay the truth: the commit
// that records the hand-out takes the element out (CommitParams.Claim) and
// learns when a poller elsewhere took it first. A task this process pops
// from a shared queue is forgotten here (take), so that a poll does not
// hold it again. A task left out when the activity's entry is full is
// still found through the hint set.
type localQueue struct {
	mu sync.Mutex
	m  map[string]*localTasks
}

type localTasks struct {
	order []string            // queue elements, oldest first; some may be forgotten
	live  map[string]struct{} // the elements not forgotten
}

func (l *localQueue) add(activity, elem string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*localTasks{}
	}
	q := l.m[activity]
	if q == nil {
		q = &localTasks{live: map[string]struct{}{}}
		l.m[activity] = q
	}
	if len(q.order) < localMax {
		q.order = append(q.order, elem)
		q.live[elem] = struct{}{}
	}
}

// take forgets a task popped from a shared queue.
func (l *localQueue) take(activity, elem string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.m[activity]; q != nil {
		delete(q.live, elem)
	}
}

// pop returns the oldest task it remembers of the activity, held (its
// element stays in Redis until a claim), or nil.
func (l *localQueue) pop(activity string) *store.ActivityTask {
	for {
		elem, ok := l.next(activity)
		if !ok {
			return nil
		}
		if _, task, err := decodeQueued(elem); err == nil { // this process encoded it
			task.Held = elem
			return task
		}
	}
}

func (l *localQueue) next(activity string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.m[activity]
	for q != nil && len(q.order) > 0 {
		elem := q.order[0]
		q.order[0] = ""
		q.order = q.order[1:]
		if _, ok := q.live[elem]; ok {
			delete(q.live, elem)
			return elem, true
		}
	}
	delete(l.m, activity)
	return "", false
}

// DropActivity implements store.Store: it removes a held task from its
// queue (LREM of its exact element: one caller removes it).
func (s *Store) DropActivity(ctx context.Context, task *store.ActivityTask) (bool, error) {
	if task == nil || task.Held == "" {
		return false, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	queue := s.keys.activity(s.partitionOf(task.ExecutionID), task.Activity)
	n, err := s.client.LRem(ctx, queue, 1, task.Held).Result()
	if err != nil {
		return false, fmt.Errorf("redis store: drop activity task of %s: %w", task.ExecutionID, err)
	}
	return n == 1, nil
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
