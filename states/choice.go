package states

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// Choice picks the next state: the first rule that matches, else Default,
// else States.NoChoiceMatched. The output is the effective input after
// OutputPath. vars are the variables it sets: the matching rule's Assign,
// or the state's own when the Default is taken (as AWS: the state's
// Assign does not apply when a rule matches); "$" is the effective input.
func Choice(s *dsl.State, raw value.Value, env Env) (next string, output value.Value, vars *value.Object, err error) {
	if s.JSONata {
		return queryChoice(s, raw, env)
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return "", nil, nil, err
	}
	next = s.Default
	assign := s.Assign
	renv := withInput(env, eff)
	for _, r := range s.Choices {
		ok, err := r.Eval(renv)
		if err != nil {
			return "", nil, nil, err
		}
		if ok {
			next, assign = r.Next, r.Assign
			break
		}
	}
	if next == "" {
		return "", nil, nil, failure.Newf(failure.NoChoiceMatched, "No Matches!")
	}
	if vars, err = Assigned(assign, eff, env); err != nil {
		return "", nil, nil, err
	}
	out, err := OutputPath(s, eff, env)
	if err != nil {
		return "", nil, nil, err
	}
	return next, out, vars, nil
}
