package awsmeta_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store/memory"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMachineCache(t *testing.T) {
	ctx := context.Background()
	m := awsmeta.New(memory.New())
	set := func(name, typ string) {
		t.Helper()
		if _, err := m.UpdateMachine(ctx, name, func(mc *awsmeta.Machine) error { mc.Type = typ; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	clock := &testClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	const ttl = 250 * time.Millisecond
	c := awsmeta.NewMachineCache(m, ttl, 2, clock.now)
	read := func(name string) string {
		t.Helper()
		mc, err := c.Machine(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return mc.Type
	}

	// Within its time to live the cache answers from memory; after it, it
	// reads the document again.
	set("orders", awsmeta.Express)
	if got := read("orders"); got != awsmeta.Express {
		t.Fatalf("type %s", got)
	}
	set("orders", awsmeta.Standard)
	clock.add(ttl - time.Millisecond)
	if got := read("orders"); got != awsmeta.Express {
		t.Fatalf("within the time to live: %s, want the remembered EXPRESS", got)
	}
	clock.add(2 * time.Millisecond)
	if got := read("orders"); got != awsmeta.Standard {
		t.Fatalf("after the time to live: %s, want the document's STANDARD", got)
	}

	// A name without a document is not remembered: the machine created
	// next under it is seen as it is at once.
	if got := read("fresh"); got != awsmeta.Standard {
		t.Fatalf("no document: %s, want the default STANDARD", got)
	}
	set("fresh", awsmeta.Express)
	if got := read("fresh"); got != awsmeta.Express {
		t.Fatalf("a machine created after a read of its absent name: %s, want EXPRESS at once", got)
	}

	// Full (max 2), the cache starts over rather than grow.
	set("third", awsmeta.Express)
	read("third")
	set("orders", awsmeta.Express) // orders was dropped with the rest: read again
	if got := read("orders"); got != awsmeta.Express {
		t.Fatalf("after the cache started over: %s, want the document's EXPRESS", got)
	}
}
