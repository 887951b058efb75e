package schedule

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Config configures a Scheduler.
type Config struct {
	Engine *interpreter.Engine
	// Starter starts fires; default EngineStarter.
	Starter Starter
	// Clock is the time slots fire by; default the engine's.
	Clock  interpreter.Clock
	Logger *slog.Logger
	// Registry receives the metrics; nil: none registered.
	Registry prometheus.Registerer
	// Node names this node in the executions a schedule remembers.
	Node string
	// Poll is how often the runner looks for changes made on other nodes
	// and for partitions that moved (default 1s).
	Poll time.Duration
	// Resync is how often the runner reads every schedule again, whatever
	// the epoch says (default 1m): a change whose epoch raise was lost
	// (its node stopped between the two writes) is seen by then.
	Resync time.Duration
	Limits Limits
	// Workers is how many schedules one node looks at at once when many
	// are due together (default 32).
	Workers int
}

func (c Config) withDefaults() Config {
	if c.Starter == nil {
		c.Starter = EngineStarter{Engine: c.Engine}
	}
	if c.Clock == nil {
		c.Clock = c.Engine.Clock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.Resync <= 0 {
		c.Resync = time.Minute
	}
	if c.Limits.DefaultCatchup <= 0 {
		c.Limits.DefaultCatchup = DefaultCatchup
	}
	return c
}

// DefaultCatchup is the catch-up window of a schedule that names none.
const DefaultCatchup = 5 * time.Minute

// Scheduler runs the schedules this node owns and serves the API's
// operations on all of them (service.go).
type Scheduler struct {
	cfg     Config
	eng     *interpreter.Engine
	docs    store.Docs
	clock   interpreter.Clock
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	known   map[string]*entry // every schedule, by name
	due     dueHeap           // owned schedules by next look
	epoch   int64             // the epoch revision last read
	resync  time.Time         // when every schedule was last read
	wake    chan struct{}     // a local change: look now
	running bool

	cancel context.CancelFunc
	done   chan struct{}

	// hooks for tests: beforeStart runs before a fire's start and may
	// stop the pass (a node dying right at a slot).
	beforeStart func(f Fire) error
	afterStart  func(f Fire) error
	written     func(name string, fires int) // after a pass wrote the schedule's state
}

// entry is what the runner keeps of a schedule between passes.
type entry struct {
	name  string
	at    time.Time // next look; zero: nothing to do until a change
	owned bool
	index int // in due; -1 when not in it
	// waiting: buffered slots wait for an execution to end; the schedule
	// is looked at every poll.
	waiting bool
}

// New returns a Scheduler on the engine's store.
func New(cfg Config) *Scheduler {
	cfg = cfg.withDefaults()
	s := &Scheduler{cfg: cfg, eng: cfg.Engine, docs: cfg.Engine.Store(), clock: cfg.Clock, log: cfg.Logger,
		known: map[string]*entry{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.metrics = newMetrics(cfg.Registry, s)
	return s
}

// Start runs the runner until ctx ends or Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	go func() {
		defer close(s.done)
		s.run(ctx)
	}()
	return nil
}

// Stop ends the runner and waits for it. Schedules stay as stored: the
// node that takes their partitions fires them.
func (s *Scheduler) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

// notify wakes the runner after a change made on this node.
func (s *Scheduler) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func ownerKey(name string) string { return "schedule:" + name }

func (s *Scheduler) run(ctx context.Context) {
	s.sync(ctx, true)
	lastPoll := s.clock.Now()
	for ctx.Err() == nil {
		now := s.clock.Now()
		if !now.Before(lastPoll.Add(s.cfg.Poll)) {
			s.sync(ctx, false)
			lastPoll = now
		}
		s.passAll(ctx, s.popDue(now))
		wait := s.cfg.Poll - s.clock.Now().Sub(lastPoll)
		if next, ok := s.nextDue(); ok {
			wait = min(wait, next.Sub(s.clock.Now()))
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(wait):
		case <-s.wake:
			lastPoll = time.Time{} // read the changes now
		}
	}
}

// passAll looks at the due schedules, Workers at a time.
func (s *Scheduler) passAll(ctx context.Context, names []string) {
	if len(names) == 1 {
		s.pass(ctx, names[0])
		return
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.pass(ctx, name)
		}()
	}
	wg.Wait()
}

// sync reads the epoch, and every schedule when it moved (or at resync,
// or when forced), then sets each schedule's ownership: a schedule this
// node has just taken (its partition moved here) is looked at at once.
func (s *Scheduler) sync(ctx context.Context, force bool) {
	now := s.clock.Now()
	ep, err := s.docs.GetDoc(ctx, epochKind, epochName)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("schedule epoch read failed", slog.Any("error", err))
	}
	s.mu.Lock()
	reread := force || ep.Rev != s.epoch || !now.Before(s.resync.Add(s.cfg.Resync))
	s.mu.Unlock()
	if reread {
		if err := s.readAll(ctx); err != nil {
			s.log.Warn("schedules read failed", slog.Any("error", err))
		} else {
			s.mu.Lock()
			s.epoch, s.resync = ep.Rev, now
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	owned := 0
	for _, e := range s.known {
		own, _ := s.eng.Owns(ownerKey(e.name))
		if own {
			owned++
		}
		switch {
		case own && !e.owned:
			e.owned = true
			s.schedule(e, now) // taken over: look now
		case !own && e.owned:
			e.owned = false
			s.unschedule(e)
		case own && e.waiting:
			s.schedule(e, now)
		}
	}
	s.mu.Unlock()
	s.metrics.owned.Set(float64(owned))
}

// readAll reads every schedule document and refreshes the entries.
func (s *Scheduler) readAll(ctx context.Context) error {
	seen := map[string]bool{}
	cursor := ""
	for {
		docs, next, err := s.docs.ListDocs(ctx, docKind, cursor, 500)
		if err != nil {
			return err
		}
		for _, d := range docs {
			seen[d.Name] = true
			r, err := decodeRecord(d)
			if err != nil {
				s.log.Warn("schedule refused", slog.String("schedule", d.Name), slog.Any("error", err))
				continue
			}
			s.learn(r)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	s.mu.Lock()
	for name, e := range s.known {
		if !seen[name] {
			s.unschedule(e)
			delete(s.known, name)
		}
	}
	s.mu.Unlock()
	return nil
}

// learn records what a stored record says about when to look next.
func (s *Scheduler) learn(r *record) {
	at := lookAt(r, s.clock.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.known[r.Name]
	if e == nil {
		e = &entry{name: r.Name, index: -1}
		s.known[r.Name] = e
	}
	e.waiting = len(r.State.Buffered) > 0
	if e.owned {
		s.schedule(e, at)
	} else {
		e.at = at
	}
}

// lookAt is when a record needs its owner's look: now for queued fires,
// else its next fire time (zero: never).
func lookAt(r *record, now time.Time) time.Time {
	if len(r.State.Queue) > 0 {
		return now
	}
	if r.State.NextFire != nil {
		return *r.State.NextFire
	}
	return time.Time{}
}

// forget drops a schedule (deleted).
func (s *Scheduler) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.known[name]; e != nil {
		s.unschedule(e)
		delete(s.known, name)
	}
}

// schedule puts an owned entry in the heap at t (zero: out of it). Called with mu.
func (s *Scheduler) schedule(e *entry, t time.Time) {
	e.at = t
	switch {
	case t.IsZero():
		s.unschedule(e)
	case e.index >= 0:
		heap.Fix(&s.due, e.index)
	default:
		heap.Push(&s.due, e)
	}
}

func (s *Scheduler) unschedule(e *entry) {
	if e.index >= 0 {
		heap.Remove(&s.due, e.index)
	}
}

// popDue takes the owned schedules due by now out of the heap.
func (s *Scheduler) popDue(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for s.due.Len() > 0 && !s.due[0].at.After(now) {
		e := heap.Pop(&s.due).(*entry)
		names = append(names, e.name)
	}
	return names
}

func (s *Scheduler) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.due.Len() == 0 {
		return time.Time{}, false
	}
	return s.due[0].at, true
}

// dueHeap orders entries by their next look.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
