package interpreter

import (
	"maps"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// recordCache keeps, for executions this node is running, the record as
// its own last commit left it, so that the next step starts from it
// instead of reading it back from the store: on Redis that read (a round
// trip and the whole record) cost as much as the commit itself.
//
// A cached record is only a guess at the truth. Commits are checked
// against the record version in the store, so a stale guess (another node
// committed meanwhile: an API call it served, a takeover) fails with a
// conflict, and modify reads the store and applies the change again. A
// change that finds nothing to do on a cached record is checked against
// the store too (see modify), because an older record may refuse what the
// newer one accepts (a redriven execution looks ended in the old one).
//
// Records in the cache are never changed: modify decodes them into a new
// run and caches a new record after each commit. Finished executions are
// dropped; when the cache is full an arbitrary entry makes room.
//
// An entry is kept for ttl after it was put, shorter than the retention:
// an execution that ended on another node (so this one never dropped it)
// and expired frees its name, and a new execution under the same id starts
// again at record version 1. Its versions could then match an old entry's;
// an entry older than the retention cannot be of the execution that holds
// the id now. Entries are also told apart by start time (put).
type recordCache struct {
	mu    sync.Mutex
	m     map[string]cached
	max   int
	ttl   time.Duration
	clock Clock
}

type cached struct {
	rec *store.Execution
	at  time.Time // when it was put, on the engine's clock
	// threads are rec's threads decoded, by key, when the entry was put
	// by the commit that encoded them (nil after a store read). The next
	// step takes them (take), so that it does not parse its threads' JSON
	// again; a step mutates what it takes, so they are handed out once.
	threads map[string]*thread
}

// cacheTTL is how long an entry lives: a minute, or half the retention
// when that is shorter (retention < 0 keeps executions, and names, forever).
func cacheTTL(retention time.Duration) time.Duration {
	if retention > 0 && retention/2 < time.Minute {
		return retention / 2
	}
	return time.Minute
}

func newRecordCache(max int, ttl time.Duration, clock Clock) *recordCache {
	return &recordCache{m: make(map[string]cached), max: max, ttl: ttl, clock: clock}
}

// take returns the cached record and hands its decoded threads over to
// the caller (nil when there are none, or they were taken already).
func (c *recordCache) take(id string) (*store.Execution, map[string]*thread) {
	if c.max <= 0 {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok {
		return nil, nil
	}
	if c.clock.Now().Sub(e.at) > c.ttl {
		delete(c.m, id)
		return nil, nil
	}
	threads := e.threads
	if threads != nil {
		e.threads = nil
		c.m[id] = e
	}
	return e.rec, threads
}

func (c *recordCache) put(rec *store.Execution) { c.putDecoded(rec, nil) }

// putDecoded is put with rec's threads decoded (by thread key); the cache
// owns them from now on.
func (c *recordCache) putDecoded(rec *store.Execution, threads map[string]*thread) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rec.Status != store.StatusRunning {
		delete(c.m, rec.ID)
		return
	}
	old, ok := c.m[rec.ID]
	if ok && old.rec.StartedAt.Equal(rec.StartedAt) && old.rec.RecordVersion > rec.RecordVersion {
		return
	}
	if !ok && len(c.m) >= c.max {
		for k := range c.m { // Go's map order is random: a random victim
			delete(c.m, k)
			break
		}
	}
	c.m[rec.ID] = cached{rec: rec, at: c.clock.Now(), threads: threads}
}

func (c *recordCache) drop(id string) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// committed is the whole record a commit made: next (built by run.record,
// without threads) with prev's threads, the changed ones set and the
// removed ones deleted. prev is not changed.
func committed(prev, next *store.Execution, set map[string][]byte, del []string) *store.Execution {
	threads := make(map[string][]byte, len(prev.Threads)+len(set))
	maps.Copy(threads, prev.Threads)
	maps.Copy(threads, set)
	for _, k := range del {
		delete(threads, k)
	}
	full := *next
	full.Threads = threads
	return &full
}
