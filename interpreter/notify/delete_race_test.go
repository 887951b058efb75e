package notify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// A delivery still running after its endpoint was deleted writes neither
// its cursor nor dead letters: an endpoint created later under the name
// would inherit them (review 19b L6).
func TestDeletedEndpointGetsNothingWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memory.New()
	s := &Service{docs: st}
	// The batch's end: the cursor doc is gone with the endpoint.
	if _, err := updateDelivery(ctx, st, "gone", func(d *Delivery, exists bool) bool {
		if !exists || d.Cursor != "m1" {
			return false
		}
		d.Cursor = "m2"
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetDoc(ctx, kindCursor, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cursor doc of a deleted endpoint: %v, want none", err)
	}
	// Giving up on an event: no dead letter for an endpoint that is gone.
	it := item{cursor: "m1", at: time.Now(), id: "ev", last: true}
	err := s.putDeadLetter(ctx, "gone", &it, 3, time.Now(), time.Now(), errors.New("500"))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dead letter of a deleted endpoint: %v, want store.ErrNotFound", err)
	}
	if docs, _, err := st.ListDocs(ctx, kindDead, "", 10); err != nil || len(docs) != 0 {
		t.Errorf("dead letters kept: %d (%v), want none", len(docs), err)
	}
}
