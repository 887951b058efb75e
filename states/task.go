package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// TaskCall is what a Task attempt asks the engine to do.
type TaskCall struct {
	Parameters       value.Value
	TimeoutSeconds   int64 // 0: no timeout
	HeartbeatSeconds int64 // 0: no heartbeat required
}

// Task prepares one attempt of a Task state: InputPath, then Parameters
// (env's context carries $$.Task.Token for callbacks), then the timeouts,
// literal or from their paths.
func Task(s *dsl.State, raw value.Value, env Env) (TaskCall, error) {
	if s.JSONata {
		return queryTask(s, raw, env)
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return TaskCall{}, err
	}
	params, err := Parameters(s, eff, env)
	if err != nil {
		return TaskCall{}, err
	}
	call := TaskCall{Parameters: params, TimeoutSeconds: s.TimeoutSeconds, HeartbeatSeconds: s.HeartbeatSeconds}
	if s.TimeoutSecondsPath != nil {
		if call.TimeoutSeconds, err = positiveSeconds(s.TimeoutSecondsPath, "TimeoutSecondsPath", withInput(env, eff)); err != nil {
			return TaskCall{}, err
		}
	}
	if s.HeartbeatSecondsPath != nil {
		if call.HeartbeatSeconds, err = positiveSeconds(s.HeartbeatSecondsPath, "HeartbeatSecondsPath", withInput(env, eff)); err != nil {
			return TaskCall{}, err
		}
	}
	return call, nil
}

func positiveSeconds(p *dsl.Path, field string, env Env) (int64, error) {
	v, err := p.Select(env)
	if err != nil {
		return 0, pathError(err)
	}
	n, ok := v.(value.Number)
	var secs int64
	if ok {
		secs, ok = n.Int64()
	}
	if !ok || secs <= 0 {
		return 0, failure.Newf(failure.Runtime, "The %s parameter must reference a positive integer: %s == %s", field, p.String(), value.MarshalString(v))
	}
	// The engine adds secs × time.Second to the clock: above AWS's bound
	// the product could wrap and time the task out at once.
	if secs > dsl.MaxSeconds {
		return 0, failure.Newf(failure.Runtime, "The %s parameter references a value greater than %d, the most seconds a task may last: %s == %s", field, dsl.MaxSeconds, p.String(), value.MarshalString(v))
	}
	return secs, nil
}

// TaskOutput finishes a Task with the worker's result (see Output).
func TaskOutput(s *dsl.State, raw, result value.Value, env Env) (value.Value, *value.Object, error) {
	return Output(s, raw, result, env)
}

// ErrorOutput is the document a catcher receives: {"Error", "Cause"}.
func ErrorOutput(e *failure.Error) value.Value {
	o := value.NewObject(2)
	if e.Name == "" {
		// A worker that failed a task without naming an error: AWS hands
		// catchers explicit nulls.
		o.Set("Error", nil)
		if e.Cause == "" {
			o.Set("Cause", nil)
		} else {
			o.Set("Cause", e.Cause)
		}
		return o
	}
	o.Set("Error", e.Name)
	if e.Cause != "" {
		o.Set("Cause", e.Cause)
	}
	return o
}

// CatchOutput places the error output into the state's raw input with the
// catcher's ResultPath (in a JSONata state s: the catcher's Output, or the
// error output). vars are what the catcher's Assign sets, with the error
// output as "$"; the state's own Assign never applies when a catcher does
// (nil vars for a catcher without one).
func CatchOutput(s *dsl.State, c *dsl.Catcher, raw value.Value, e *failure.Error, env Env) (value.Value, *value.Object, error) {
	if s.JSONata {
		return queryCatchOutput(c, raw, e, env)
	}
	errOut := ErrorOutput(e)
	vars, err := Assigned(c.Assign, errOut, env)
	if err != nil {
		return nil, nil, err
	}
	out, err := ApplyResultPath(c.ResultPath, c.ResultPathNull, raw, errOut)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}
