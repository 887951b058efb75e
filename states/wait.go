package states

import (
	"errors"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Wait computes when a Wait state entered at now ends (a past time means at
// once) and its output (the effective input after OutputPath).
func Wait(s *dsl.State, raw value.Value, now time.Time, env Env) (until time.Time, output value.Value, err error) {
	if s.JSONata {
		q := dsl.NewQueryScope(env, raw)
		if until, err = queryWaitUntil(s, q, now); err != nil {
			return time.Time{}, nil, err
		}
		if s.Output == nil {
			return until, raw, nil
		}
		out, err := s.Output.Eval(q)
		return until, out, err
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return time.Time{}, nil, err
	}
	penv := withInput(env, eff)
	switch {
	case s.Seconds != nil:
		// Load refuses Seconds over dsl.MaxSeconds; a definition built
		// some other way still never wraps.
		var ok bool
		if until, ok = dsl.AddSeconds(now, *s.Seconds); !ok {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The Seconds field must be an integer from 0 to %d: %d", dsl.MaxSeconds, *s.Seconds)
		}
	case s.Timestamp != nil:
		until = *s.Timestamp
		if until.After(dsl.MaxTime) {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The Timestamp field is after %s, the latest time the engine can represent: %s", dsl.MaxTime.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
		}
	case s.SecondsPath != nil:
		v, err := s.SecondsPath.Select(penv)
		if err != nil {
			return time.Time{}, nil, waitPathMissing("SecondsPath", s.SecondsPath.String(), err)
		}
		n, ok := v.(value.Number)
		if !ok || !n.IsInteger() {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath.String(), value.MarshalString(v))
		}
		secs, ok := n.Int64()
		if !ok {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath.String(), value.MarshalString(v))
		}
		if secs < 0 {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The SecondsPath parameter references a negative value: %s == %s", s.SecondsPath.String(), value.MarshalString(v))
		}
		// Checked before any arithmetic: 400 years of seconds times
		// time.Second wraps an int64 and would end the Wait at once.
		if until, ok = dsl.AddSeconds(now, secs); !ok {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The SecondsPath parameter references a value greater than %d, the most seconds a Wait may last: %s == %s", dsl.MaxSeconds, s.SecondsPath.String(), value.MarshalString(v))
		}
	case s.TimestampPath != nil:
		v, err := s.TimestampPath.Select(penv)
		if err != nil {
			return time.Time{}, nil, waitPathMissing("TimestampPath", s.TimestampPath.String(), err)
		}
		str, _ := v.(string)
		t, ok := dsl.ParseTimestamp(str)
		if !ok {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath.String(), displayScalar(v))
		}
		if t.After(dsl.MaxTime) {
			return time.Time{}, nil, failure.Newf(failure.Runtime, "The TimestampPath parameter references a time after %s, the latest the engine can represent: %s == %s", dsl.MaxTime.Format(time.RFC3339Nano), s.TimestampPath.String(), displayScalar(v))
		}
		until = t
	}
	out, err := OutputPath(s, eff, env)
	if err != nil {
		return time.Time{}, nil, err
	}
	return until, out, nil
}

func waitPathMissing(field, path string, err error) error {
	var nr *jsonpath.NoResultError
	if errors.As(err, &nr) {
		return failure.Newf(failure.Runtime, "The %s parameter does not reference an input value: %s", field, path)
	}
	return AsFailure(err)
}

// displayScalar renders a value as AWS does in its cause texts: strings
// without quotes, everything else as JSON.
func displayScalar(v value.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return value.MarshalString(v)
}
