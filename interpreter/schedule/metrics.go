package schedule

import "github.com/prometheus/client_golang/prometheus"

// metrics of the schedules this node fires.
type metrics struct {
	fires *prometheus.CounterVec
	skips *prometheus.CounterVec
	lag   prometheus.Histogram
	owned prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, _ *Scheduler) *metrics {
	m := &metrics{
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfn_schedule_fires_total",
			Help: "Slots that started an execution (or found the one a previous fire started), by kind (scheduled, catchup, trigger, backfill, buffered)."}, []string{"kind"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfn_schedule_skips_total",
			Help: "Slots that started nothing, by reason (overlap, missed: older than the catch-up window, paused, disabled, failed: the start was refused, replaced: dropped by a change of the expression, time zone or start date)."}, []string{"reason"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sfn_schedule_fire_lag_seconds",
			Help:    "Time from a slot's fire time (its jitter included) to the start of its execution, for scheduled and catch-up fires.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sfn_schedules_owned",
			Help: "Schedules this node fires (those whose partition it holds)."}),
	}
	for _, k := range []string{KindScheduled, KindCatchup, KindTrigger, KindBackfill, KindBuffered} {
		m.fires.WithLabelValues(k)
	}
	for _, r := range []string{SkipOverlap, SkipMissed, SkipPaused, SkipDisabled, SkipFailed, SkipReplaced} {
		m.skips.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.fires, m.skips, m.lag, m.owned)
	}
	return m
}

func (m *metrics) apply(fx effects) {
	for k, n := range fx.fires {
		m.fires.WithLabelValues(k).Add(float64(n))
	}
	for r, n := range fx.skips {
		m.skips.WithLabelValues(r).Add(float64(n))
	}
	for _, l := range fx.lags {
		m.lag.Observe(l)
	}
}
