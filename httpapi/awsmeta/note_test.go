package awsmeta_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store/memory"
)

// A note belongs to one start: a retried start writes it once, and a later
// execution under the same name (after the janitor removed the first) does
// not show the first one's note, and gets its own.
func TestExecutionNoteBelongsToItsStart(t *testing.T) {
	ctx := context.Background()
	m := awsmeta.New(memory.New())
	first := time.Date(2026, 12, 7, 10, 0, 0, 123_456_789, time.UTC)
	live := awsmeta.ExecutionNote{Version: 2, Alias: "live"}
	for range 2 { // the second: a retried start
		if err := m.NoteExecution(ctx, "orders:o-1", first, live); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := m.ExecutionNote(ctx, "orders:o-1", first); err != nil || n != live {
		t.Fatalf("note = %+v, %v; want %+v", n, err, live)
	}
	later := first.Add(8 * 24 * time.Hour)
	if n, err := m.ExecutionNote(ctx, "orders:o-1", later); err != nil || n != (awsmeta.ExecutionNote{}) {
		t.Fatalf("a later execution under the name shows %+v, %v; want no note", n, err)
	}
	v3 := awsmeta.ExecutionNote{Version: 3}
	if err := m.NoteExecution(ctx, "orders:o-1", later, v3); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.ExecutionNote(ctx, "orders:o-1", later); n != v3 {
		t.Fatalf("the later execution's note = %+v, want %+v", n, v3)
	}
	if n, _ := m.ExecutionNote(ctx, "orders:o-1", first); n != (awsmeta.ExecutionNote{}) {
		t.Fatalf("the first execution's note is still shown: %+v", n)
	}
}
