package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
)

// Pass runs a Pass state: its Result (or its input after InputPath and
// Parameters) placed by ResultPath, then OutputPath.
func Pass(s *dsl.State, raw value.Value, env Env) (value.Value, error) {
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, err
	}
	result := eff
	if s.HasResult {
		result = s.Result
	} else if s.Parameters != nil {
		if result, err = Parameters(s, eff, env); err != nil {
			return nil, err
		}
	}
	return Output(s, raw, result, env)
}

// Succeed runs a Succeed state: InputPath then OutputPath.
func Succeed(s *dsl.State, raw value.Value, env Env) (value.Value, error) {
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, err
	}
	return OutputPath(s, eff, env)
}
