package interpreter

// Until states has the distributed Map's own functions (DistributedStart,
// DistributedTolerance, ChildInputs), these stand in for them with the
// inline Map's, without batching. To be replaced.

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

type distPlan struct {
	states.MapPlan
	Length int
}

func distStart(s *dsl.State, raw value.Value, env states.Env) (distPlan, error) {
	p, err := states.MapStart(s, raw, env)
	return distPlan{MapPlan: p, Length: len(p.Items)}, err
}

func distTolerance(s *dsl.State, p *distPlan, env states.Env) error { return nil }

func distChildInputs(s *dsl.State, p *distPlan, env func(int, value.Value) states.Env) ([]value.Value, error) {
	out := make([]value.Value, len(p.Items))
	for i, it := range p.Items {
		v, err := states.MapItemInput(s, &p.MapPlan, it, env(i, it))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
