package awsmeta

import (
	"context"
	"sync"
	"time"
)

// Recent remembers values by key for a short while (its time to live),
// holding at most max of them: when full it starts over rather than grow,
// as the keys come from callers. Both APIs' start paths use it to skip a
// store read per start.
type Recent[V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]recent[V]
}

type recent[V any] struct {
	v     V
	until time.Time
}

// NewRecent returns an empty Recent; now is its clock (nil: time.Now).
func NewRecent[V any](ttl time.Duration, max int, now func() time.Time) *Recent[V] {
	if now == nil {
		now = time.Now
	}
	return &Recent[V]{ttl: ttl, max: max, now: now, m: map[string]recent[V]{}}
}

// Get returns the value put under key less than ttl ago.
func (c *Recent[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !c.now().Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Now is the cache's clock: take it before reading what Put will keep.
func (c *Recent[V]) Now() time.Time { return c.now() }

// Put remembers v under key until ttl after readAt, the time (Now) before
// v was read: what it says is then never older than ttl.
func (c *Recent[V]) Put(key string, v V, readAt time.Time) {
	until := readAt.Add(c.ttl)
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = map[string]recent[V]{}
	}
	c.m[key] = recent[V]{v: v, until: until}
	c.mu.Unlock()
}

// MachineCache remembers state machines' documents for a short while, for
// the hot path of a plain start: every start must know its machine's type
// (the engine runs STANDARD executions, the Express runner EXPRESS ones),
// and a read of the document per start cost a tenth of the starts per
// second on Redis. A type never changes while its machine lives; a machine
// deleted and made again under the same name with the other type is seen
// up to TTL late, as AWS documents for its own API ("eventually
// consistent"). A name with no document is not remembered: a start that
// found none (no such machine yet) must not make the machine created next,
// perhaps EXPRESS, look STANDARD. Starts through a version or an alias read
// the document afresh: they need its current versions and routes.
type MachineCache struct {
	meta   *Meta
	recent *Recent[Machine]
}

// NewMachineCache returns a cache over meta keeping each document ttl and
// at most max of them (it starts over when full); now is its clock (nil:
// time.Now).
func NewMachineCache(meta *Meta, ttl time.Duration, max int, now func() time.Time) *MachineCache {
	return &MachineCache{meta: meta, recent: NewRecent[Machine](ttl, max, now)}
}

// Machine returns name's document as read at most ttl ago.
func (c *MachineCache) Machine(ctx context.Context, name string) (Machine, error) {
	if mc, ok := c.recent.Get(name); ok {
		return mc, nil
	}
	readAt := c.recent.Now()
	mc, err := c.meta.Machine(ctx, name)
	if err != nil || mc.rev == 0 { // an error, or no document: nothing to remember
		return mc, err
	}
	c.recent.Put(name, mc, readAt)
	return mc, nil
}
