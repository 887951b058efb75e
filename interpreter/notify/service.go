package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Config configures a Service.
type Config struct {
	Engine *interpreter.Engine
	Logger *slog.Logger
	// Registerer receives the metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// Clock times the back-off and the giving up (default: the engine's).
	Clock interpreter.Clock
	// Retention is how long the change log keeps status changes (default
	// store.DefaultChangeRetention, 24 h): how far back a stream can
	// resume and a stopped delivery can catch up.
	Retention time.Duration
	// RetryFor is how long after a status change its delivery is tried
	// again before it becomes a dead letter (default 6 h; less than
	// Retention).
	RetryFor time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles from the first to the second (defaults 1 s and 5 min).
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one delivery attempt (default 10 s).
	Timeout time.Duration
	// MaxDeadLetters is how many dead letters an endpoint keeps (default
	// 10,000); an event given up beyond it is dropped and counted.
	MaxDeadLetters int
	// Batch is how many change log entries a delivery reads at once
	// (default 100), and Parallel how many executions' events it delivers
	// at once (default 16; each execution's in order).
	Batch, Parallel int
	// Poll is how often a delivery reads the log without a notice (default
	// 1 s); Rescan how often the endpoints and this node's share of them
	// are looked at again (default 2 s).
	Poll, Rescan time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil && c.Engine != nil {
		c.Clock = c.Engine.Clock()
	}
	if c.Retention <= 0 {
		c.Retention = store.DefaultChangeRetention
	}
	if c.RetryFor <= 0 {
		c.RetryFor = min(6*time.Hour, c.Retention/2)
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxDeadLetters <= 0 {
		c.MaxDeadLetters = 10_000
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Parallel <= 0 {
		c.Parallel = 16
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Rescan <= 0 {
		c.Rescan = 2 * time.Second
	}
	return c
}

func (c Config) validate() error {
	if c.Engine == nil {
		return errors.New("notify: no engine")
	}
	if c.RetryFor >= c.Retention {
		return fmt.Errorf("notify: retrying for %v needs the change log to keep status changes longer than that, not %v", c.RetryFor, c.Retention)
	}
	if c.MinBackoff > c.MaxBackoff {
		return fmt.Errorf("notify: the first back-off (%v) is longer than the longest (%v)", c.MinBackoff, c.MaxBackoff)
	}
	return nil
}

// ErrNoChangeLog: the engine's store keeps no change log.
var ErrNoChangeLog = errors.New("the store keeps no change log")

// Service delivers webhooks and serves the stream of status changes.
type Service struct {
	cfg     Config
	engine  *interpreter.Engine
	docs    store.Docs
	log     store.ChangeLog
	logger  *slog.Logger
	clock   interpreter.Clock
	build   *builder
	metrics *metrics

	kick chan struct{} // rescan now (an endpoint changed here)

	mu      sync.Mutex
	running map[string]*runningDelivery
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type runningDelivery struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New makes a Service over the engine's store, turning its change log on.
func New(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	st := cfg.Engine.Store()
	if !store.KeepChanges(st, cfg.Retention) {
		if store.AsChangeLog(st) == nil {
			return nil, fmt.Errorf("notify: %w", ErrNoChangeLog)
		}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("notify: metrics: %w", err)
	}
	return &Service{cfg: cfg, engine: cfg.Engine, docs: st, log: store.AsChangeLog(st), logger: cfg.Logger, clock: cfg.Clock,
		build: newBuilder(st, cfg.Engine.Space()), metrics: m, kick: make(chan struct{}, 1),
		running: map[string]*runningDelivery{}, ctx: context.Background(), cancel: func() {}}, nil
}

// Start runs the deliveries of the endpoints this node holds until ctx
// ends or Stop.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.supervise(s.ctx)
	}()
	return nil
}

// Stop ends the deliveries and waits for them. An event being delivered is
// delivered again by whoever delivers the endpoint next (at least once).
func (s *Service) Stop() {
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
}

// supervise starts and stops the deliveries: one per enabled endpoint whose
// name's partition this node holds.
func (s *Service) supervise(ctx context.Context) {
	t := time.NewTicker(s.cfg.Rescan) // real time: leases are
	defer t.Stop()
	for {
		if err := s.rescan(ctx); err != nil && ctx.Err() == nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "webhook endpoints not read", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for name, r := range s.running {
				r.cancel()
				delete(s.running, name)
			}
			s.mu.Unlock()
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

func (s *Service) rescan(ctx context.Context) error {
	eps, err := s.allEndpoints(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, ep := range eps {
		if owned, _ := s.engine.Owns(ep.Name); owned && ep.Enabled {
			want[ep.Name] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, r := range s.running {
		select {
		case <-r.done: // ended by itself (the endpoint went away)
			delete(s.running, name)
			continue
		default:
		}
		if !want[name] {
			r.cancel()
			delete(s.running, name)
			s.metrics.lag.DeleteLabelValues(name)
		}
	}
	for name := range want {
		if s.running[name] != nil || ctx.Err() != nil {
			continue
		}
		dctx, cancel := context.WithCancel(ctx)
		r := &runningDelivery{cancel: cancel, done: make(chan struct{})}
		s.running[name] = r
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(r.done)
			s.deliver(dctx, name)
		}()
	}
	return nil
}

// kickNow asks the supervisor to look at the endpoints at once.
func (s *Service) kickNow() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Service) allEndpoints(ctx context.Context) ([]Endpoint, error) {
	var out []Endpoint
	cursor := ""
	for {
		docs, next, err := s.docs.ListDocs(ctx, kindEndpoint, cursor, 500)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			ep, err := decodeEndpoint(d)
			if err != nil {
				s.logger.LogAttrs(ctx, slog.LevelWarn, "webhook endpoint skipped", slog.String("endpoint", d.Name), slog.Any("error", err))
				continue
			}
			out = append(out, ep)
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// Endpoints pages the endpoints by name (cursor: the last name of the
// previous page).
func (s *Service) Endpoints(ctx context.Context, cursor string, limit int) ([]Endpoint, string, error) {
	docs, next, err := s.docs.ListDocs(ctx, kindEndpoint, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]Endpoint, 0, len(docs))
	for _, d := range docs {
		ep, err := decodeEndpoint(d)
		if err != nil {
			return nil, "", err
		}
		out = append(out, ep)
	}
	return out, next, nil
}

// Endpoint returns an endpoint and where its delivery is;
// store.ErrNotFound when there is none.
func (s *Service) Endpoint(ctx context.Context, name string) (Endpoint, Delivery, error) {
	d, err := s.docs.GetDoc(ctx, kindEndpoint, name)
	if err != nil {
		return Endpoint{}, Delivery{}, fmt.Errorf("webhook endpoint %q: %w", name, err)
	}
	ep, err := decodeEndpoint(d)
	if err != nil {
		return Endpoint{}, Delivery{}, err
	}
	del, _, err := getDelivery(ctx, s.docs, name)
	return ep, del, err
}

// PutEndpoint creates or replaces an endpoint (created says which). A new
// endpoint, and one enabled again, is delivered the status changes from
// now on.
func (s *Service) PutEndpoint(ctx context.Context, sp Spec) (ep Endpoint, created bool, err error) {
	if sp, err = sp.validate(); err != nil {
		return Endpoint{}, false, err
	}
	for attempt := 0; ; attempt++ {
		now := s.clock.Now().UTC()
		cur, err := s.docs.GetDoc(ctx, kindEndpoint, sp.Name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Endpoint{}, false, err
		}
		created = errors.Is(err, store.ErrNotFound)
		var old Endpoint
		if !created {
			if old, err = decodeEndpoint(cur); err != nil {
				return Endpoint{}, false, err
			}
		}
		ep = Endpoint{Name: sp.Name, URL: sp.URL, StateMachines: sp.StateMachines, Statuses: sp.Statuses,
			Secret: old.Secret, Enabled: created || old.Enabled, CreatedAt: now, UpdatedAt: now}
		if !created {
			ep.CreatedAt = old.CreatedAt
		}
		if sp.Secret != nil {
			ep.Secret = *sp.Secret
		}
		if sp.Enabled != nil {
			ep.Enabled = *sp.Enabled
		}
		if ep.Enabled && (created || !old.Enabled) {
			// From now on: what happened while it did not exist or was
			// disabled is not sent.
			from, err := s.log.ChangeCursorNow(ctx)
			if err != nil {
				return Endpoint{}, false, err
			}
			if _, err := updateDelivery(ctx, s.docs, sp.Name, func(d *Delivery, _ bool) bool {
				if created {
					*d = Delivery{}
				}
				d.Cursor = from
				return true
			}); err != nil {
				return Endpoint{}, false, err
			}
		}
		_, err = s.docs.PutDoc(ctx, store.Doc{Kind: kindEndpoint, Name: sp.Name, Data: encodeEndpoint(ep), Rev: cur.Rev})
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if err != nil {
			return Endpoint{}, false, err
		}
		s.kickNow()
		return ep, created, nil
	}
}

// DeleteEndpoint removes an endpoint with its delivery and dead letters;
// store.ErrNotFound when there is none.
func (s *Service) DeleteEndpoint(ctx context.Context, name string) error {
	if _, err := s.docs.GetDoc(ctx, kindEndpoint, name); err != nil {
		return fmt.Errorf("webhook endpoint %q: %w", name, err)
	}
	if err := s.docs.DeleteDoc(ctx, kindEndpoint, name); err != nil {
		return err
	}
	s.kickNow()
	for {
		letters, _, err := s.docs.ListDocs(ctx, kindDead, name+"/", 500)
		if err != nil {
			return err
		}
		n := 0
		for _, d := range letters {
			if !isLetterOf(d.Name, name) {
				break
			}
			if err := s.docs.DeleteDoc(ctx, kindDead, d.Name); err != nil {
				return err
			}
			n++
		}
		if n < 500 {
			break
		}
	}
	return s.docs.DeleteDoc(ctx, kindCursor, name)
}
