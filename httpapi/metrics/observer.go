package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
)

// Caps of the bounded labels (see limiter).
const (
	maxStateMachines = 1000
	maxStates        = 2000
	maxErrors        = 500
)

// Metrics holds sfn's engine and store series. It implements
// interpreter.Observer; pass it as interpreter.Config.Observer.
type Metrics struct {
	reg prometheus.Registerer

	started, redriven *prometheus.CounterVec
	ended             *prometheus.CounterVec
	transitions       *prometheus.CounterVec
	taskCalls         *prometheus.CounterVec
	taskDuration      *prometheus.HistogramVec
	retries           *prometheus.CounterVec
	catches           *prometheus.CounterVec
	timerLag          prometheus.Histogram
	limitWait         *prometheus.HistogramVec
	store             *storeMetrics

	machines, states, errs *limiter
	// bySM caches each state machine's series, so that a step costs a map
	// read and a few atomic adds rather than label hashing.
	bySM sync.Map // string -> *machineSeries
}

var (
	_ interpreter.Observer      = (*Metrics)(nil)
	_ interpreter.LimitObserver = (*Metrics)(nil)
)

// machineSeries are the per-step counters of one state machine.
type machineSeries struct {
	label                                string // the bounded label value
	started, redriven                    prometheus.Counter
	succeeded, failed, timedOut, aborted prometheus.Counter
	kinds                                map[dsl.Kind]prometheus.Counter
}

var allKinds = []dsl.Kind{dsl.Pass, dsl.Task, dsl.Choice, dsl.Wait, dsl.Succeed, dsl.Fail, dsl.Parallel, dsl.Map}

// Latency buckets: task calls range from in-process handlers (microseconds)
// to activities and callbacks (hours).
var (
	taskBuckets  = []float64{.001, .005, .025, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600}
	lagBuckets   = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	storeBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
)

// New makes the series and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_executions_started_total", Help: "Executions started, by state machine.",
		}, []string{"state_machine"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_executions_ended_total", Help: "Executions that ended, by state machine and status (succeeded, failed, timed_out, aborted).",
		}, []string{"state_machine", "status"}),
		redriven: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_executions_redriven_total", Help: "Executions redriven, by state machine.",
		}, []string{"state_machine"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_state_transitions_total", Help: "States entered, by state machine and state kind.",
		}, []string{"state_machine", "kind"}),
		taskCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_task_calls_total", Help: "Finished task attempts, by resource kind (handler, http, activity) and outcome (succeeded, failed, timed_out).",
		}, []string{"resource_kind", "outcome"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sfn_task_duration_seconds", Help: "Time from a task attempt's scheduling to its end, by resource kind.",
			Buckets: taskBuckets,
		}, []string{"resource_kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_retries_total", Help: "Retries made by Retry rules, by state machine, state and error name.",
		}, []string{"state_machine", "state", "error"}),
		catches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_catches_total", Help: "Errors caught by Catch rules, by state machine and error name.",
		}, []string{"state_machine", "error"}),
		timerLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sfn_timer_lag_seconds", Help: "How late timers (waits, back-offs, timeouts) were handled after they fell due.",
			Buckets: lagBuckets,
		}),
		limitWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sfn_limit_wait_seconds", Help: "How long task calls waited for their key's call limit before they were made, by key (calls that did not wait are not counted).",
			Buckets: taskBuckets,
		}, []string{"key"}),
		store:    newStoreMetrics(),
		machines: newLimiter(maxStateMachines), states: newLimiter(maxStates), errs: newLimiter(maxErrors),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.started, m.ended, m.redriven, m.transitions, m.taskCalls,
		m.taskDuration, m.retries, m.catches, m.timerLag, m.limitWait, m.store.duration, m.store.errors} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) machine(name string) *machineSeries {
	if s, ok := m.bySM.Load(name); ok {
		return s.(*machineSeries)
	}
	l := m.machines.value(name)
	s := &machineSeries{
		label:     l,
		started:   m.started.WithLabelValues(l),
		redriven:  m.redriven.WithLabelValues(l),
		succeeded: m.ended.WithLabelValues(l, "succeeded"),
		failed:    m.ended.WithLabelValues(l, "failed"),
		timedOut:  m.ended.WithLabelValues(l, "timed_out"),
		aborted:   m.ended.WithLabelValues(l, "aborted"),
		kinds:     make(map[dsl.Kind]prometheus.Counter, len(allKinds)),
	}
	for _, k := range allKinds {
		s.kinds[k] = m.transitions.WithLabelValues(l, string(k))
	}
	if l == overflow {
		// Past the cap every new name maps to "other"; do not cache them
		// one by one, or the cache would grow without end.
		return s
	}
	actual, _ := m.bySM.LoadOrStore(name, s)
	return actual.(*machineSeries)
}

// StepCommitted counts one committed step.
func (m *Metrics) StepCommitted(r interpreter.StepReport) {
	s := m.machine(r.StateMachine)
	for _, ev := range r.Events {
		switch ev {
		case "ExecutionStarted":
			s.started.Inc()
		case "ExecutionSucceeded":
			s.succeeded.Inc()
		case "ExecutionFailed":
			s.failed.Inc()
		case "ExecutionTimedOut":
			s.timedOut.Inc()
		case "ExecutionAborted":
			s.aborted.Inc()
		case "ExecutionRedriven":
			s.redriven.Inc()
		}
	}
	for _, k := range r.Transitions {
		if c, ok := s.kinds[k]; ok {
			c.Inc()
		}
	}
	for _, t := range r.Tasks {
		kind := clean(string(t.Kind))
		m.taskCalls.WithLabelValues(kind, clean(t.Outcome)).Inc()
		m.taskDuration.WithLabelValues(kind).Observe(t.Latency.Seconds())
	}
	for _, rt := range r.Retries {
		m.retries.WithLabelValues(s.label, m.states.value(rt.State), m.errs.value(rt.Error)).Inc()
	}
	for _, c := range r.Catches {
		m.catches.WithLabelValues(s.label, m.errs.value(c)).Inc()
	}
}

// LimitWaited records how long a call waited for its key's limit. Keys
// are the operators' configuration (a bounded set), not the workflows'.
func (m *Metrics) LimitWaited(key string, d time.Duration) {
	m.limitWait.WithLabelValues(key).Observe(d.Seconds())
}

// LimitCollector exports each call limit's calls in flight and waiting,
// read from the store when scraped (every node reports the same,
// cluster-wide counts: sum or max them, do not add them up across nodes).
func LimitCollector(limits func(ctx context.Context) ([]interpreter.CallLimitState, error)) prometheus.Collector {
	return &limitCollector{limits: limits,
		inFlight: prometheus.NewDesc("sfn_limit_in_flight", "Task calls holding a slot of a call limit, across all nodes, by key.", []string{"key"}, nil),
		waiting:  prometheus.NewDesc("sfn_limit_waiting", "Task calls waiting for a slot of a call limit, across all nodes, by key.", []string{"key"}, nil),
	}
}

type limitCollector struct {
	limits            func(ctx context.Context) ([]interpreter.CallLimitState, error)
	inFlight, waiting *prometheus.Desc
}

func (c *limitCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inFlight
	ch <- c.waiting
}

func (c *limitCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	limits, err := c.limits(ctx)
	if err != nil {
		return // a scrape without them rather than a failed scrape
	}
	for _, l := range limits {
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(l.InFlight), l.Key)
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(l.Waiting), l.Key)
	}
}

// TimerFired records how late a timer was handled.
func (m *Metrics) TimerFired(lag time.Duration) {
	if lag < 0 {
		lag = 0
	}
	m.timerLag.Observe(lag.Seconds())
}
