package schedule

import (
	"testing"
	"time"
)

// TestDueFarBehind: a schedule a year behind skips what is older than its
// catch-up window in bounded work, fires what is within it, and counts
// the skipped slots up to the bound.
func TestDueFarBehind(t *testing.T) {
	t.Parallel()
	for _, paused := range []bool{false, true} {
		r := &record{Name: "x", Spec: Spec{Expression: "rate(1 minute)", Timezone: "UTC", CatchupWindowSeconds: 300},
			Anchor: at("2024-01-01T00:00:00Z"), State: State{Cursor: at("2024-01-01T00:00:00Z"), Paused: paused}}
		p, err := r.plan()
		if err != nil {
			t.Fatal(err)
		}
		now := at("2025-01-01T00:00:30Z")
		start := time.Now()
		d := due(r, p, now, 300*time.Second)
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("paused %v: took %s", paused, el)
		}
		reason, fires := SkipMissed, 5
		if paused {
			reason, fires = SkipPaused, 0
		}
		if d.skipped[reason] < maxMissedCount || len(d.fire) != fires || !d.cursor.Equal(at("2025-01-01T00:00:00Z")) {
			t.Errorf("paused %v: skipped %v, %d fires, cursor %s", paused, d.skipped, len(d.fire), d.cursor)
		}
	}
}
