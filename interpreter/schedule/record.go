package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Document kinds: one document per schedule (spec and state, so that both
// move by one compare-and-set), and the epoch, whose revision every change
// through the API raises so that other nodes know to read the schedules
// again without reading them all every poll.
const (
	docKind   = "schedule"
	epochKind = "schedule-epoch"
	epochName = "all"
)

// Encoding is the version of the schedule document this release writes
// and the newest it reads.
const Encoding = 1

// ErrNewerEncoding: a schedule document written by a newer release. It is
// refused, never rewritten (docs/architecture.md, "Encoding versions").
var ErrNewerEncoding = errors.New("schedule document encoding is newer than this node understands")

// Fire kinds: why a slot started an execution.
const (
	KindScheduled = "scheduled"
	KindCatchup   = "catchup" // a slot found late, within the catch-up window
	KindTrigger   = "trigger"
	KindBackfill  = "backfill"
	KindBuffered  = "buffered" // a slot that waited for the running execution (BUFFER_ONE, BUFFER_ALL)
)

// Skip reasons (metrics and counters).
const (
	SkipOverlap  = "overlap"
	SkipMissed   = "missed" // older than the catch-up window
	SkipPaused   = "paused"
	SkipDisabled = "disabled"
	SkipFailed   = "failed" // the start was refused (target gone, input too large…)
	// SkipReplaced: slots not yet fired when a PUT changed the expression,
	// time zone or start date (the new ones apply from the change).
	SkipReplaced = "replaced"
)

// Pending is a slot waiting to fire: triggered, backfilled or buffered.
type Pending struct {
	Slot time.Time `json:"slot"`
	Kind string    `json:"kind"`
	// Manual: a trigger's (buffered or not), whose execution is named
	// apart from the scheduled slots' (ManualFormat).
	Manual bool `json:"manual,omitempty"`
}

// ExecutionName is the name of the execution the pending slot starts.
func (p Pending) ExecutionName(schedule string) string {
	if p.Manual {
		return schedule + "-" + p.Slot.UTC().Format(ManualFormat)
	}
	return ExecutionName(schedule, p.Slot)
}

// Started is an execution a schedule started (or found started).
type Started struct {
	Slot        time.Time `json:"slot"`
	Kind        string    `json:"kind"`
	ExecutionID string    `json:"executionId"`
	At          time.Time `json:"at"`
	Node        string    `json:"node,omitempty"`
	// Existing: the execution was already there (a fire made again after
	// a node stopped, or a backfill of a slot that had fired).
	Existing bool `json:"existing,omitempty"`
	// Stopped names an execution stopped to make way (CANCEL_OTHER,
	// TERMINATE_OTHER).
	Stopped string `json:"stopped,omitempty"`
}

// Counts are a schedule's counters since it was created.
type Counts struct {
	Fired   int64            `json:"fired"`
	Skipped map[string]int64 `json:"skipped,omitempty"` // by reason
}

// maxRecent is how many started executions a schedule remembers.
const maxRecent = 20

// State is what the runner keeps of a schedule.
type State struct {
	// Cursor: every scheduled slot at or before it has fired or been
	// skipped.
	Cursor   time.Time  `json:"cursor"`
	Paused   bool       `json:"paused,omitempty"`
	Note     string     `json:"note,omitempty"`
	PausedAt *time.Time `json:"pausedAt,omitempty"`
	// Queue holds triggered and backfilled slots; Buffered, slots waiting
	// for the running execution (overlap BUFFER_ONE, BUFFER_ALL).
	Queue    []Pending `json:"queue,omitempty"`
	Buffered []Pending `json:"buffered,omitempty"`
	// Latest is the execution last started, which the overlap policy asks about.
	Latest    string     `json:"latest,omitempty"`
	Counts    Counts     `json:"counts"`
	Recent    []Started  `json:"recent,omitempty"` // newest first
	LastError string     `json:"lastError,omitempty"`
	ErrorAt   *time.Time `json:"errorAt,omitempty"`
	// NextFire is when the runner will next look at the schedule (a
	// slot's fire time, jitter included); zero: no slot left.
	NextFire *time.Time `json:"nextFire,omitempty"`
}

// record is the stored document.
type record struct {
	V       int       `json:"v"`
	Name    string    `json:"name"`
	Spec    Spec      `json:"spec"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Anchor is where a rate without a start date counts from: when its
	// expression was last set.
	Anchor time.Time `json:"anchor"`
	State  State     `json:"state"`
	// Fence is the highest partition fence a runner wrote the document
	// with: a runner holding an older fence has lost the schedule's
	// partition and does not write.
	Fence int64 `json:"fence,omitempty"`

	rev int64 // the document's revision, for compare-and-set
}

func decodeRecord(d store.Doc) (*record, error) {
	var head struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(d.Data, &head); err != nil {
		return nil, fmt.Errorf("schedule %s: %w", d.Name, err)
	}
	if head.V > Encoding {
		return nil, fmt.Errorf("schedule %s: encoding %d (this node reads up to %d): %w", d.Name, head.V, Encoding, ErrNewerEncoding)
	}
	var r record
	if err := json.Unmarshal(d.Data, &r); err != nil {
		return nil, fmt.Errorf("schedule %s: %w", d.Name, err)
	}
	r.rev = d.Rev
	return &r, nil
}

func (r *record) encode() store.Doc {
	r.V = Encoding
	b, _ := json.Marshal(r) // plain data: never fails
	return store.Doc{Kind: docKind, Name: r.Name, Data: b, Rev: r.rev}
}

// clone copies a record deeply enough for a change to be retried.
func (r *record) clone() *record {
	b, _ := json.Marshal(r)
	var c record
	_ = json.Unmarshal(b, &c)
	c.rev = r.rev
	return &c
}

// locations caches time zones by name: LoadLocation reads and parses a
// zoneinfo file each time, and every pass, view and list row needs one.
var locations sync.Map // name → *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// plan is the record's plan (its spec was checked when stored).
func (r *record) plan() (Plan, error) {
	e, err := Parse(r.Spec.Expression)
	if err != nil {
		return Plan{}, err
	}
	loc, err := loadLocation(r.Spec.Timezone)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Expr: e, Loc: loc, Anchor: r.Anchor}
	if r.Spec.StartDate != nil {
		p.Start = *r.Spec.StartDate
	}
	if r.Spec.EndDate != nil {
		p.End = *r.Spec.EndDate
	}
	return p, nil
}

func (r *record) window() int {
	if w := r.Spec.FlexibleTimeWindow; w != nil && w.Mode == WindowFlexible {
		return w.MaximumWindowInMinutes
	}
	return 0
}

// fireTime is when a slot fires: the slot plus its jitter.
func (r *record) fireTime(slot time.Time) time.Time {
	return slot.Add(Jitter(r.Name, slot, r.window()))
}

func (s *State) skip(reason string, n int64) {
	if n == 0 {
		return
	}
	if s.Counts.Skipped == nil {
		s.Counts.Skipped = map[string]int64{}
	}
	s.Counts.Skipped[reason] += n
}

func (s *State) remember(st Started) {
	s.Recent = append([]Started{st}, s.Recent...)
	if len(s.Recent) > maxRecent {
		s.Recent = s.Recent[:maxRecent]
	}
}
