package states

import (
	"errors"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Fail computes a Fail state's error and cause, from literals or from
// ErrorPath/CausePath (paths or intrinsic functions over the raw input).
func Fail(s *dsl.State, raw value.Value, env Env) (errName, cause string, err error) {
	errName, cause = s.Error, s.Cause
	if s.JSONata {
		q := dsl.NewQueryScope(env, raw)
		for _, f := range []struct {
			t   *dsl.QueryTemplate
			dst *string
		}{{s.ErrorQuery, &errName}, {s.CauseQuery, &cause}} {
			if f.t == nil {
				continue
			}
			v, err := f.t.Eval(q)
			if err != nil {
				return "", "", err
			}
			*f.dst = displayScalar(v)
		}
		return errName, cause, nil
	}
	env = withInput(env, raw)
	if s.ErrorExpr != nil {
		if errName, err = failField(s.ErrorExpr, "ErrorPath", env); err != nil {
			return "", "", err
		}
	}
	if s.CauseExpr != nil {
		if cause, err = failField(s.CauseExpr, "CausePath", env); err != nil {
			return "", "", err
		}
	}
	return errName, cause, nil
}

func failField(e *dsl.Expr, field string, env Env) (string, error) {
	v, err := e.Eval(env)
	if err != nil {
		var nr *jsonpath.NoResultError
		if errors.As(err, &nr) {
			return "", failure.Newf(failure.Runtime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", e.Text, field, value.MarshalString(env.Input))
		}
		return "", AsFailure(err)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return value.MarshalString(v), nil
}
