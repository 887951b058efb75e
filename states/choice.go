package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// Choice picks the next state: the first rule that matches, else Default,
// else States.NoChoiceMatched. The output is the effective input after
// OutputPath.
func Choice(s *dsl.State, raw value.Value, env Env) (next string, output value.Value, err error) {
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return "", nil, err
	}
	next = s.Default
	renv := withInput(env, eff)
	for _, r := range s.Choices {
		ok, err := r.Eval(renv)
		if err != nil {
			return "", nil, err
		}
		if ok {
			next = r.Next
			break
		}
	}
	if next == "" {
		return "", nil, failure.Newf(failure.NoChoiceMatched, "No Matches!")
	}
	out, err := OutputPath(s, eff, env)
	if err != nil {
		return "", nil, err
	}
	return next, out, nil
}
