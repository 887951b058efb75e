package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/sfn-project/sfn/store"
)

// Errors of the API's operations (besides SpecError, ErrNewerEncoding and
// the store's ErrNotFound).
var (
	ErrInvalidName = errors.New("invalid schedule name")
	ErrQueueFull   = errors.New("schedule queue full")
	ErrBadRange    = errors.New("invalid backfill range")
)

// View is a schedule as the API shows it.
type View struct {
	Name    string
	Spec    Spec
	Created time.Time
	Updated time.Time
	State   State
	// NextSlot and NextFire (the slot plus its jitter) are the next slot
	// after the cursor: in the past when the schedule is behind; zero when
	// no slot is left.
	NextSlot, NextFire time.Time
}

func (s *Scheduler) view(r *record) View {
	v := View{Name: r.Name, Spec: r.Spec, Created: r.Created, Updated: r.Updated, State: r.State}
	if p, err := r.plan(); err == nil {
		if slot, ok := p.Next(r.State.Cursor); ok {
			v.NextSlot, v.NextFire = slot, r.fireTime(slot)
		}
	}
	return v
}

func checkName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("schedule name %q: %w: names are 1-%d characters of [A-Za-z0-9_-] (the execution a slot starts is named <schedule>-<slot as 20060102T150405Z>, at most 80)",
			name, ErrInvalidName, MaxNameLength)
	}
	return nil
}

func notFound(name string) error {
	return fmt.Errorf("no schedule %s: %w", name, store.ErrNotFound)
}

// Put creates or replaces a schedule. A replaced schedule keeps its state
// (counters, pause, queue); its new expression applies from now on: slots
// before the change are not fired by it.
func (s *Scheduler) Put(ctx context.Context, name string, spec Spec) (View, bool, error) {
	if err := checkName(name); err != nil {
		return View{}, false, err
	}
	spec, err := normalize(spec, s.cfg.Limits)
	if err != nil {
		return View{}, false, err
	}
	if err := s.cfg.Starter.Check(ctx, spec.Target); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrTarget) {
			return View{}, false, &SpecError{Problems: []Problem{{Path: "/target", Message: err.Error()}}}
		}
		return View{}, false, err
	}
	for attempt := 0; attempt < 10; attempt++ {
		now := s.clock.Now()
		r, err := s.read(ctx, name)
		created := errors.Is(err, store.ErrNotFound)
		switch {
		case created:
			r = &record{Name: name, Created: now, Anchor: now.Truncate(time.Second),
				State: State{Cursor: now.Truncate(time.Second).Add(-time.Nanosecond)}}
		case err != nil:
			return View{}, false, err
		default:
			// The slots the runner has not reached (behind, or waiting for
			// their jitter) stay as they are unless the slots themselves
			// change, or the schedule was disabled: those slots are
			// dropped, counted.
			reanchor := r.Spec.Expression != spec.Expression || !sameTime(r.Spec.StartDate, spec.StartDate)
			switch {
			case reanchor || r.Spec.Timezone != spec.Timezone:
				r.dropTo(now, SkipReplaced)
			case r.Spec.State == Disabled && spec.State != Disabled:
				r.dropTo(now, SkipDisabled)
			}
			if reanchor {
				r.Anchor = now.Truncate(time.Second)
			}
		}
		r.Spec, r.Updated = spec, now
		if p, err := r.plan(); err == nil {
			if nf := nextFire(r, p); !nf.IsZero() {
				r.State.NextFire = &nf
			} else {
				r.State.NextFire = nil
			}
		}
		ok, err := s.write(ctx, r)
		if err != nil {
			return View{}, false, err
		}
		if ok {
			return s.view(r), created, nil
		}
	}
	return View{}, false, fmt.Errorf("schedule %s changes too often: %w", name, store.ErrConflict)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// Get returns a schedule.
func (s *Scheduler) Get(ctx context.Context, name string) (View, error) {
	if err := checkName(name); err != nil {
		return View{}, err
	}
	r, err := s.read(ctx, name)
	if err != nil {
		return View{}, err
	}
	return s.view(r), nil
}

// read is a schedule's stored record; notFound when there is none.
func (s *Scheduler) read(ctx context.Context, name string) (*record, error) {
	d, err := s.docs.GetDoc(ctx, docKind, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(name)
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(d)
}

// write stores a changed record by compare-and-set and tells every node;
// ok is false when another writer changed the schedule first: read it
// again and retry.
func (s *Scheduler) write(ctx context.Context, r *record) (ok bool, err error) {
	rev, err := s.docs.PutDoc(ctx, r.encode())
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.rev = rev
	s.changed(ctx)
	return true, nil
}

// List returns schedules by name, limit at a time after cursor (the last
// name of the previous page); next is "" on the last page. A schedule
// written by a newer release is left out.
func (s *Scheduler) List(ctx context.Context, cursor string, limit int) ([]View, string, error) {
	docs, next, err := s.docs.ListDocs(ctx, docKind, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]View, 0, len(docs))
	for _, d := range docs {
		r, err := decodeRecord(d)
		if err != nil {
			s.log.Warn("schedule refused", slog.String("schedule", d.Name), slog.Any("error", err))
			continue
		}
		out = append(out, s.view(r))
	}
	return out, next, nil
}

// Delete removes a schedule; the executions it started go on.
func (s *Scheduler) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if _, err := s.docs.GetDoc(ctx, docKind, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound(name)
		}
		return err
	}
	if err := s.docs.DeleteDoc(ctx, docKind, name); err != nil {
		return err
	}
	s.forget(name)
	s.changed(ctx)
	return nil
}

// Pause stops a schedule's slots (they are skipped and counted) until
// Resume; note says why. Triggers and backfills still fire.
func (s *Scheduler) Pause(ctx context.Context, name, note string) (View, error) {
	if n := utf8.RuneCountInString(note); n > MaxDescription {
		return View{}, &SpecError{Problems: []Problem{{Path: "/note", Message: fmt.Sprintf("the note has %d characters, more than %d", n, MaxDescription)}}}
	}
	return s.update(ctx, name, func(r *record, now time.Time) error {
		if !r.State.Paused {
			r.State.PausedAt = &now
		}
		r.State.Paused, r.State.Note = true, note
		return nil
	})
}

// Resume lifts a pause; the slots that passed meanwhile stay skipped.
func (s *Scheduler) Resume(ctx context.Context, name string) (View, error) {
	return s.update(ctx, name, func(r *record, now time.Time) error {
		if !r.State.Paused {
			return nil // nothing to lift: the slots due stay due
		}
		// The paused slots are skipped by the runner's next pass; a pass
		// that has not happened yet must not fire them now.
		r.dropTo(now, SkipPaused)
		r.State.Paused, r.State.Note, r.State.PausedAt = false, "", nil
		return nil
	})
}

// dropTo moves the cursor to the second before now, counting the slots it
// passes under reason (or paused or disabled, when the schedule was).
// Called with the record's spec before any change.
func (r *record) dropTo(now time.Time, reason string) {
	floor := now.Truncate(time.Second).Add(-time.Nanosecond)
	if !r.State.Cursor.Before(floor) {
		return
	}
	switch {
	case r.Spec.State == Disabled:
		reason = SkipDisabled
	case r.State.Paused:
		reason = SkipPaused
	}
	r.State.skip(reason, countSlots(r, r.State.Cursor, floor))
	r.State.Cursor = floor
}

// countSlots counts the slots in (from, to], up to maxMissedCount.
func countSlots(r *record, from, to time.Time) int64 {
	p, err := r.plan()
	if err != nil {
		return 0
	}
	n := int64(0)
	for at := from; n < maxMissedCount; n++ {
		next, ok := p.Next(at)
		if !ok || next.After(to) {
			break
		}
		at = next
	}
	return n
}

// Trigger fires the schedule now, once, outside its expression: the slot
// is the current second (a second trigger within it finds the same
// execution, named apart from the scheduled slots': ManualFormat). It
// returns the slot queued; the overlap policy may still skip or buffer it.
func (s *Scheduler) Trigger(ctx context.Context, name string) (Pending, View, error) {
	var slot Pending
	v, err := s.update(ctx, name, func(r *record, now time.Time) error {
		if len(r.State.Queue) >= MaxQueued {
			return fmt.Errorf("schedule %s has %d fires waiting: %w", name, len(r.State.Queue), ErrQueueFull)
		}
		slot = Pending{Slot: now.Truncate(time.Second), Kind: KindTrigger, Manual: true}
		r.State.Queue = append(r.State.Queue, slot)
		return nil
	})
	return slot, v, err
}

// Backfill fires the schedule's slots in [from, to] (its expression and
// time zone; start and end dates do not apply), oldest first, at most
// MaxBackfill; a slot that fired before finds its execution.
func (s *Scheduler) Backfill(ctx context.Context, name string, from, to time.Time) ([]Pending, View, error) {
	if !to.After(from) {
		return nil, View{}, fmt.Errorf("%w: to %s is not after from %s", ErrBadRange, to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	var slots []Pending
	v, err := s.update(ctx, name, func(r *record, now time.Time) error {
		if to.After(now) {
			return fmt.Errorf("%w: to %s is in the future (now %s): a backfill fires past slots", ErrBadRange, to.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		p, err := r.plan()
		if err != nil {
			return err
		}
		if !p.Start.IsZero() {
			p.Anchor = p.Start // a rate counts from its start date
		}
		p.Start, p.End = time.Time{}, time.Time{}
		slots = slots[:0]
		for at := from.Add(-time.Nanosecond); ; {
			next, ok := p.Next(at)
			if !ok || next.After(to) {
				break
			}
			if len(slots) == MaxBackfill {
				return fmt.Errorf("%w: more than %d slots from %s to %s: backfill a shorter range", ErrBadRange, MaxBackfill,
					from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
			}
			slots = append(slots, Pending{Slot: next, Kind: KindBackfill})
			at = next
		}
		if len(slots) == 0 {
			return fmt.Errorf("%w: the expression has no slot from %s to %s", ErrBadRange, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		}
		if len(r.State.Queue)+len(slots) > MaxQueued {
			return fmt.Errorf("schedule %s has %d fires waiting, %d more would exceed %d: %w", name, len(r.State.Queue), len(slots), MaxQueued, ErrQueueFull)
		}
		r.State.Queue = append(r.State.Queue, slots...)
		sort.SliceStable(r.State.Queue, func(i, j int) bool { return r.State.Queue[i].Slot.Before(r.State.Queue[j].Slot) })
		return nil
	})
	return slots, v, err
}

// update changes a stored schedule by compare-and-set.
func (s *Scheduler) update(ctx context.Context, name string, change func(r *record, now time.Time) error) (View, error) {
	if err := checkName(name); err != nil {
		return View{}, err
	}
	for attempt := 0; attempt < 10; attempt++ {
		r, err := s.read(ctx, name)
		if err != nil {
			return View{}, err
		}
		now := s.clock.Now()
		if err := change(r, now); err != nil {
			return View{}, err
		}
		r.Updated = now
		ok, err := s.write(ctx, r)
		if err != nil {
			return View{}, err
		}
		if ok {
			return s.view(r), nil
		}
	}
	return View{}, fmt.Errorf("schedule %s changes too often: %w", name, store.ErrConflict)
}

// changed raises the epoch, so that every node reads the schedules again,
// and wakes this node's runner.
func (s *Scheduler) changed(ctx context.Context) {
	for attempt := 0; attempt < 10; attempt++ {
		d, err := s.docs.GetDoc(ctx, epochKind, epochName)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("schedule epoch read failed", slog.Any("error", err))
			break
		}
		_, err = s.docs.PutDoc(ctx, store.Doc{Kind: epochKind, Name: epochName, Data: []byte("{}"), Rev: d.Rev})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			s.log.Warn("schedule epoch write failed", slog.Any("error", err))
		}
		break
	}
	s.notify()
}
