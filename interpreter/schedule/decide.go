package schedule

import "time"

// Bounds of one pass over a schedule: a pass fires at most maxFiresPerPass
// slots (the next pass, at once, goes on) and counts at most
// maxMissedCount missed slots before jumping to the catch-up window.
const (
	maxFiresPerPass = 100
	maxMissedCount  = 10_000
	onTime          = time.Minute // EventBridge: a slot fires within its minute
	// A pass stops starting after passBudget (the rest follow at once in
	// another pass), and its starts are given up after passTimeout.
	passBudget  = 10 * time.Second
	passTimeout = 30 * time.Second
)

// dueSlots is what a pass finds due: the pure part of a pass, from the
// record, its plan and the time.
type dueSlots struct {
	fire    []Pending        // to fire, oldest first
	skipped map[string]int64 // by reason
	cursor  time.Time        // the last slot dealt with
	more    bool             // the pass stopped at its bound: another is due at once
	stuck   bool             // the plan gave a slot not after the cursor: the walk stopped
}

// due walks the slots after the record's cursor whose fire time has come.
// A slot fires on time within its minute and as a catch-up within the
// catch-up window; an older one is missed. While the schedule is paused or
// disabled its slots pass, counted.
func due(r *record, p Plan, now time.Time, catchup time.Duration) dueSlots {
	out := dueSlots{cursor: r.State.Cursor, skipped: map[string]int64{}}
	lateLimit := now.Add(-catchup)
	skipped := 0
	for {
		s, ok := p.Next(out.cursor)
		if !ok {
			break
		}
		if !s.After(out.cursor) {
			// Never expected; walking on would loop forever.
			out.stuck = true
			break
		}
		ft := r.fireTime(s)
		if ft.After(now) {
			break
		}
		reason := ""
		switch {
		case r.Spec.State == Disabled:
			reason = SkipDisabled
		case r.State.Paused:
			reason = SkipPaused
		case ft.Before(lateLimit):
			reason = SkipMissed
		default:
			kind := KindScheduled
			if now.Sub(ft) >= onTime {
				kind = KindCatchup
			}
			out.fire = append(out.fire, Pending{Slot: s, Kind: kind})
		}
		out.cursor = s
		if reason != "" {
			out.skipped[reason]++
			if skipped++; skipped >= maxMissedCount && ft.Before(lateLimit) {
				// Far behind: the rest before the catch-up window are
				// skipped too, uncounted; go on from the window's start
				// (less the longest jitter, which could bring a slot into it).
				if jump := lateLimit.Add(-time.Duration(r.window()) * time.Minute); jump.After(s) {
					out.cursor = jump
				}
			}
		}
		if len(out.fire) >= maxFiresPerPass {
			out.more = true
			break
		}
	}
	return out
}

// nextFire is when the schedule next needs a look: its next slot's fire
// time after the cursor; zero when no slot is left.
func nextFire(r *record, p Plan) time.Time {
	s, ok := p.Next(r.State.Cursor)
	if !ok {
		return time.Time{}
	}
	return r.fireTime(s)
}
