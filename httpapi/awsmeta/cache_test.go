package awsmeta_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store/memory"
)

// The cache answers from memory within its time to live and reads the
// document again after it.
func TestMachineCache(t *testing.T) {
	ctx := context.Background()
	m := awsmeta.New(memory.New())
	set := func(typ string) {
		t.Helper()
		if _, err := m.UpdateMachine(ctx, "orders", func(mc *awsmeta.Machine) error { mc.Type = typ; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set(awsmeta.Express)
	ttl := 50 * time.Millisecond
	c := awsmeta.NewMachineCache(m, ttl, 10)
	read := func() string {
		t.Helper()
		mc, err := c.Machine(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		return mc.Type
	}
	start := time.Now()
	if got := read(); got != awsmeta.Express {
		t.Fatalf("type %s", got)
	}
	set(awsmeta.Standard)
	if got := read(); got != awsmeta.Express && time.Since(start) < ttl {
		t.Fatalf("within the time to live the cache read the store again: %s", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for read() != awsmeta.Standard {
		if time.Now().After(deadline) {
			t.Fatal("the cache never read the changed document")
		}
		time.Sleep(ttl / 2) // the cache's own clock: waiting out its time to live is the point
	}
}
