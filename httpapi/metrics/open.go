package metrics

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/store"
)

// OpenConfig configures the gauge of open executions.
type OpenConfig struct {
	// Store is read for RUNNING executions (its listing index).
	Store store.Store
	// Interval between two counts (default 15s).
	Interval time.Duration
	// Export says whether this node exports the gauge right now. Several
	// nodes reading the same store would each report the whole count, so
	// only one should export: the holder of the maintenance lease, once
	// there is one. Nil: always (every node exports; do not sum over nodes).
	Export func() bool
	Logger *slog.Logger
	// Recount is how often, on a store that keeps the counts
	// (store.PartitionQueries), they are counted again from the index and
	// replaced (default 1h): a check that also corrects what nodes of an
	// earlier release, which kept no counts, left behind.
	Recount time.Duration
}

// Open is the gauge sfn_executions_open{state_machine}: the RUNNING
// executions in the store, read every Interval. On a store with partition
// queries the commits keep the counts per partition and state machine, so
// a read is one small query per partition whatever the number of
// executions, and they are recounted every Recount; on another store the
// read pages through the listing index. Start it; Stop ends the counting.
type Open struct {
	cfg OpenConfig

	mu        sync.Mutex
	counts    map[string]int // from the last successful count
	known     map[string]struct{}
	series    map[string]int // counts over known, bounded (boundedCounts); set by Refresh
	at        time.Time
	counted   bool
	recounted time.Time // when the kept counts were last recounted

	gauge     *prometheus.Desc
	lastCount *prometheus.Desc
	failures  prometheus.Counter

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pageSize is the listing page of a count.
const pageSize = 1000

// WatchOpen makes the open-executions gauge and registers it with m's series.
func (m *Metrics) WatchOpen(cfg OpenConfig) (*Open, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.Recount <= 0 {
		cfg.Recount = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	o := &Open{
		cfg: cfg, counts: map[string]int{}, known: map[string]struct{}{},
		gauge: prometheus.NewDesc("sfn_executions_open",
			"Executions running right now, by state machine, read from the store (exported by one node at a time).",
			[]string{"state_machine"}, nil),
		lastCount: prometheus.NewDesc("sfn_executions_open_counted_timestamp_seconds",
			"When sfn_executions_open was last counted (Unix time).", nil, nil),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sfn_executions_open_count_errors_total", Help: "Counts of open executions that failed (the store did not answer).",
		}),
		cancel: func() {},
	}
	if err := m.reg.Register(o); err != nil {
		return nil, err
	}
	if err := m.reg.Register(o.failures); err != nil {
		return nil, err
	}
	return o, nil
}

// Describe implements prometheus.Collector.
func (o *Open) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.gauge
	ch <- o.lastCount
}

// Collect implements prometheus.Collector: the last count, when this node
// exports and a count has succeeded.
func (o *Open) Collect(ch chan<- prometheus.Metric) {
	if o.cfg.Export != nil && !o.cfg.Export() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.counted {
		return
	}
	// A state machine whose executions all ended reads 0 rather than
	// vanishing, so that graphs drop to zero instead of stopping. The
	// names are already clean (count cleans them; overflow is).
	for name, n := range o.series {
		ch <- prometheus.MustNewConstMetric(o.gauge, prometheus.GaugeValue, float64(n), name)
	}
	ch <- prometheus.MustNewConstMetric(o.lastCount, prometheus.GaugeValue, float64(o.at.UnixMilli())/1000)
}

// Start counts once, then every Interval until ctx ends or Stop.
func (o *Open) Start(ctx context.Context) error {
	ctx, o.cancel = context.WithCancel(ctx)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		t := time.NewTicker(o.cfg.Interval)
		defer t.Stop()
		for {
			if o.cfg.Export == nil || o.cfg.Export() {
				o.Refresh(ctx)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop ends the counting and waits for it.
func (o *Open) Stop() {
	o.cancel()
	o.wg.Wait()
}

// Refresh counts now. A failed count keeps the previous one (its timestamp
// shows its age) and counts a failure.
func (o *Open) Refresh(ctx context.Context) {
	counts, err := o.count(ctx)
	if err != nil {
		if ctx.Err() == nil {
			o.failures.Inc()
			o.cfg.Logger.Warn("counting open executions failed", slog.Any("error", err))
		}
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts, o.at, o.counted = map[string]int{}, time.Now(), true
	for name, n := range counts {
		if _, ok := o.known[name]; !ok {
			if len(o.known) >= maxStateMachines {
				name = overflow
			}
			o.known[name] = struct{}{}
		}
		o.counts[name] += n
	}
	o.series = boundedCounts(o.known, o.counts, maxStateMachines)
}

// count reads the open executions per (cleaned) state machine name.
func (o *Open) count(ctx context.Context) (map[string]int, error) {
	q, ok := o.cfg.Store.(store.PartitionQueries)
	l, isLeaser := o.cfg.Store.(store.Leaser)
	if !ok || !isLeaser {
		return o.list(ctx)
	}
	recount := time.Since(o.recounted) >= o.cfg.Recount
	counts := map[string]int{}
	for p := range l.Partitions() {
		read := q.OpenCounts
		if recount {
			read = q.RecountOpen
		}
		kept, err := read(ctx, p)
		if err != nil {
			return nil, err
		}
		for sm, n := range kept {
			counts[clean(sm)] += int(n)
		}
	}
	if recount {
		o.recounted = time.Now()
	}
	return counts, nil
}

// list counts by paging through the listing index.
func (o *Open) list(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	cursor := ""
	for {
		page, next, err := o.cfg.Store.ListExecutions(ctx, store.ListQuery{Status: store.StatusRunning, Cursor: cursor, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		for _, s := range page {
			counts[clean(s.StateMachine)]++
		}
		if next == "" {
			return counts, nil
		}
		cursor = next
	}
}

// boundedCounts is counts over known names as at most limit series, like
// every other state_machine label: past limit names, the ones with the
// fewest open executions are summed as "other" (names are an admin's,
// but a thousand-and-one must not be a thousand-and-one series).
func boundedCounts(known map[string]struct{}, counts map[string]int, limit int) map[string]int {
	out := make(map[string]int, min(len(known), limit))
	if len(known) <= limit {
		for name := range known {
			out[name] = counts[name]
		}
		return out
	}
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	for _, name := range names[:limit-1] {
		out[name] = counts[name]
	}
	for _, name := range names[limit-1:] {
		out[overflow] += counts[name]
	}
	return out
}
