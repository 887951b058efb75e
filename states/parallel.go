package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
)

// ParallelInput is the input every branch receives: the effective input
// after Parameters.
func ParallelInput(s *dsl.State, raw value.Value, env Env) (value.Value, error) {
	if s.JSONata {
		if s.Arguments == nil {
			return raw, nil
		}
		return s.Arguments.Eval(dsl.NewQueryScope(env, raw))
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, err
	}
	return Parameters(s, eff, env)
}

// ParallelOutput finishes a Parallel state: the branch outputs in branch
// order, then ResultSelector, ResultPath and OutputPath.
func ParallelOutput(s *dsl.State, raw value.Value, results []any, env Env) (value.Value, *value.Object, error) {
	return Output(s, raw, results, env)
}
