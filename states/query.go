package states

import (
	"math"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// JSONata states: no InputPath, Parameters, ResultSelector, ResultPath or
// OutputPath. Their fields are evaluated with $states.input (the raw
// input), $states.context, $states.result once there is one, and the
// variables from before the state; Output (default: the result, or the
// input for states without one) is the state's output, and Assign sees
// the same $states as Output.

// queryOutput finishes a JSONata state: its Assign, then its Output
// (default def), both over q.
func queryOutput(s *dsl.State, q *dsl.QueryScope, def value.Value) (value.Value, *value.Object, error) {
	return assignThenOutput(s.Assign, s.Output, q, def)
}

// assignThenOutput evaluates assign (when set), then output (default
// def), both over q: the finish of a JSONata state, catcher or matched
// choice rule.
func assignThenOutput(assign *dsl.Assign, output *dsl.QueryTemplate, q *dsl.QueryScope, def value.Value) (value.Value, *value.Object, error) {
	var vars *value.Object
	if assign != nil {
		var err error
		if vars, err = assign.EvalQuery(q); err != nil {
			return nil, nil, err
		}
	}
	if output == nil {
		return def, vars, nil
	}
	out, err := output.Eval(q)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

// queryResultOutput finishes a JSONata Task, Map or Parallel with its result.
func queryResultOutput(s *dsl.State, raw, result value.Value, env Env) (value.Value, *value.Object, error) {
	return queryOutput(s, dsl.NewQueryScope(env, raw).WithResult(result), result)
}

// queryCatchOutput is a JSONata catcher's output and variables: its
// Output (default: the error output) and Assign, with $states.errorOutput.
func queryCatchOutput(c *dsl.Catcher, raw value.Value, e *failure.Error, env Env) (value.Value, *value.Object, error) {
	errOut := ErrorOutput(e)
	q := dsl.NewQueryScope(env, raw).WithErrorOutput(errOut)
	return assignThenOutput(c.Assign, c.Output, q, errOut)
}

// queryInteger evaluates an integer field given as an expression (a task
// timeout, MaxConcurrency, ToleratedFailureCount): from min to max. The
// cause names dsl.MaxSeconds as the upper bound whatever max is.
func queryInteger(t *dsl.QueryTemplate, q *dsl.QueryScope, field string, min, max int64) (int64, error) {
	v, err := t.Eval(q)
	if err != nil {
		return 0, err
	}
	n, ok := v.(value.Number)
	var i int64
	if ok {
		i, ok = n.Int64()
	}
	if !ok || i < min || i > max {
		return 0, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected an integer from %d to %d, but was: %s", t.Text(), field, min, int64(dsl.MaxSeconds), value.MarshalString(v))
	}
	return i, nil
}

func queryNumber(t *dsl.QueryTemplate, q *dsl.QueryScope, field string) (float64, error) {
	v, err := t.Eval(q)
	if err != nil {
		return 0, err
	}
	n, ok := v.(value.Number)
	if !ok || n.Float64() < 0 || n.Float64() > 100 {
		return 0, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected a number from 0 to 100, but was: %s", t.Text(), field, value.MarshalString(v))
	}
	return n.Float64(), nil
}

// queryWaitUntil is a JSONata Wait's end: Seconds or Timestamp, literal or
// an expression.
func queryWaitUntil(s *dsl.State, q *dsl.QueryScope, now time.Time) (time.Time, error) {
	switch {
	case s.SecondsQuery != nil:
		v, err := s.SecondsQuery.Eval(q)
		if err != nil {
			return time.Time{}, err
		}
		n, ok := v.(value.Number)
		var secs int64
		if ok {
			secs, ok = n.Int64()
		}
		if !ok || secs < 0 {
			return time.Time{}, failure.Newf(failure.QueryEvaluationError, "The Seconds field must be a non-negative integer: %s", value.MarshalString(v))
		}
		until, ok := dsl.AddSeconds(now, secs)
		if !ok {
			return time.Time{}, failure.Newf(failure.QueryEvaluationError, "The Seconds field must be at most %d: %d", dsl.MaxSeconds, secs)
		}
		return until, nil
	case s.TimestampQuery != nil:
		v, err := s.TimestampQuery.Eval(q)
		if err != nil {
			return time.Time{}, err
		}
		str, _ := v.(string)
		t, ok := dsl.ParseTimestamp(str)
		if !ok || t.After(dsl.MaxTime) {
			return time.Time{}, failure.Newf(failure.QueryEvaluationError, "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", displayScalar(v))
		}
		return t, nil
	case s.Seconds != nil:
		until, ok := dsl.AddSeconds(now, *s.Seconds)
		if !ok {
			return time.Time{}, failure.Newf(failure.Runtime, "The Seconds field must be an integer from 0 to %d: %d", dsl.MaxSeconds, *s.Seconds)
		}
		return until, nil
	case s.Timestamp != nil:
		return *s.Timestamp, nil
	}
	return now, nil
}

// queryChoice picks a JSONata Choice's next state: the first rule whose
// Condition is true, with its Output and Assign; else the Default with
// the state's.
func queryChoice(s *dsl.State, raw value.Value, env Env) (string, value.Value, *value.Object, error) {
	q := dsl.NewQueryScope(env, raw)
	for _, r := range s.Choices {
		if r.Condition == nil {
			continue
		}
		v, err := r.Condition.Eval(q)
		if err != nil {
			return "", nil, nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return "", nil, nil, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", r.Condition.Text(), value.TypeName(v), value.MarshalString(v))
		}
		if !b {
			continue
		}
		out, vars, err := assignThenOutput(r.Assign, r.Output, q, raw)
		if err != nil {
			return "", nil, nil, err
		}
		return r.Next, out, vars, nil
	}
	if s.Default == "" {
		return "", nil, nil, failure.Newf(failure.NoChoiceMatched, "No Matches!")
	}
	out, vars, err := queryOutput(s, q, raw)
	if err != nil {
		return "", nil, nil, err
	}
	return s.Default, out, vars, nil
}

// queryMapStart plans a JSONata Map: Items (default: the input, which must
// be an array), MaxConcurrency and the tolerances, literal or expressions.
func queryMapStart(s *dsl.State, raw value.Value, env Env) (MapPlan, error) {
	q := dsl.NewQueryScope(env, raw)
	plan := MapPlan{Effective: raw, MaxConcurrency: s.MaxConcurrency}
	items := raw
	if s.Items != nil {
		v, err := s.Items.Eval(q)
		if err != nil {
			return MapPlan{}, err
		}
		if _, ok := v.([]any); !ok {
			return MapPlan{}, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", s.Items.Text(), value.TypeName(v), value.MarshalString(v))
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return MapPlan{}, failure.Newf(failure.QueryEvaluationError, "Map state input must be an array but was: %s", value.MarshalString(items))
	}
	plan.Items = arr
	var err error
	if s.MaxConcurrencyQuery != nil {
		if plan.MaxConcurrency, err = queryInteger(s.MaxConcurrencyQuery, q, "MaxConcurrency", 0, math.MaxInt64); err != nil {
			return MapPlan{}, err
		}
	}
	plan.TolerancePercent, plan.HasPercent = s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage
	if s.ToleratedFailurePercentageQuery != nil {
		if plan.TolerancePercent, err = queryNumber(s.ToleratedFailurePercentageQuery, q, "ToleratedFailurePercentage"); err != nil {
			return MapPlan{}, err
		}
		plan.HasPercent = true
	}
	plan.ToleranceCount, plan.HasCount = s.ToleratedFailureCount, s.HasToleratedFailureCount
	if s.ToleratedFailureCountQuery != nil {
		if plan.ToleranceCount, err = queryInteger(s.ToleratedFailureCountQuery, q, "ToleratedFailureCount", 0, math.MaxInt64); err != nil {
			return MapPlan{}, err
		}
		plan.HasCount = true
	}
	return plan, nil
}

// queryTask prepares a JSONata Task attempt: Arguments (default: the
// input), then the timeouts, literal or expressions.
func queryTask(s *dsl.State, raw value.Value, env Env) (TaskCall, error) {
	q := dsl.NewQueryScope(env, raw)
	call := TaskCall{Parameters: raw, TimeoutSeconds: s.TimeoutSeconds, HeartbeatSeconds: s.HeartbeatSeconds}
	var err error
	if s.Arguments != nil {
		if call.Parameters, err = s.Arguments.Eval(q); err != nil {
			return TaskCall{}, err
		}
	}
	if s.TimeoutSecondsQuery != nil {
		if call.TimeoutSeconds, err = queryInteger(s.TimeoutSecondsQuery, q, "TimeoutSeconds", 1, dsl.MaxSeconds); err != nil {
			return TaskCall{}, err
		}
	}
	if s.HeartbeatSecondsQuery != nil {
		if call.HeartbeatSeconds, err = queryInteger(s.HeartbeatSecondsQuery, q, "HeartbeatSeconds", 1, dsl.MaxSeconds); err != nil {
			return TaskCall{}, err
		}
	}
	return call, nil
}
