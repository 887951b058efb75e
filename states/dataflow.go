package states

import (
	"errors"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Env is what a state may read besides its input: the context object and
// injected randomness.
type Env = dsl.Env

// withInput returns env reading doc as the state's data.
func withInput(env Env, doc value.Value) Env {
	env.Input = doc
	return env
}

// EffectiveInput applies InputPath to the raw input: absent is "$", null
// gives an empty object.
func EffectiveInput(s *dsl.State, raw value.Value, env Env) (value.Value, error) {
	if s.InputPathNull {
		return value.NewObject(0), nil
	}
	if s.InputPath == nil {
		return raw, nil
	}
	v, err := s.InputPath.Select(withInput(env, raw))
	if err != nil {
		return nil, pathError(err)
	}
	return v, nil
}

// Parameters applies the state's payload template (Parameters, or Map's
// ItemSelector) to the effective input; without one it returns the input.
func Parameters(s *dsl.State, effective value.Value, env Env) (value.Value, error) {
	if s.Parameters == nil {
		return effective, nil
	}
	return s.Parameters.Eval(withInput(env, effective))
}

// Output finishes a state that produced result from raw input:
// ResultSelector, then the state's Assign (its "$" is the result), then
// ResultPath, then OutputPath. vars are the variables the state sets when
// it exits (nil without an Assign); every path here, Assign's included,
// reads the variables from before the state (env.Vars).
func Output(s *dsl.State, raw, result value.Value, env Env) (out value.Value, vars *value.Object, err error) {
	if s.JSONata {
		return queryResultOutput(s, raw, result, env)
	}
	if s.ResultSelector != nil {
		r, err := s.ResultSelector.Eval(withInput(env, result))
		if err != nil {
			return nil, nil, err
		}
		result = r
	}
	if vars, err = Assigned(s.Assign, result, env); err != nil {
		return nil, nil, err
	}
	merged, err := ApplyResultPath(s.ResultPath, s.ResultPathNull, raw, result)
	if err != nil {
		return nil, nil, err
	}
	out, err = OutputPath(s, merged, env)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

// Assigned evaluates an Assign with doc as "$"; nil for no Assign.
func Assigned(a *dsl.Assign, doc value.Value, env Env) (*value.Object, error) {
	if a == nil {
		return nil, nil
	}
	return a.Eval(withInput(env, doc))
}

// InputAssigned evaluates the Assign of a state that produces no result
// (Wait): its "$" is the effective input.
func InputAssigned(s *dsl.State, raw value.Value, env Env) (*value.Object, error) {
	if s.Assign == nil {
		return nil, nil
	}
	if s.JSONata {
		return s.Assign.EvalQuery(dsl.NewQueryScope(env, raw))
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, err
	}
	return Assigned(s.Assign, eff, env)
}

// OutputPath applies the state's OutputPath: absent is "$", null gives an
// empty object.
func OutputPath(s *dsl.State, v value.Value, env Env) (value.Value, error) {
	if s.OutputPathNull {
		return value.NewObject(0), nil
	}
	if s.OutputPath == nil {
		return v, nil
	}
	out, err := s.OutputPath.Select(withInput(env, v))
	if err != nil {
		return nil, pathError(err)
	}
	return out, nil
}

// ApplyResultPath places result into raw: nil path replaces the input, null
// keeps the input, a reference path sets that member (creating intermediate
// objects). When it cannot, the error is States.ResultPathMatchFailure.
func ApplyResultPath(p *jsonpath.Path, null bool, raw, result value.Value) (value.Value, error) {
	if null {
		return raw, nil
	}
	if p == nil {
		return result, nil
	}
	// Set builds one object per step above the result: a long path over a
	// deep result would make a document that no part of sfn can read
	// back, so it is refused here, like any other oversized state data.
	if !value.DepthWithin(result, value.MaxDepth-p.Len()) {
		return nil, failure.Newf(failure.DataLimitExceeded, "The result placed at ResultPath %s would be nested more than %d levels deep", p.String(), value.MaxDepth)
	}
	v, err := p.Set(raw, result)
	if err != nil {
		var se *jsonpath.SetError
		if errors.As(err, &se) {
			return nil, failure.New(failure.ResultPathMatchFailure, se.Msg)
		}
		return nil, failure.New(failure.ResultPathMatchFailure, err.Error())
	}
	return v, nil
}

// pathError turns a path that selected nothing into States.Runtime with
// AWS's text ("Invalid path '$.a' : No results for path: $['a']").
func pathError(err error) error {
	var fe *failure.Error
	if errors.As(err, &fe) {
		return fe
	}
	return failure.New(failure.Runtime, err.Error())
}

// AsFailure returns err as an ASL error; anything that is not one already is
// States.Runtime.
func AsFailure(err error) *failure.Error {
	var fe *failure.Error
	if errors.As(err, &fe) {
		return fe
	}
	return failure.New(failure.Runtime, err.Error())
}
