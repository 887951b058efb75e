package schedule

import (
	"fmt"
	"hash/fnv"
	"time"
)

// Plan is when a schedule fires: its expression in its time zone, between
// its start and end dates. Slots are whole seconds.
type Plan struct {
	Expr *Expression
	Loc  *time.Location
	// Start (inclusive) and End (exclusive) bound the slots; zero: none.
	Start, End time.Time
	// Anchor is a rate's first slot when Start is zero (the schedule's
	// creation): a rate counts from its start date, or from its creation.
	Anchor time.Time
}

// Next is the first slot strictly after `after`; ok is false when the
// schedule fires no more.
func (p Plan) Next(after time.Time) (time.Time, bool) {
	if !p.Start.IsZero() && after.Before(p.Start) {
		after = p.Start.Add(-time.Nanosecond)
	}
	var t time.Time
	switch p.Expr.Kind {
	case KindAt:
		at, ok := p.Expr.at.resolve(p.Loc)
		if !ok || !at.After(after) {
			return time.Time{}, false
		}
		t = at
	case KindRate:
		anchor := p.Anchor
		if !p.Start.IsZero() {
			anchor = p.Start
		}
		// Slots are anchor + k*rate for every integer k (a backfill may
		// ask for slots before the anchor). In whole seconds of int64: a
		// Duration saturates at about 292 years. Slots are whole seconds,
		// so a slot is after `after` when it is after its whole second.
		a, r := anchor.Unix(), int64(p.Expr.rate/time.Second)
		if r <= 0 {
			return time.Time{}, false
		}
		d := after.Unix() - a
		k := d / r
		if d < 0 && d%r != 0 {
			k-- // floor
		}
		t = time.Unix(a+(k+1)*r, 0).In(anchor.Location())
	case KindCron:
		from := civilOf(after.In(p.Loc).Truncate(time.Minute).Add(time.Minute))
		// Truncate works on absolute time: in a zone with a 30-minute
		// offset the wall minute is still whole (offsets are whole minutes).
		var ok bool
		if t, ok = p.Expr.cron.next(from, after, p.Loc); !ok {
			return time.Time{}, false
		}
	}
	if !p.End.IsZero() && !t.Before(p.End) {
		return time.Time{}, false
	}
	return t, true
}

// Jitter is the delay within a flexible time window of window minutes at
// which a slot fires: derived from the schedule's name and the slot, so
// every node computes the same fire time.
func Jitter(name string, slot time.Time, window int) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", name, slot.Unix())
	return time.Duration(h.Sum64()%uint64(window*60)) * time.Second
}

// SlotFormat is the slot's form in execution names: UTC, to the second.
const SlotFormat = "20060102T150405Z"

// ManualFormat is a trigger's slot in its execution's name: M instead of
// Z, so that a trigger never takes the name of a scheduled slot of the
// same second.
const ManualFormat = "20060102T150405M"

// ExecutionName is the name of the execution a schedule starts for a
// slot: at most 63 + 1 + 16 = 80 characters.
func ExecutionName(schedule string, slot time.Time) string {
	return schedule + "-" + slot.UTC().Format(SlotFormat)
}
