package notify

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the deliveries' counters, by endpoint.
type metrics struct {
	deliveries *prometheus.CounterVec // by endpoint and outcome
	retries    *prometheus.CounterVec
	dead       *prometheus.CounterVec
	lag        *prometheus.GaugeVec
}

// Outcomes of a delivery attempt.
const (
	outcomeDelivered = "delivered" // the endpoint answered 2xx
	outcomeFailed    = "failed"    // an attempt failed; it is tried again
	outcomeDead      = "dead"      // given up: a dead letter
	outcomeDropped   = "dropped"   // given up with the dead letters full
	outcomeTrimmed   = "trimmed"   // the log trimmed changes before they were delivered (a gap, of unknown size)
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfn_notify_deliveries_total",
			Help: "Webhook delivery attempts by endpoint and outcome (delivered, failed, dead, dropped; trimmed counts gaps of changes the log trimmed before delivery)."}, []string{"endpoint", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfn_notify_retries_total",
			Help: "Webhook deliveries tried again after a failed attempt, by endpoint."}, []string{"endpoint"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfn_notify_dead_letters_total",
			Help: "Webhook events given up and kept as dead letters, by endpoint."}, []string{"endpoint"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sfn_notify_lag_seconds",
			Help: "Age of the oldest status change an endpoint's delivery is at (0 when caught up), on the node that delivers it."}, []string{"endpoint"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.deliveries, m.retries, m.dead, m.lag} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
