package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/httpapi/metrics"
	"github.com/sfn-project/sfn/interpreter"
)

// TestLimitSeries: each call limit's calls in flight and waiting are read
// when scraped, and the time calls waited is a histogram by key; a scrape
// whose read fails leaves them out rather than failing.
func TestLimitSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	fail := false
	if err := reg.Register(metrics.LimitCollector(func(context.Context) ([]interpreter.CallLimitState, error) {
		if fail {
			return nil, errors.New("store down")
		}
		return []interpreter.CallLimitState{
			{CallLimit: interpreter.CallLimit{Key: "http:api.example.com"}, InFlight: 3, Waiting: 7},
			{CallLimit: interpreter.CallLimit{Key: "handler:charge"}, InFlight: 1},
		}, nil
	})); err != nil {
		t.Fatal(err)
	}
	m.LimitWaited("http:api.example.com", 1500*time.Millisecond)
	m.LimitWaited("http:api.example.com", 500*time.Millisecond)
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			key := ""
			for _, l := range mt.GetLabel() {
				if l.GetName() == "key" {
					key = l.GetValue()
				}
			}
			switch f.GetName() {
			case "sfn_limit_in_flight", "sfn_limit_waiting":
				got[f.GetName()+" "+key] = mt.GetGauge().GetValue()
			case "sfn_limit_wait_seconds":
				got["wait count "+key] = float64(mt.GetHistogram().GetSampleCount())
				got["wait sum "+key] = mt.GetHistogram().GetSampleSum()
			}
		}
	}
	want := map[string]float64{
		"sfn_limit_in_flight http:api.example.com": 3, "sfn_limit_waiting http:api.example.com": 7,
		"sfn_limit_in_flight handler:charge": 1, "sfn_limit_waiting handler:charge": 0,
		"wait count http:api.example.com": 2, "wait sum http:api.example.com": 2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	fail = true
	families, err = reg.Gather()
	if err != nil {
		t.Fatalf("a failed read fails the scrape: %v", err)
	}
	for _, f := range families {
		if f.GetName() == "sfn_limit_in_flight" {
			t.Errorf("series exported from a failed read")
		}
	}
}
