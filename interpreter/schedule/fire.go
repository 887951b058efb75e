package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfn-project/sfn/store"
)

// errStopPass ends a pass where it is, as a node that dies there would:
// nothing more is done or written. A test hook returns it, and a pass
// whose node no longer owns the schedule.
var errStopPass = errors.New("pass stopped")

// effects are what a pass did, applied to the metrics once its state is
// written (a pass redone after a conflict must not count twice).
type effects struct {
	fires   map[string]int
	skips   map[string]int64
	lags    []float64
	retry   bool // a start failed for now: look again after a poll
	stopped bool // a hook stopped the pass
}

// pass looks at one owned schedule: fires its due slots, its queue and its
// buffered slots as its overlap policy says, and writes its state by
// compare-and-set with the partition's fence. A conflict (an API change,
// another node) reads it again and redoes the pass: the starts it made are
// found by name.
func (s *Scheduler) pass(ctx context.Context, name string) {
	for attempt := 0; attempt < 8 && ctx.Err() == nil; attempt++ {
		own, fence := s.eng.Owns(ownerKey(name))
		if !own {
			return // sync drops it
		}
		d, err := s.docs.GetDoc(ctx, docKind, name)
		if errors.Is(err, store.ErrNotFound) {
			s.forget(name)
			return
		}
		if err != nil {
			s.log.Warn("schedule read failed", slog.String("schedule", name), slog.Any("error", err))
			s.retryLater(name)
			return
		}
		r, err := decodeRecord(d)
		if err != nil {
			s.log.Warn("schedule refused", slog.String("schedule", name), slog.Any("error", err))
			s.forget(name)
			return
		}
		if fence != 0 && r.Fence > fence {
			// A newer holder of the partition wrote it: this node's lease
			// is gone, whatever it still believes.
			return
		}
		now := s.clock.Now()
		fireCtx, cancel := context.WithTimeout(ctx, passTimeout)
		fx := s.advance(fireCtx, r, now)
		cancel()
		if fx.stopped {
			return
		}
		if fence > r.Fence {
			r.Fence = fence
		}
		nd := r.encode()
		if bytes.Equal(nd.Data, d.Data) {
			// Nothing changed (a buffered slot still waiting): no write.
			s.learn(r)
			if fx.retry {
				s.retryLater(name)
			}
			return
		}
		rev, err := s.docs.PutDoc(ctx, nd)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			// Perhaps written: the next pass reads what is stored.
			s.log.Warn("schedule write failed", slog.String("schedule", name), slog.Any("error", err))
			s.retryLater(name)
			return
		}
		r.rev = rev
		s.metrics.apply(fx)
		s.learn(r)
		if s.written != nil {
			n := 0
			for _, c := range fx.fires {
				n += c
			}
			s.written(name, n)
		}
		if fx.retry {
			s.retryLater(name)
		}
		return
	}
	s.retryLater(name)
}

func (s *Scheduler) retryLater(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.known[name]; e != nil && e.owned {
		s.schedule(e, s.clock.Now().Add(s.cfg.Poll))
	}
}

// advance changes r for a pass at now, starting what is due.
func (s *Scheduler) advance(ctx context.Context, r *record, now time.Time) effects {
	fx := effects{fires: map[string]int{}, skips: map[string]int64{}}
	st := &r.State
	fail := func(err error) {
		st.LastError = err.Error()
		t := now
		st.ErrorAt = &t
	}
	p, err := r.plan()
	if err != nil {
		fail(fmt.Errorf("the schedule's plan: %w", err))
		st.NextFire = nil
		return fx
	}
	ds := due(r, p, now, time.Duration(r.Spec.CatchupWindowSeconds)*time.Second)
	st.Cursor = ds.cursor
	if ds.stuck {
		fail(fmt.Errorf("the schedule's plan gave a slot not after %s: its slots stopped", ds.cursor.UTC().Format(time.RFC3339)))
	}
	for reason, n := range ds.skipped {
		st.skip(reason, n)
		fx.skips[reason] += n
	}
	held := st.Paused || r.Spec.State == Disabled
	lateLimit := now.Add(-time.Duration(r.Spec.CatchupWindowSeconds) * time.Second)
	var cands []Pending
	if !held {
		cands = append(cands, st.Buffered...)
		st.Buffered = nil
	}
	for _, q := range st.Queue {
		// A scheduled slot queued by an older release keeps to the
		// catch-up window, as due() does.
		if (q.Kind == KindScheduled || q.Kind == KindCatchup) && r.fireTime(q.Slot).Before(lateLimit) {
			st.skip(SkipMissed, 1)
			fx.skips[SkipMissed]++
			continue
		}
		cands = append(cands, q)
	}
	st.Queue = nil
	cands = append(cands, ds.fire...)
	// A pass starts at most maxFiresPerPass, whatever their kind; the
	// rest wait for the next pass, at once.
	var rest []Pending
	if len(cands) > maxFiresPerPass {
		cands, rest = cands[:maxFiresPerPass], cands[maxFiresPerPass:]
		ds.more = true
	}

	o := overlap{s: s, r: r}
	began := time.Now() // real time: how long the starts take, whatever the clock says
	for i, c := range cands {
		if i > 0 && time.Since(began) > passBudget {
			// Slow starts: the rest wait for the next pass, at once, so that
			// one schedule does not hold its worker (and ownership checks) long.
			rest = append(append([]Pending(nil), cands[i:]...), rest...)
			ds.more = true
			break
		}
		err := s.fireOne(ctx, r, &o, c, now, &fx)
		if errors.Is(err, errStopPass) {
			fx.stopped = true
			return fx
		}
		if err != nil { // not now: the rest wait for the next pass
			fail(err)
			rest = append(append([]Pending(nil), cands[i:]...), rest...)
			fx.retry = true
			ds.more = false
			break
		}
	}
	s.putBack(r, rest, &fx)
	if nf := nextFire(r, p); !nf.IsZero() {
		st.NextFire = &nf
	} else {
		st.NextFire = nil
	}
	if ds.more {
		st.NextFire = &now
	}
	return fx
}

// putBack keeps the candidates a pass did not get to: buffered slots wait
// in Buffered (before those this pass buffered: they are older),
// triggered and backfilled ones in the Queue (at most MaxQueued, the
// others counted failed), and scheduled slots are not kept at all: the
// cursor goes back to just before the first of them, so that the next
// pass finds them again under the catch-up window.
func (s *Scheduler) putBack(r *record, rest []Pending, fx *effects) {
	st := &r.State
	var buffered []Pending
	for _, c := range rest {
		switch c.Kind {
		case KindBuffered:
			buffered = append(buffered, c)
		case KindScheduled, KindCatchup:
			if before := c.Slot.Add(-time.Nanosecond); before.Before(st.Cursor) {
				st.Cursor = before
			}
		default:
			if len(st.Queue) >= MaxQueued {
				st.skip(SkipFailed, 1)
				fx.skips[SkipFailed]++
				continue
			}
			st.Queue = append(st.Queue, c)
		}
	}
	if len(buffered) > 0 {
		st.Buffered = append(buffered, st.Buffered...)
	}
}

// overlap answers, once per pass, whether the execution the schedule last
// started still runs, and keeps the answer up to date as the pass starts
// and stops executions.
type overlap struct {
	s       *Scheduler
	r       *record
	known   bool
	running bool
}

func (o *overlap) isRunning(ctx context.Context) (bool, error) {
	if o.known {
		return o.running, nil
	}
	id := o.r.State.Latest
	if id == "" {
		o.known = true
		return false, nil
	}
	ex, err := o.s.eng.GetExecution(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		o.running = false
	case err != nil:
		return false, err
	default:
		o.running = ex.Status == store.StatusRunning
	}
	o.known = true
	return o.running, nil
}

// fireOne deals with one candidate slot. An error means "not now": the
// candidate and the ones after it wait for the next pass.
func (s *Scheduler) fireOne(ctx context.Context, r *record, o *overlap, c Pending, now time.Time, fx *effects) error {
	// The partition may have moved during the pass: ask again right before
	// each start (and stop), and leave the rest to the new holder.
	if own, fence := s.eng.Owns(ownerKey(r.Name)); !own || (fence != 0 && fence < r.Fence) {
		return errStopPass
	}
	st := &r.State
	policy := r.Spec.OverlapPolicy
	stopped := ""
	if policy != AllowAll && policy != "" {
		running, err := o.isRunning(ctx)
		if err != nil {
			return err
		}
		if running {
			switch policy {
			case Skip:
				st.skip(SkipOverlap, 1)
				fx.skips[SkipOverlap]++
				return nil
			case BufferOne, BufferAll:
				if (policy == BufferOne && len(st.Buffered) > 0) || len(st.Buffered) >= MaxBuffered {
					st.skip(SkipOverlap, 1)
					fx.skips[SkipOverlap]++
					return nil
				}
				st.Buffered = append(st.Buffered, Pending{Slot: c.Slot, Kind: KindBuffered, Manual: c.Manual})
				return nil
			case CancelOther, TerminateOther:
				errName := "Schedule.Cancelled"
				if policy == TerminateOther {
					errName = "Schedule.Terminated"
				}
				cause := fmt.Sprintf("schedule %s: slot %s replaced it (overlap policy %s)", r.Name, c.Slot.UTC().Format(time.RFC3339), policy)
				if _, err := s.eng.StopExecution(ctx, st.Latest, errName, cause); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				stopped = st.Latest
				o.running = false
			}
		}
	}
	f := Fire{Schedule: r.Name, Target: r.Spec.Target, Input: r.Spec.Input, Name: c.ExecutionName(r.Name), Slot: c.Slot}
	if s.beforeStart != nil {
		if err := s.beforeStart(f); err != nil {
			return err
		}
	}
	ex, existing, err := s.cfg.Starter.Start(ctx, f)
	id, status := "", ""
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		// Started for this slot before, with another input or version (the
		// spec changed in between): the slot has fired.
		id, existing, status = f.Target.StateMachine+":"+f.Name, true, ""
	case err != nil && permanent(err):
		st.skip(SkipFailed, 1)
		fx.skips[SkipFailed]++
		st.LastError = fmt.Sprintf("slot %s: %v", c.Slot.UTC().Format(time.RFC3339), err)
		t := now
		st.ErrorAt = &t
		return nil
	case err != nil:
		return fmt.Errorf("slot %s: %w", c.Slot.UTC().Format(time.RFC3339), err)
	default:
		id, status = ex.ID, ex.Status
	}
	if s.afterStart != nil {
		if err := s.afterStart(f); err != nil {
			return err
		}
	}
	st.Counts.Fired++
	st.Latest = id
	// An execution found by name with another input: ask again whether it runs.
	o.known, o.running = status != "", status == store.StatusRunning
	at := s.clock.Now()
	st.remember(Started{Slot: c.Slot, Kind: c.Kind, ExecutionID: id, At: at, Node: s.cfg.Node, Existing: existing, Stopped: stopped})
	fx.fires[c.Kind]++
	if !existing && (c.Kind == KindScheduled || c.Kind == KindCatchup) {
		fx.lags = append(fx.lags, at.Sub(r.fireTime(c.Slot)).Seconds())
	}
	return nil
}
