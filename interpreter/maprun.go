package interpreter

// Map Runs as the APIs see them. A Map Run's live state is in its parent's
// Map thread (distributed.go); its record, a store document of kind
// "maprun" named by the run's id, says where that thread is and keeps
// what the run was when it ended, once the parent moved on.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/store"
)

// mapRunDocKind is the store document kind of Map Run records.
const mapRunDocKind = "maprun"

// Map Run statuses (AWS's).
const (
	MapRunRunning   = "RUNNING"
	MapRunSucceeded = "SUCCEEDED"
	MapRunFailed    = "FAILED"
	MapRunAborted   = "ABORTED"
)

// MapRun is a distributed Map's run.
type MapRun struct {
	ID    string `json:"id"`
	ARN   string `json:"arn"`
	Label string `json:"label"`
	// ExecutionID is the parent execution; StateMachine its state machine.
	ExecutionID  string `json:"executionId"`
	StateMachine string `json:"stateMachine"`
	// Machine is the children's state machine name ("<sm>/<label>").
	Machine string `json:"machine"`
	// Thread is the parent's Map thread.
	Thread    int       `json:"thread"`
	Status    string    `json:"status"`
	StartDate time.Time `json:"startDate"`
	StopDate  time.Time `json:"stopDate,omitzero"`

	MaxConcurrency             int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64   `json:"toleratedFailureCount"`
	Express                    bool    `json:"express,omitempty"`
	// RedriveCount counts the redrives of the parent that ran the run
	// again (AWS's redriveCount); RedriveDate is the last one's time.
	RedriveCount int       `json:"redriveCount,omitempty"`
	RedriveDate  time.Time `json:"redriveDate,omitzero"`

	// Counts of the children (each an item, or a batch of items): in all,
	// not started yet, running, and ended by how.
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	TimedOut  int `json:"timedOut"`
	Aborted   int `json:"aborted"`
}

// ErrMapRunEnded: a change to a Map Run that is no longer running.
var ErrMapRunEnded = errors.New("the Map Run is no longer running")

// mapRunView is the Map Run of Map thread t as it stands, with status.
func (r *run) mapRunView(t *thread, cw *childrenWait, status string) MapRun {
	run := cw.Run
	m := MapRun{ID: run.ID, ARN: r.runARN(run), Label: run.Label, ExecutionID: r.id,
		StateMachine: r.smName, Machine: run.Machine, Thread: t.ID, Status: status, StartDate: run.StartedAt,
		MaxConcurrency: cw.MaxConc, ToleratedFailurePercentage: cw.TolPct, ToleratedFailureCount: cw.TolCount,
		Express: run.Express, Total: run.Total, Running: len(run.Running), RedriveCount: run.Redriven,
		Succeeded: run.Succeeded, Failed: run.Failed, TimedOut: run.TimedOut, Aborted: run.Aborted}
	if status != MapRunRunning {
		m.StopDate = r.now
		m.Aborted += m.Running // stopped with the run
		m.Running = 0
	}
	m.Pending = max(0, m.Total-m.Running-m.Succeeded-m.Failed-m.TimedOut-m.Aborted)
	return m
}

// recordMapRunLater writes a Map Run's record in the background, until it
// sticks or the engine stops.
func (e *Engine) recordMapRunLater(m MapRun) {
	e.untilDone("Map Run record not written yet", slog.String("map_run", m.ARN), func() error { return e.recordMapRun(e.ctx, m) })
}

// recordMapRun writes m as its run's record, unless the record says the
// run ended already and m does not (the start's write came late).
func (e *Engine) recordMapRun(ctx context.Context, m MapRun) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for range 10 {
		d, err := e.store.GetDoc(ctx, mapRunDocKind, m.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			d = store.Doc{Kind: mapRunDocKind, Name: m.ID}
		case err != nil:
			return err
		default:
			var old MapRun
			if json.Unmarshal(d.Data, &old) == nil && (m.RedriveCount < old.RedriveCount ||
				old.Status != MapRunRunning && m.Status == MapRunRunning && m.RedriveCount == old.RedriveCount) {
				return nil // a write about an earlier run of it, or the start's after the end's
			}
			if m.RedriveCount > old.RedriveCount && m.RedriveDate.IsZero() {
				m.RedriveDate = e.cfg.Clock.Now().UTC()
				if data, err = json.Marshal(m); err != nil {
					return err
				}
			} else if m.RedriveCount == old.RedriveCount && m.RedriveDate.IsZero() {
				m.RedriveDate = old.RedriveDate
				if data, err = json.Marshal(m); err != nil {
					return err
				}
			}
		}
		d.Data = data
		if _, err := e.store.PutDoc(ctx, d); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("Map Run %s: its record kept changing", m.ID)
}

// MapRun describes a Map Run by its id (or ARN): live counts while its
// Map runs, its record once it ended.
func (e *Engine) MapRun(ctx context.Context, id string) (*MapRun, error) {
	if a, err := arn.Parse(id); err == nil && a.Kind == arn.MapRun {
		id = a.ID
	}
	d, err := e.store.GetDoc(ctx, mapRunDocKind, id)
	if err != nil {
		return nil, err
	}
	var m MapRun
	if err := json.Unmarshal(d.Data, &m); err != nil {
		return nil, fmt.Errorf("Map Run %s: record: %w", id, err)
	}
	if m.Status != MapRunRunning {
		return &m, nil
	}
	live, err := e.liveMapRun(ctx, &m)
	if err != nil {
		return nil, err
	}
	if live == nil {
		// The parent moved on: its node writes the run's last record
		// right after. Read it again for a moment; should it never come
		// (that node stopped), the end is in the parent's history.
		for range 10 {
			t := time.NewTimer(20 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			if d, err := e.store.GetDoc(ctx, mapRunDocKind, id); err == nil {
				var again MapRun
				if json.Unmarshal(d.Data, &again) == nil && again.Status != MapRunRunning {
					return &again, nil
				}
			}
		}
		return e.endedFromHistory(ctx, &m)
	}
	return live, nil
}

// endedFromHistory settles a run's status from its parent's history: the
// end event that follows its MapRunStarted (or MapRunRedriven) in the
// Map's thread, which writes nothing in between. The counts are the
// record's earlier ones, settled as the end settles them, until its last
// write lands.
func (e *Engine) endedFromHistory(ctx context.Context, m *MapRun) (*MapRun, error) {
	start := int64(-1)
	for after := int64(0); ; {
		page, err := e.store.History(ctx, store.HistoryQuery{ID: m.ExecutionID, After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, ev := range page {
			after = ev.ID
			var x struct {
				Type string    `json:"type"`
				Prev int64     `json:"previousEventId"`
				ARN  string    `json:"mapRunArn"`
				Time time.Time `json:"timestamp"`
			}
			if json.Unmarshal(ev.Data, &x) != nil {
				continue
			}
			switch {
			case (x.Type == "MapRunStarted" || x.Type == "MapRunRedriven") && x.ARN == m.ARN:
				start = ev.ID
			case x.Prev == start && start >= 0:
				switch x.Type {
				case "MapRunSucceeded":
					m.Status = MapRunSucceeded
				case "MapRunFailed":
					m.Status = MapRunFailed
				case "MapRunAborted":
					m.Status = MapRunAborted
				default:
					continue
				}
				m.StopDate = x.Time
				// The counts as the end left them, as far as the record's
				// earlier write tells: every child ended in a run that
				// succeeded; those running were stopped in one that did not.
				if m.Status == MapRunSucceeded {
					m.Succeeded = max(0, m.Total-m.Failed-m.TimedOut-m.Aborted)
					m.Pending = 0
				} else {
					m.Aborted += m.Running
				}
				m.Running = 0
				return m, nil
			}
		}
		if len(page) < 1000 {
			return m, nil
		}
	}
}

// liveMapRun reads a running Map Run's counts from its parent's thread;
// nil when the thread no longer runs it (it just ended).
func (e *Engine) liveMapRun(ctx context.Context, m *MapRun) (*MapRun, error) {
	rec, err := e.store.GetExecution(ctx, m.ExecutionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	def, err := e.recordDefinition(ctx, rec)
	if err != nil {
		return nil, err
	}
	r, err := decodeRun(rec, def, false, nil, false)
	if err != nil {
		return nil, err
	}
	r.space = e.cfg.Space
	t := r.threads[m.Thread]
	if t == nil || t.Children == nil || t.Children.Run == nil || t.Children.Run.ID != m.ID {
		return nil, nil
	}
	live := r.mapRunView(t, t.Children, MapRunRunning)
	return &live, nil
}

// MapRuns lists the Map Runs an execution started, in the order they
// started, each once (from its history's MapRunStarted events; a run that
// a redrive ran again has a MapRunRedriven).
func (e *Engine) MapRuns(ctx context.Context, executionID string) ([]MapRun, error) {
	if _, err := e.store.GetExecution(ctx, executionID); err != nil {
		return nil, err
	}
	var out []MapRun
	for after := int64(0); ; {
		page, err := e.store.History(ctx, store.HistoryQuery{ID: executionID, After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, ev := range page {
			after = ev.ID
			var x struct {
				Type string `json:"type"`
				ARN  string `json:"mapRunArn"`
			}
			if json.Unmarshal(ev.Data, &x) != nil || x.Type != "MapRunStarted" {
				continue
			}
			m, err := e.MapRun(ctx, x.ARN)
			if errors.Is(err, store.ErrNotFound) {
				continue // its record was not written yet (or expired)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, *m)
		}
		if len(page) < 1000 {
			return out, nil
		}
	}
}

// MapRunExecutions pages a Map Run's child executions in item order,
// starting at child number from; next is -1 after the last page.
func (e *Engine) MapRunExecutions(ctx context.Context, id string, from, limit int) ([]*Execution, int, error) {
	m, err := e.MapRun(ctx, id)
	if err != nil {
		return nil, -1, err
	}
	run := mapRun{ID: m.ID, Machine: m.Machine}
	var out []*Execution
	i := max(from, 0)
	for ; i < m.Total && len(out) < limit; i++ {
		rec, err := e.store.GetExecution(ctx, run.childID(i))
		if errors.Is(err, store.ErrNotFound) {
			continue // not started (yet), or expired
		}
		if err != nil {
			return nil, -1, err
		}
		out = append(out, viewOf(rec))
	}
	if i >= m.Total {
		i = -1
	}
	return out, i, nil
}

// MapRunUpdate changes a running Map Run; nil fields stay as they are.
type MapRunUpdate struct {
	MaxConcurrency             *int64
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int64
}

// UpdateMapRun changes a running Map Run's concurrency and tolerances: a
// higher concurrency starts more children at once; a tolerance already
// exceeded by the failures so far fails the run.
func (e *Engine) UpdateMapRun(ctx context.Context, id string, u MapRunUpdate) (*MapRun, error) {
	m, err := e.MapRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Status != MapRunRunning {
		return nil, fmt.Errorf("Map Run %s is %s: %w", m.ARN, m.Status, ErrMapRunEnded)
	}
	var view *MapRun
	_, _, err = e.modify(ctx, m.ExecutionID, func(r *run) bool {
		view = nil
		t := r.threads[m.Thread]
		if r.status != store.StatusRunning || t == nil || t.Children == nil || t.Children.Run == nil || t.Children.Run.ID != m.ID {
			return false
		}
		cw, s := t.Children, r.state(t)
		if u.MaxConcurrency != nil {
			cw.MaxConc = *u.MaxConcurrency
		}
		if u.ToleratedFailurePercentage != nil {
			cw.TolPct, cw.HasPct = *u.ToleratedFailurePercentage, true
		}
		if u.ToleratedFailureCount != nil {
			cw.TolCount, cw.HasCount = *u.ToleratedFailureCount, true
		}
		r.touch(t)
		v := r.mapRunView(t, cw, MapRunRunning)
		r.recheckMapRun(t, s)
		if t.Children == cw {
			v = r.mapRunView(t, cw, MapRunRunning) // with the children it started
			r.runDocs = append(r.runDocs, v)
		}
		view = &v
		return true
	})
	if err != nil {
		return nil, err
	}
	if view == nil {
		return nil, fmt.Errorf("Map Run %s: %w", m.ARN, ErrMapRunEnded)
	}
	return view, nil
}
