package awsmeta

import (
	"context"
	"sync"
	"time"
)

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
	meta *Meta
	ttl  time.Duration
	max  int
	now  func() time.Time

	mu sync.Mutex
	m  map[string]cachedMachine
}

type cachedMachine struct {
	mc    Machine
	until time.Time
}

// NewMachineCache returns a cache over meta keeping each document ttl and
// at most max of them (it starts over when full); now is its clock (nil:
// time.Now).
func NewMachineCache(meta *Meta, ttl time.Duration, max int, now func() time.Time) *MachineCache {
	if now == nil {
		now = time.Now
	}
	return &MachineCache{meta: meta, ttl: ttl, max: max, now: now, m: map[string]cachedMachine{}}
}

// Machine returns name's document as read at most ttl ago.
func (c *MachineCache) Machine(ctx context.Context, name string) (Machine, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.mc, nil
	}
	mc, err := c.meta.Machine(ctx, name)
	if err != nil || mc.rev == 0 { // an error, or no document: nothing to remember
		return mc, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = map[string]cachedMachine{}
	}
	c.m[name] = cachedMachine{mc: mc, until: now.Add(c.ttl)}
	c.mu.Unlock()
	return mc, nil
}
