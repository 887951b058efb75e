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
// Order: roughly oldest first, not strictly. Held tasks come oldest first
// among this process's own, and are claimed only while among the first of
// their queue (a task further back misses and is left to the shared
// polls); a shared poll pops the head of a random hinted partition, which
// spreads concurrent pollers over the queues instead of racing them for
// one head, and is roughly fair (every hinted partition is equally likely
// first). Concurrent tasks of one execution (Parallel branches, Map
// iterations) may be handed out in any order; a sequence of tasks of one
// execution is queued one at a time anyway. No task waits for ever: each
// partition's head is popped by the shared polls.
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
	// Most polls (holdFirst) hold the oldest task this process queued (no
	// round trip: the caller's commit claims it); the others go to the
	// shared hint set, so that tasks queued by other nodes are served even
	// while the local queue never runs dry.
	if s.holdFirst() {
		if task := s.local.pop(activity, time.Now()); task != nil {
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
			s.noteShared(!s.local.take(activity, raw))
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

// The limits of localQueue: what it keeps is a shortcut, so it keeps
// little. Per activity at most localMax tasks, none larger than
// localElemMax, none older than localAge (a task not polled here by then
// was most likely taken elsewhere, or waits behind a backlog); after a
// claim misses a task behind a backlog, the activity's list is emptied
// and not used for localPause.
const (
	// claimWindow is how far into a queue a claim (commit.lua) and a drop
	// (drop.lua) look for a held task; the scripts spell it out.
	claimWindow  = 64
	localMax     = 1024
	localElemMax = 8 << 10
	localAge     = 30 * time.Second
	localSweep   = 5 * time.Second
	localPause   = time.Second
)

// localQueue keeps, per activity, the tasks this process queued, oldest
// first, as their exact queue elements, so that a poll can hold one
// without a round trip. The queues in Redis stay the truth: the commit
// that records the hand-out takes the element out (CommitParams.Claim)
// when it is still among the first of its queue, and otherwise misses
// (ErrTaskTaken). A task a poller elsewhere took is one stale entry; a
// task behind a backlog means the list is out of step with Redis, so the
// list is emptied and the activity's polls go to the shared queues for a
// while. A task this process pops from a shared queue is forgotten
// here (take), so that a poll does not hold it again.
type localQueue struct {
	mu        sync.Mutex
	m         map[string]*localTasks
	lastSweep time.Time
}

type localTasks struct {
	order  []localTask         // oldest first; forgotten ones are skipped
	live   map[string]struct{} // the elements not forgotten
	paused time.Time           // no holding before this time
}

type localTask struct {
	elem string
	at   time.Time
}

func (l *localQueue) add(activity, elem string, now time.Time) {
	if len(elem) > localElemMax {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= localSweep {
		l.sweepLocked(now)
	}
	if l.m == nil {
		l.m = map[string]*localTasks{}
	}
	q := l.m[activity]
	if q == nil {
		q = &localTasks{live: map[string]struct{}{}}
		l.m[activity] = q
	}
	if now.Before(q.paused) || len(q.live) >= localMax {
		return
	}
	if len(q.order) >= 2*localMax { // mostly forgotten entries: compact
		kept := q.order[:0]
		for _, t := range q.order {
			if _, ok := q.live[t.elem]; ok {
				kept = append(kept, t)
			}
		}
		clear(q.order[len(kept):])
		q.order = kept
	}
	q.order = append(q.order, localTask{elem, now})
	q.live[elem] = struct{}{}
}

// sweepLocked drops the entries older than localAge, and the activities
// left with none.
func (l *localQueue) sweepLocked(now time.Time) {
	l.lastSweep = now
	for activity, q := range l.m {
		n := 0
		for n < len(q.order) && now.Sub(q.order[n].at) > localAge {
			delete(q.live, q.order[n].elem)
			n++
		}
		clear(q.order[:n])
		q.order = q.order[n:]
		if len(q.live) == 0 && !now.Before(q.paused) {
			delete(l.m, activity)
		}
	}
}

// take forgets a task popped from a shared queue, and reports whether it
// was remembered.
func (l *localQueue) take(activity, elem string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.m[activity]; q != nil {
		if _, ok := q.live[elem]; ok {
			delete(q.live, elem)
			return true
		}
	}
	return false
}

// foreignOne is 1 in the fixed point of Store.foreign.
const foreignOne = 1 << 16

// holdFirst decides whether a poll first holds a task this process queued.
// Adaptive (Options.LocalPolls 0): a poll goes to the shared queues with
// the probability that a task found there was not queued here (a moving
// average over the shared pops), but at least one poll in sixteen, so
// that tasks of other nodes, or ones this process no longer remembers,
// are always served and keep the average honest.
func (s *Store) holdFirst() bool {
	switch {
	case s.localPolls >= 1:
		return true
	case s.localPolls < 0:
		return false
	case s.localPolls > 0:
		return rand.Float64() < s.localPolls
	}
	shared := max(s.foreign.Load(), foreignOne/16)
	return rand.Int64N(foreignOne) >= shared
}

// noteShared adds one task popped from a shared queue to the average of
// holdFirst: foreign when this process did not remember it.
func (s *Store) noteShared(foreign bool) {
	x := int64(0)
	if foreign {
		x = foreignOne
	}
	for {
		f := s.foreign.Load()
		if s.foreign.CompareAndSwap(f, f+(x-f)/16) {
			return
		}
	}
}

// miss empties the activity's list after a claim missed, and pauses it.
func (l *localQueue) miss(activity string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.m[activity]; q != nil {
		clear(q.order)
		q.order, q.live, q.paused = nil, map[string]struct{}{}, now.Add(localPause)
	}
}

// pop returns the oldest task it remembers of the activity, held (its
// element stays in Redis until a claim), or nil.
func (l *localQueue) pop(activity string, now time.Time) *store.ActivityTask {
	for {
		elem, ok := l.next(activity, now)
		if !ok {
			return nil
		}
		if _, task, err := decodeQueued(elem); err == nil { // this process encoded it
			task.Held = elem
			return task
		}
	}
}

func (l *localQueue) next(activity string, now time.Time) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.m[activity]
	if q == nil || now.Before(q.paused) {
		return "", false
	}
	for len(q.order) > 0 {
		t := q.order[0]
		q.order[0] = localTask{}
		q.order = q.order[1:]
		if _, ok := q.live[t.elem]; ok {
			delete(q.live, t.elem)
			if now.Sub(t.at) <= localAge {
				return t.elem, true
			}
		}
	}
	return "", false
}

// DropActivity implements store.Store: it removes a held task from its
// queue when it is among the first of it (drop.lua).
func (s *Store) DropActivity(ctx context.Context, task *store.ActivityTask) (bool, error) {
	if task == nil || task.Held == "" {
		return false, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	queue := s.keys.activity(s.partitionOf(task.ExecutionID), task.Activity)
	n, err := dropScript.Run(ctx, s.client, []string{queue}, task.Held).Int()
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
