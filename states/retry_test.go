package states_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/states"
)

func TestRetryDecision(t *testing.T) {
	t.Parallel()
	a := &dsl.Retrier{ErrorEquals: []string{"A"}, IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5}
	all := &dsl.Retrier{ErrorEquals: []string{failure.All}, IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 1}
	jitter := &dsl.Retrier{ErrorEquals: []string{"J"}, IntervalSeconds: 10, MaxAttempts: 2, BackoffRate: 1, JitterFull: true}
	zero := &dsl.Retrier{ErrorEquals: []string{"Z"}, IntervalSeconds: 1, MaxAttempts: 0, BackoffRate: 2}
	for _, tc := range []struct {
		name     string
		retriers []*dsl.Retrier
		counts   []int64
		err      string
		aliases  []string
		want     states.RetryDecision
	}{
		{"first attempt", []*dsl.Retrier{a, all}, nil, "A", nil, states.RetryDecision{Retry: true, Index: 0, Delay: 2 * time.Second}},
		{"backoff", []*dsl.Retrier{a, all}, []int64{1, 0}, "A", nil, states.RetryDecision{Retry: true, Index: 0, Delay: 4 * time.Second}},
		{"capped", []*dsl.Retrier{a, all}, []int64{2, 0}, "A", nil, states.RetryDecision{Retry: true, Index: 0, Delay: 5 * time.Second}},
		{"exhausted retrier decides", []*dsl.Retrier{a, all}, []int64{3, 0}, "A", nil, states.RetryDecision{Index: 0}},
		{"falls to States.ALL", []*dsl.Retrier{a, all}, nil, "B", nil, states.RetryDecision{Retry: true, Index: 1, Delay: time.Second}},
		{"MaxAttempts 0", []*dsl.Retrier{zero, all}, nil, "Z", nil, states.RetryDecision{Index: 0}},
		{"full jitter", []*dsl.Retrier{jitter}, nil, "J", nil, states.RetryDecision{Retry: true, Index: 0, Delay: 2500 * time.Millisecond}},
		{"terminal errors never retry", []*dsl.Retrier{all}, nil, failure.Runtime, nil, states.RetryDecision{Index: -1}},
		{"no match", []*dsl.Retrier{a}, nil, "B", nil, states.RetryDecision{Index: -1}},
		{"alias matches", []*dsl.Retrier{{ErrorEquals: []string{failure.HeartbeatTimeout}, IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 1}},
			nil, failure.Timeout, []string{failure.HeartbeatTimeout}, states.RetryDecision{Retry: true, Index: 0, Delay: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := states.Retry(tc.retriers, tc.counts, tc.err, 0.25, tc.aliases...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCatchFirstMatchWins(t *testing.T) {
	t.Parallel()
	c1 := &dsl.Catcher{ErrorEquals: []string{"A"}, Next: "One"}
	c2 := &dsl.Catcher{ErrorEquals: []string{failure.TaskFailed}, Next: "Two"}
	c3 := &dsl.Catcher{ErrorEquals: []string{failure.All}, Next: "Three"}
	list := []*dsl.Catcher{c1, c2, c3}
	for err, want := range map[string]string{"A": "One", "B": "Two", failure.Timeout: "Three", failure.Runtime: ""} {
		got := states.Catch(list, err)
		name := ""
		if got != nil {
			name = got.Next
		}
		if name != want {
			t.Errorf("%s caught by %q, want %q", err, name, want)
		}
	}
}

func TestMapTolerated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		plan          states.MapPlan
		failed, total int
		want          bool
	}{
		{"no failures", states.MapPlan{}, 0, 3, true},
		{"no tolerance", states.MapPlan{}, 1, 3, false},
		{"count within", states.MapPlan{HasCount: true, ToleranceCount: 1}, 1, 5, true},
		{"count over", states.MapPlan{HasCount: true, ToleranceCount: 1}, 2, 5, false},
		{"percentage exactly", states.MapPlan{HasPercent: true, TolerancePercent: 25}, 1, 4, true},
		{"percentage over", states.MapPlan{HasPercent: true, TolerancePercent: 25}, 2, 4, false},
		// Either threshold exceeded fails the Map (AWS's Developer Guide,
		// Tolerated failure threshold): the count is, here.
		{"either exceeded fails", states.MapPlan{HasCount: true, ToleranceCount: 0, HasPercent: true, TolerancePercent: 50}, 2, 4, false},
		{"both within", states.MapPlan{HasCount: true, ToleranceCount: 2, HasPercent: true, TolerancePercent: 50}, 2, 4, true},
		{"a third of three", states.MapPlan{HasPercent: true, TolerancePercent: 33.333333333333336}, 1, 3, true},
	} {
		if got := tc.plan.Tolerated(tc.failed, tc.total); got != tc.want {
			t.Errorf("%s: Tolerated(%d, %d) = %v", tc.name, tc.failed, tc.total, got)
		}
	}
}

// TestRetryWithinBudget: MaxElapsedSeconds lets no attempt start later
// than that many seconds after the state's first attempt.
func TestRetryWithinBudget(t *testing.T) {
	budget := []*dsl.Retrier{{ErrorEquals: []string{"States.ALL"}, IntervalSeconds: 10, MaxAttempts: 100, BackoffRate: 2, MaxElapsedSeconds: 60}}
	none := []*dsl.Retrier{{ErrorEquals: []string{"States.ALL"}, IntervalSeconds: 10, MaxAttempts: 100, BackoffRate: 2}}
	tests := []struct {
		name     string
		retriers []*dsl.Retrier
		counts   []int64
		elapsed  time.Duration
		want     bool
	}{
		{"first retry, well within", budget, nil, 0, true},                                 // starts at 10 s
		{"next attempt exactly at the budget", budget, []int64{2}, 20 * time.Second, true}, // 20 + 40 = 60
		{"next attempt past the budget", budget, []int64{2}, 21 * time.Second, false},
		{"budget spent already", budget, nil, 61 * time.Second, false},
		{"no budget", none, []int64{5}, 100 * time.Hour, true},
	}
	for _, tt := range tests {
		d := states.Retry(tt.retriers, tt.counts, "E", 0.5)
		if !d.Retry {
			t.Fatalf("%s: Retry says no retry at all", tt.name)
		}
		if got := d.WithinBudget(tt.retriers, tt.elapsed); got != tt.want {
			t.Errorf("%s: WithinBudget after %v (delay %v) = %v, want %v", tt.name, tt.elapsed, d.Delay, got, tt.want)
		}
	}
	if (states.RetryDecision{Index: -1}).WithinBudget(budget, 0) {
		t.Errorf("no retry is never within a budget")
	}
}
