package dsl

import (
	"testing"
	"time"
)

// TestTimeLimits: numbers of seconds over AWS's 99999999 and timestamps
// after the latest instant the engine can represent are refused at upload,
// with their position and pointer, instead of wrapping at run time (a Wait
// of 400 years used to end at once).
func TestTimeLimits(t *testing.T) {
	t.Parallel()
	wait := func(field, v string) string {
		return "StartAt: W\nStates:\n  W:\n    Type: Wait\n    " + field + ": " + v + "\n    End: true\n"
	}
	task := func(field, v string) string {
		return "StartAt: T\nStates:\n  T:\n    Type: Task\n    Resource: handler:work\n    " + field + ": " + v + "\n    End: true\n"
	}
	var cases []ruleCase
	for _, n := range []string{"0", "99999999"} {
		cases = append(cases, ruleCase{name: "Seconds " + n + " accepted", src: wait("Seconds", n)})
	}
	for _, n := range []string{"100000000", "12614400000", "9223372036854775807", "99999999999999999999", "1e30"} {
		cases = append(cases,
			ruleCase{name: "Seconds " + n + " refused", src: wait("Seconds", n),
				want: []got{e(CodeInvalidWait, "/States/W/Seconds", 5, 14)}, phrase: "at most 99999999 seconds"},
			ruleCase{name: "TimeoutSeconds " + n + " refused", src: task("TimeoutSeconds", n),
				want: []got{e(CodeSchema, "/States/T/TimeoutSeconds", 6, 21)}, phrase: "at most 99999999 seconds"},
			ruleCase{name: "HeartbeatSeconds " + n + " refused", src: task("HeartbeatSeconds", n),
				want: []got{e(CodeSchema, "/States/T/HeartbeatSeconds", 6, 23)}, phrase: "at most 99999999 seconds"},
			ruleCase{name: "execution TimeoutSeconds " + n + " refused", src: "TimeoutSeconds: " + n + "\n" + wait("Seconds", "1"),
				want: []got{e(CodeSchema, "/TimeoutSeconds", 1, 17)}, phrase: "at most 99999999 seconds"},
		)
	}
	cases = append(cases,
		ruleCase{name: "TimeoutSeconds 99999999 accepted", src: task("TimeoutSeconds", "99999999")},
		ruleCase{name: "HeartbeatSeconds 99999999 accepted", src: task("HeartbeatSeconds", "99999999")},
		ruleCase{name: "execution TimeoutSeconds 99999999 accepted", src: "TimeoutSeconds: 99999999\n" + wait("Seconds", "1")},
		ruleCase{name: "Timestamp at the latest time accepted", src: wait("Timestamp", `"2262-04-11T23:47:16Z"`)},
		ruleCase{name: "Timestamp in the past accepted", src: wait("Timestamp", `"0001-01-01T00:00:00Z"`)},
		ruleCase{name: "Timestamp after the latest time refused", src: wait("Timestamp", `"2262-04-11T23:47:17Z"`),
			want: []got{e(CodeInvalidTimestamp, "/States/W/Timestamp", 5, 16)}, phrase: "the latest time sfn can represent"},
		ruleCase{name: "Timestamp in year 9999 refused", src: wait("Timestamp", `"9999-12-31T23:59:59+18:00"`),
			want: []got{e(CodeInvalidTimestamp, "/States/W/Timestamp", 5, 16)}, phrase: "after 2262-04-11T23:47:16.854775807Z"},
	)
	runRuleCases(t, cases)
}

func TestAddSeconds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		secs int64
		ok   bool
	}{
		{now, 0, true},
		{now, MaxSeconds, true},
		{now, MaxSeconds + 1, false},
		{now, 12614400000, false},
		{now, 1<<63 - 1, false},
		{now, -1, false},
		{MaxTime, 1, false},
		{MaxTime.Add(-2 * time.Second), 1, true},
	} {
		got, ok := AddSeconds(tc.at, tc.secs)
		if ok != tc.ok || ok && !got.Equal(tc.at.Add(time.Duration(tc.secs)*time.Second)) || ok && got.Before(tc.at) {
			t.Errorf("AddSeconds(%s, %d) = %s, %v; want ok %v", tc.at, tc.secs, got, ok, tc.ok)
		}
	}
}
