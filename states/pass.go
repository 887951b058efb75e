package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
)

// Pass runs a Pass state: its Result (or its input after InputPath and
// Parameters), which its Assign reads, placed by ResultPath, then
// OutputPath. vars are the variables it sets (nil without an Assign).
func Pass(s *dsl.State, raw value.Value, env Env) (out value.Value, vars *value.Object, err error) {
	if s.JSONata {
		return queryOutput(s, dsl.NewQueryScope(env, raw), raw)
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, nil, err
	}
	result := eff
	if s.HasResult {
		result = s.Result
	} else if s.Parameters != nil {
		if result, err = Parameters(s, eff, env); err != nil {
			return nil, nil, err
		}
	}
	return Output(s, raw, result, env)
}

// Succeed runs a Succeed state: InputPath then OutputPath.
func Succeed(s *dsl.State, raw value.Value, env Env) (value.Value, error) {
	if s.JSONata {
		out, _, err := queryOutput(s, dsl.NewQueryScope(env, raw), raw)
		return out, err
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return nil, err
	}
	return OutputPath(s, eff, env)
}
