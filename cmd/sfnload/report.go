package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// report is what one run measured.
type report struct {
	title   string
	elapsed time.Duration
	// rates are the headline counts, printed per second in this order.
	rates []rate
	// latencies are per-request timings of the measured request kind.
	latencyName string
	latencies   []time.Duration
	// statuses counts answers by status (transport errors as "error: …").
	statuses map[string]int
	// ok lists the statuses that are not errors.
	ok   map[string]bool
	note []string
}

type rate struct {
	name  string
	count int
}

func (r *report) errorCount() int {
	n := 0
	for s, c := range r.statuses {
		if !r.ok[s] {
			n += c
		}
	}
	return n
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n", r.title)
	fmt.Fprintf(w, "  elapsed     %s\n", r.elapsed.Round(time.Millisecond))
	secs := r.elapsed.Seconds()
	for _, x := range r.rates {
		fmt.Fprintf(w, "  %-11s %d (%.1f/s)\n", x.name, x.count, float64(x.count)/secs)
	}
	if len(r.latencies) > 0 {
		slices.Sort(r.latencies)
		fmt.Fprintf(w, "  latency     %s: p50 %s  p90 %s  p99 %s  max %s  (n=%d)\n", r.latencyName,
			fmtDur(pct(r.latencies, 50)), fmtDur(pct(r.latencies, 90)), fmtDur(pct(r.latencies, 99)),
			fmtDur(r.latencies[len(r.latencies)-1]), len(r.latencies))
	}
	keys := make([]string, 0, len(r.statuses))
	for k := range r.statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.statuses[k]))
	}
	fmt.Fprintf(w, "  answers     %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "  errors      %d\n", r.errorCount())
	for _, n := range r.note {
		fmt.Fprintf(w, "  note        %s\n", n)
	}
}

// pct is the p-th percentile of sorted durations (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

// tally is one goroutine's counts, merged at the end so that the hot loop
// takes no lock.
type tally struct {
	latencies []time.Duration
	statuses  map[string]int
	done      int
}

func newTally() *tally { return &tally{statuses: map[string]int{}} }

func (t *tally) status(code int, err error) {
	if err != nil {
		t.statuses["error: "+shortErr(err)]++
		return
	}
	t.statuses[fmt.Sprint(code)]++
}

// shortErr keeps the error kind and drops addresses, so that counts group.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// collector gathers the tallies of all goroutines.
type collector struct {
	mu      sync.Mutex
	tallies []*tally
}

func (c *collector) add(t *tally) {
	c.mu.Lock()
	c.tallies = append(c.tallies, t)
	c.mu.Unlock()
}

func (c *collector) merge(r *report) (done int) {
	r.statuses = map[string]int{}
	for _, t := range c.tallies {
		r.latencies = append(r.latencies, t.latencies...)
		for k, v := range t.statuses {
			r.statuses[k] += v
		}
		done += t.done
	}
	return done
}
