package interpreter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/store"
)

// DefaultRetention is how long finished executions are kept when
// Config.Retention is zero: 7 days (AWS keeps 90, Temporal's default is
// 3).
const DefaultRetention = 7 * 24 * time.Hour

// janitorInterval is how often the janitor looks for expired executions;
// janitorBatch and janitorMaxPerRun bound one look, so that a large backlog
// (after retention was shortened) is worked off over several minutes
// instead of in one long burst against the store.
const (
	janitorInterval  = time.Minute
	janitorBatch     = 500
	janitorMaxPerRun = 20 * janitorBatch
)

// startJanitor runs the retention janitor in the background until the
// engine stops. It does nothing on a store without retention
// (store.Expirer) or with a negative Config.Retention (keep forever).
func (e *Engine) startJanitor() {
	x := store.AsExpirer(e.store)
	if x == nil || e.cfg.Retention < 0 {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.runJanitor(e.ctx, x)
	}()
}

// runJanitor removes finished executions older than the retention period,
// once a minute, on the maintainer node only: the sweep is cluster-wide,
// and one node doing it keeps nodes from racing over the same batches
// (which would be safe, only wasted work).
func (e *Engine) runJanitor(ctx context.Context, x store.Expirer) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.cfg.Clock.After(janitorInterval):
		}
		if e.Maintainer() {
			e.sweep(ctx, x)
		}
	}
}

// sweep is one janitor run; it returns how many executions it removed.
func (e *Engine) sweep(ctx context.Context, x store.Expirer) int {
	before := e.cfg.Clock.Now().Add(-e.cfg.Retention)
	total := 0
	for total < janitorMaxPerRun && ctx.Err() == nil {
		n, err := x.Expire(ctx, before, janitorBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("retention janitor failed", slog.Any("error", err), slog.Int("removed", total))
			}
			return total
		}
		if n < janitorBatch {
			break
		}
	}
	if total > 0 {
		e.log.Info("expired executions removed", slog.Int("count", total), slog.Time("ended_before", before))
	}
	if n := e.sweepMapRuns(ctx, before); n > 0 {
		e.log.Info("expired Map Run records removed", slog.Int("count", n), slog.Time("ended_before", before))
	}
	return total
}

// sweepMapRuns removes the records of Map Runs that ended before before,
// with their item chunks (kept for a redrive of a run that did not
// succeed), and those of runs whose parent is gone: they expire with
// their executions. It looks at janitorBatch records a run, going on
// from where the last run stopped, so that many records are worked
// through over several minutes.
func (e *Engine) sweepMapRuns(ctx context.Context, before time.Time) int {
	docs, next, err := e.store.ListDocs(ctx, mapRunDocKind, e.runSweep, janitorBatch)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("Map Run janitor failed", slog.Any("error", err))
		}
		return 0
	}
	e.runSweep = next
	removed := 0
	for _, d := range docs {
		var m MapRun
		if json.Unmarshal(d.Data, &m) != nil {
			continue
		}
		expired := m.Status != MapRunRunning && !m.StopDate.IsZero() && m.StopDate.Before(before)
		if !expired {
			if _, err := e.store.GetExecution(ctx, m.ExecutionID); !errors.Is(err, store.ErrNotFound) {
				continue
			}
			// Its parent expired, or never was stored: nothing runs it.
		}
		for c := 0; c*chunkSize < m.Total; c++ {
			if err := e.store.DeleteDoc(ctx, mapItemsDocKind, m.ID+"/"+strconv.Itoa(c)); err != nil {
				return removed
			}
		}
		if err := e.store.DeleteDoc(ctx, mapRunDocKind, d.Name); err != nil {
			return removed
		}
		removed++
	}
	return removed
}
