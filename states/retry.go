package states

import (
	"math"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
)

// RetryDecision is what Retry says about an error.
type RetryDecision struct {
	Retry bool
	// Index of the retrier that matched (-1 when none did).
	Index int
	Delay time.Duration
}

// Retry decides whether a state's error is retried. counts holds how many
// times each retrier has already retried (each retrier counts its own
// attempts); the first retrier whose ErrorEquals matches decides, as the
// spec says, even when it is exhausted. random is in [0,1), for FULL jitter.
// aliases are further names the error is matched by (a missed heartbeat is
// States.Timeout, also matched as States.HeartbeatTimeout).
func Retry(retriers []*dsl.Retrier, counts []int64, errName string, random float64, aliases ...string) RetryDecision {
	for i, r := range retriers {
		if !matches(r.ErrorEquals, errName, aliases) {
			continue
		}
		var done int64
		if i < len(counts) {
			done = counts[i]
		}
		if done >= r.MaxAttempts {
			return RetryDecision{Index: i}
		}
		secs := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(done))
		if r.MaxDelaySeconds > 0 && secs > float64(r.MaxDelaySeconds) {
			secs = float64(r.MaxDelaySeconds)
		}
		if r.JitterFull {
			secs *= random
		}
		if secs > math.MaxInt64/float64(time.Second) {
			secs = math.MaxInt64 / float64(time.Second)
		}
		return RetryDecision{Retry: true, Index: i, Delay: time.Duration(secs * float64(time.Second))}
	}
	return RetryDecision{Index: -1}
}

// WithinBudget reports whether the retry d may happen under its retrier's
// MaxElapsedSeconds (an sfn extension): the next attempt would start
// after d.Delay, and none may start more than MaxElapsedSeconds after the
// state's first attempt (elapsed ago). Without a budget it is true.
func (d RetryDecision) WithinBudget(retriers []*dsl.Retrier, elapsed time.Duration) bool {
	if !d.Retry || d.Index < 0 || d.Index >= len(retriers) {
		return d.Retry
	}
	budget := retriers[d.Index].MaxElapsedSeconds
	if budget <= 0 {
		return true
	}
	return elapsed+d.Delay <= time.Duration(budget)*time.Second
}

// Catch returns the first catcher whose ErrorEquals matches the error's
// name or one of its aliases, or nil.
func Catch(catchers []*dsl.Catcher, errName string, aliases ...string) *dsl.Catcher {
	for _, c := range catchers {
		if matches(c.ErrorEquals, errName, aliases) {
			return c
		}
	}
	return nil
}

func matches(errorEquals []string, errName string, aliases []string) bool {
	if failure.Matches(errorEquals, errName) {
		return true
	}
	for _, a := range aliases {
		if failure.Matches(errorEquals, a) {
			return true
		}
	}
	return false
}
