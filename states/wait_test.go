package states_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

func loadState(t *testing.T, state string) *dsl.State {
	t.Helper()
	def, ps := dsl.Load([]byte(`{"StartAt": "S", "States": {"S": `+state+`}}`), dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	return def.States["S"]
}

// TestWaitNeverWraps: a Wait's end is computed without overflow. Seconds
// over 99999999 (AWS's bound) and timestamps after the latest instant the
// engine represents fail the state with States.Runtime naming the value;
// 400 years used to wrap to 1842 and end the Wait at once.
func TestWaitNeverWraps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	secondsPath := loadState(t, `{"Type": "Wait", "SecondsPath": "$.s", "End": true}`)
	timestampPath := loadState(t, `{"Type": "Wait", "TimestampPath": "$.t", "End": true}`)
	for _, tc := range []struct {
		name  string
		state *dsl.State
		input string
		until time.Time // when it succeeds
		cause string    // when it fails
	}{
		{"largest seconds", secondsPath, `{"s": 99999999}`, now.Add(99999999 * time.Second), ""},
		{"zero seconds", secondsPath, `{"s": 0}`, now, ""},
		{"one second too many", secondsPath, `{"s": 100000000}`, time.Time{}, "The SecondsPath parameter references a value greater than 99999999, the most seconds a Wait may last: $.s == 100000000"},
		{"400 years", secondsPath, `{"s": 12614400000}`, time.Time{}, "$.s == 12614400000"},
		{"max int64", secondsPath, `{"s": 9223372036854775807}`, time.Time{}, "$.s == 9223372036854775807"},
		{"beyond int64", secondsPath, `{"s": 99999999999999999999}`, time.Time{}, "cannot be parsed as a long value"},
		{"latest timestamp", timestampPath, `{"t": "2262-04-11T23:47:16Z"}`, time.Date(2262, 4, 11, 23, 47, 16, 0, time.UTC), ""},
		{"past timestamp", timestampPath, `{"t": "0001-01-01T00:00:00Z"}`, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp too late", timestampPath, `{"t": "9999-12-31T23:59:59Z"}`, time.Time{}, "The TimestampPath parameter references a time after 2262-04-11T23:47:16.854775807Z, the latest the engine can represent: $.t == 9999-12-31T23:59:59Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			until, _, err := states.Wait(tc.state, value.MustDecode(tc.input), now, states.Env{})
			if tc.cause == "" {
				if err != nil || !until.Equal(tc.until) {
					t.Fatalf("Wait = %s, %v; want %s", until, err, tc.until)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.Runtime || !strings.Contains(fe.Cause, tc.cause) {
				t.Fatalf("Wait = %s, %v; want %s containing %q", until, err, failure.Runtime, tc.cause)
			}
		})
	}

	// A definition that skipped Load's checks still never wraps.
	s := &dsl.State{Kind: dsl.Wait, Seconds: new(int64)}
	*s.Seconds = 12614400000
	if until, _, err := states.Wait(s, value.NewObject(0), now, states.Env{}); err == nil {
		t.Errorf("Wait of 400 literal seconds = %s, want an error", until)
	}
}

// TestTaskTimeoutPathsBounded: TimeoutSecondsPath and HeartbeatSecondsPath
// over 99999999 fail the state with States.Runtime naming the value, rather
// than reaching the engine's duration arithmetic.
func TestTaskTimeoutPathsBounded(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"TimeoutSecondsPath", "HeartbeatSecondsPath"} {
		s := loadState(t, `{"Type": "Task", "Resource": "handler:work", "`+field+`": "$.n", "End": true}`)
		for _, tc := range []struct {
			n     string
			cause string
		}{
			{"99999999", ""},
			{"100000000", "The " + field + " parameter references a value greater than 99999999, the most seconds a task may last: $.n == 100000000"},
			{"12614400000", "$.n == 12614400000"},
			{"9223372036854775807", "$.n == 9223372036854775807"},
		} {
			call, err := states.Task(s, value.MustDecode(`{"n": `+tc.n+`}`), states.Env{})
			if tc.cause == "" {
				if err != nil || call.TimeoutSeconds+call.HeartbeatSeconds != 99999999 {
					t.Errorf("%s %s: %+v, %v; want accepted", field, tc.n, call, err)
				}
				continue
			}
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.Runtime || !strings.Contains(fe.Cause, tc.cause) {
				t.Errorf("%s %s: %v; want %s containing %q", field, tc.n, err, failure.Runtime, tc.cause)
			}
		}
	}
}
