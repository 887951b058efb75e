// Package memory is the in-memory store: the development default and the
// reference implementation of the store contract. Nothing survives a
// restart. Every byte slice is copied in and out, so that it cannot hide a
// sharing bug that a networked store would expose.
package memory

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu         sync.RWMutex
	machines   map[string]*machine
	executions map[string]*execution
	names      map[string]string // stateMachine + "\x00" + name -> id
	// byStart lists executions oldest first; listing walks it backwards.
	byStart  []*execution
	nextSeq  int64                             // the seq of the next execution; never reused, also after Expire
	watchers map[string]map[chan struct{}]bool // id -> watch -> only status changes
	queues   map[string][]store.ActivityTask
	// inflight is the in-flight set of every partition together
	// (store.PartitionQueries); Leased filters it by partition.
	inflight map[string]bool
	rebuilt  map[int]int                     // partition -> release that rebuilt it
	docs     map[string]map[string]store.Doc // kind -> name -> document
	changes  changeLog                       // the change log (changes.go)
	limits   limitState                      // the limits (limits.go, store.Limiter)
}

type machine struct {
	versions    map[int]store.StateMachine
	latest      int
	deleted     bool
	createdAt   time.Time
	lastVersion int // never reused
}

type execution struct {
	rec    store.Execution
	events [][]byte
	seq    int64 // insertion order, for a stable listing
}

// New returns an empty store.
func New() *Store {
	return &Store{
		machines:   map[string]*machine{},
		executions: map[string]*execution{},
		names:      map[string]string{},
		watchers:   map[string]map[chan struct{}]bool{},
		queues:     map[string][]store.ActivityTask{},
		inflight:   map[string]bool{},
		rebuilt:    map[int]int{},
		docs:       map[string]map[string]store.Doc{},
	}
}

var _ store.Store = (*Store)(nil)

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

// PutStateMachine implements store.Store.
func (s *Store) PutStateMachine(_ context.Context, sm store.StateMachine) (store.StateMachine, store.PutResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.machines[sm.Name]
	if m != nil && !m.deleted {
		cur := m.versions[m.latest]
		if cur.DefinitionSHA256 == sm.DefinitionSHA256 {
			return copySM(cur), store.Unchanged, nil
		}
		m.lastVersion++
		sm.Version = m.lastVersion
		sm.CreatedAt = m.createdAt
		sm.Definition, sm.Source = clone(sm.Definition), clone(sm.Source)
		m.versions[sm.Version] = sm
		m.latest = sm.Version
		return copySM(sm), store.NewVersion, nil
	}
	if m == nil {
		m = &machine{versions: map[int]store.StateMachine{}}
		s.machines[sm.Name] = m
	}
	m.deleted = false
	m.lastVersion++
	m.createdAt = sm.UpdatedAt
	sm.Version = m.lastVersion
	sm.CreatedAt = sm.UpdatedAt
	sm.Definition, sm.Source = clone(sm.Definition), clone(sm.Source)
	m.versions[sm.Version] = sm
	m.latest = sm.Version
	return copySM(sm), store.Created, nil
}

func copySM(sm store.StateMachine) store.StateMachine {
	sm.Definition, sm.Source = clone(sm.Definition), clone(sm.Source)
	return sm
}

// GetStateMachine implements store.Store.
func (s *Store) GetStateMachine(_ context.Context, name string, version int) (store.StateMachine, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.machines[name]
	if m == nil || m.deleted {
		return store.StateMachine{}, fmt.Errorf("memory store: state machine %q: %w", name, store.ErrNotFound)
	}
	if version == 0 {
		version = m.latest
	}
	sm, ok := m.versions[version]
	if !ok {
		return store.StateMachine{}, fmt.Errorf("memory store: state machine %q version %d: %w", name, version, store.ErrNotFound)
	}
	return copySM(sm), nil
}

// GetStateMachineVersion implements store.Store.
func (s *Store) GetStateMachineVersion(_ context.Context, name string, version int) (store.StateMachine, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.machines[name]
	if m == nil {
		return store.StateMachine{}, fmt.Errorf("memory store: state machine %q: %w", name, store.ErrNotFound)
	}
	sm, ok := m.versions[version]
	if !ok {
		return store.StateMachine{}, fmt.Errorf("memory store: state machine %q version %d: %w", name, version, store.ErrNotFound)
	}
	return copySM(sm), nil
}

// ListStateMachines implements store.Store; the cursor is the last name seen.
func (s *Store) ListStateMachines(_ context.Context, cursor string, limit int) ([]store.StateMachine, string, error) {
	after, err := decodeNameCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.machines))
	for n, m := range s.machines {
		if !m.deleted && n > after {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	next := ""
	if limit > 0 && len(names) > limit {
		names = names[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(names[limit-1]))
	}
	out := make([]store.StateMachine, len(names))
	for i, n := range names {
		m := s.machines[n]
		out[i] = copySM(m.versions[m.latest])
	}
	return out, next, nil
}

func decodeNameCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("memory store: malformed cursor: %w", store.ErrInvalidCursor)
	}
	return string(b), nil
}

// DeleteStateMachine implements store.Store.
func (s *Store) DeleteStateMachine(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.machines[name]
	if m == nil || m.deleted {
		return fmt.Errorf("memory store: state machine %q: %w", name, store.ErrNotFound)
	}
	m.deleted = true
	return nil
}

func copyExecution(r *store.Execution) *store.Execution {
	c := *r
	c.Input = clone(r.Input)
	c.Output = clone(r.Output)
	c.Engine = clone(r.Engine)
	c.Threads = make(map[string][]byte, len(r.Threads))
	for k, v := range r.Threads {
		c.Threads[k] = clone(v)
	}
	return &c
}

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(_ context.Context, p store.CreateParams) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := p.Execution
	key := r.StateMachine + "\x00" + r.Name
	if id, ok := s.names[key]; ok {
		return id, fmt.Errorf("memory store: execution name %q: %w", r.Name, store.ErrAlreadyExists)
	}
	if _, ok := s.executions[r.ID]; ok {
		return r.ID, fmt.Errorf("memory store: execution %q: %w", r.ID, store.ErrAlreadyExists)
	}
	for i, e := range p.Events {
		if e.ID != int64(i+1) {
			return "", fmt.Errorf("memory store: create %s: event %d has id %d: %w", r.ID, i, e.ID, store.ErrConflict)
		}
	}
	e := &execution{rec: *copyExecution(r), seq: s.nextSeq}
	s.nextSeq++
	e.rec.RecordVersion = 1
	e.rec.LastEventID = int64(len(p.Events))
	e.events = cloneEvents(p.Events)
	s.executions[r.ID] = e
	s.names[key] = r.ID
	s.byStart = append(s.byStart, e)
	s.setInFlightLocked(r.ID, p.InFlight)
	s.enqueueLocked(p.Activities)
	s.logChangeLocked(p.Change)
	s.notifyLocked(r.ID, true)
	return "", nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(_ context.Context, id string) (*store.Execution, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.executions[id]
	if e == nil {
		return nil, fmt.Errorf("memory store: execution %q: %w", id, store.ErrNotFound)
	}
	return copyExecution(&e.rec), nil
}

// Commit implements store.Store.
func (s *Store) Commit(_ context.Context, p store.CommitParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.executions[p.ID]
	if e == nil {
		return fmt.Errorf("memory store: commit %s: %w", p.ID, store.ErrNotFound)
	}
	if e.rec.RecordVersion != p.ExpectedVersion {
		return fmt.Errorf("memory store: commit %s at version %d, record is at %d: %w", p.ID, p.ExpectedVersion, e.rec.RecordVersion, store.ErrConflict)
	}
	for i, ev := range p.Events {
		if want := e.rec.LastEventID + int64(i) + 1; ev.ID != want {
			return fmt.Errorf("memory store: commit %s: event id %d, want %d: %w", p.ID, ev.ID, want, store.ErrConflict)
		}
	}
	if c := p.Claim; c != nil {
		if c.Held == "" || c.ExecutionID != p.ID {
			return fmt.Errorf("memory store: commit %s: the claimed task must be a held task of this execution", p.ID)
		}
		if !s.unqueueLocked(c) {
			return fmt.Errorf("memory store: commit %s: %w", p.ID, store.ErrTaskTaken)
		}
	}
	threads := e.rec.Threads
	r := p.Record
	statusChanged := r.Status != e.rec.Status
	e.rec = store.Execution{
		ID: e.rec.ID, StateMachine: e.rec.StateMachine, Version: e.rec.Version, Name: e.rec.Name,
		Status: r.Status, Input: e.rec.Input, Output: clone(r.Output), Error: r.Error, Cause: r.Cause,
		StartedAt: e.rec.StartedAt, StoppedAt: r.StoppedAt, RedriveCount: r.RedriveCount,
		RecordVersion: e.rec.RecordVersion + 1, LastEventID: e.rec.LastEventID + int64(len(p.Events)),
		Engine: clone(r.Engine), DueAt: r.DueAt, InputHash: e.rec.InputHash,
	}
	if threads == nil {
		threads = map[string][]byte{}
	}
	for k, v := range p.SetThreads {
		threads[k] = clone(v)
	}
	for _, k := range p.DeleteThreads {
		delete(threads, k)
	}
	e.rec.Threads = threads
	e.events = append(e.events, cloneEvents(p.Events)...)
	for i := range p.Withdraw {
		s.unqueueLocked(&p.Withdraw[i])
	}
	s.setInFlightLocked(p.ID, p.InFlight)
	s.enqueueLocked(p.Activities)
	s.logChangeLocked(p.Change)
	s.notifyLocked(p.ID, statusChanged)
	return nil
}

func (s *Store) setInFlightLocked(id string, on bool) {
	if on {
		s.inflight[id] = true
	} else {
		delete(s.inflight, id)
	}
}

// History implements store.Store.
func (s *Store) History(_ context.Context, q store.HistoryQuery) ([]store.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.executions[q.ID]
	if e == nil {
		return nil, fmt.Errorf("memory store: history %s: %w", q.ID, store.ErrNotFound)
	}
	n := int64(len(e.events))
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = n
	}
	var out []store.Event
	if !q.Reverse {
		for id := q.After + 1; id <= n && int64(len(out)) < limit; id++ {
			out = append(out, store.Event{ID: id, Data: clone(e.events[id-1])})
		}
		return out, nil
	}
	start := n
	if q.After > 0 && q.After-1 < n {
		start = q.After - 1
	}
	for id := start; id >= 1 && int64(len(out)) < limit; id-- {
		out = append(out, store.Event{ID: id, Data: clone(e.events[id-1])})
	}
	return out, nil
}

// ListExecutions implements store.Store: newest first; the cursor is one
// past the insertion sequence of the next execution to list, so it stays
// valid when Expire removes executions in between.
func (s *Store) ListExecutions(_ context.Context, q store.ListQuery) ([]store.Summary, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start := len(s.byStart) - 1
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "s"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "s") || n < 0 || int64(n) > s.nextSeq {
			return nil, "", fmt.Errorf("memory store: malformed cursor: %w", store.ErrInvalidCursor)
		}
		// The newest execution with seq <= n-1.
		start = sort.Search(len(s.byStart), func(i int) bool { return s.byStart[i].seq > int64(n-1) }) - 1
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []store.Summary
	next := ""
	for i := start; i >= 0; i-- {
		r := &s.byStart[i].rec
		if (q.StateMachine != "" && r.StateMachine != q.StateMachine) || (q.Status != "" && r.Status != q.Status) {
			continue
		}
		if len(out) == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(s.byStart[i].seq+1, 10)))
			break
		}
		out = append(out, store.Summary{ID: r.ID, StateMachine: r.StateMachine, Version: r.Version, Name: r.Name,
			Status: r.Status, StartedAt: r.StartedAt, StoppedAt: r.StoppedAt})
	}
	return out, next, nil
}

// Due implements store.Store.
func (s *Store) Due(_ context.Context, now time.Time, limit int) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	type due struct {
		id string
		at time.Time
	}
	var ds []due
	for id, e := range s.executions {
		if e.rec.Status == store.StatusRunning && !e.rec.DueAt.IsZero() && !e.rec.DueAt.After(now) {
			ds = append(ds, due{id, e.rec.DueAt})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	if limit > 0 && len(ds) > limit {
		ds = ds[:limit]
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.id
	}
	return out, nil
}

// NextDue returns the earliest DueAt of a running execution (zero when none),
// so a timer loop can sleep until then.
func (s *Store) NextDue() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var min time.Time
	for _, e := range s.executions {
		if e.rec.Status == store.StatusRunning && !e.rec.DueAt.IsZero() && (min.IsZero() || e.rec.DueAt.Before(min)) {
			min = e.rec.DueAt
		}
	}
	return min
}

// Watch implements store.Store.
func (s *Store) Watch(_ context.Context, id string) (<-chan struct{}, func()) {
	return s.watch(id, false)
}

// WatchStatus implements store.Store.
func (s *Store) WatchStatus(_ context.Context, id string) (<-chan struct{}, func()) {
	return s.watch(id, true)
}

func (s *Store) watch(id string, statusOnly bool) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.watchers[id] == nil {
		s.watchers[id] = map[chan struct{}]bool{}
	}
	s.watchers[id][ch] = statusOnly
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.watchers[id], ch)
		if len(s.watchers[id]) == 0 {
			delete(s.watchers, id)
		}
		s.mu.Unlock()
	}
}

// notifyLocked tells the watches of id about a commit; statusChanged says
// whether it changed the execution's status.
func (s *Store) notifyLocked(id string, statusChanged bool) {
	for ch, statusOnly := range s.watchers[id] {
		if statusOnly && !statusChanged {
			continue
		}
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending; readers re-read
		}
	}
}

// Ping implements store.Store.
func (s *Store) Ping(context.Context) error { return nil }

// Close implements store.Store.
func (s *Store) Close() error { return nil }

func (s *Store) enqueueLocked(tasks []store.ActivityTask) {
	for _, t := range tasks {
		t.Input = clone(t.Input)
		s.queues[t.Activity] = append(s.queues[t.Activity], t)
	}
}

// unqueueLocked removes a task from its queue, found by its token; false
// when it is not queued.
func (s *Store) unqueueLocked(t *store.ActivityTask) bool {
	q := s.queues[t.Activity]
	for i := range q {
		if q[i].Token == t.Token {
			s.queues[t.Activity] = append(q[:i:i], q[i+1:]...)
			if len(q) == 1 {
				delete(s.queues, t.Activity)
			}
			return true
		}
	}
	return false
}

// DropActivity implements store.Store. This store's PopActivity takes
// tasks out of their queues at once (it never holds one), so only a task
// named by hand can still be queued.
func (s *Store) DropActivity(_ context.Context, t *store.ActivityTask) (bool, error) {
	if t == nil || t.Held == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unqueueLocked(t), nil
}

// PopActivity implements store.Store; the task leaves its queue at once.
func (s *Store) PopActivity(_ context.Context, activity string) (*store.ActivityTask, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[activity]
	if len(q) == 0 {
		return nil, fmt.Errorf("memory store: activity %q: %w", activity, store.ErrNotFound)
	}
	t := q[0]
	s.queues[activity] = q[1:]
	if len(q) == 1 {
		delete(s.queues, activity)
	}
	t.Input = clone(t.Input)
	return &t, nil
}

// cloneEvents copies the events' bytes into one new buffer.
func cloneEvents(evs []store.Event) [][]byte {
	n := 0
	for _, ev := range evs {
		n += len(ev.Data)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		start := len(buf)
		buf = append(buf, ev.Data...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}
