package states

import (
	"math"
	"strconv"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// MapPlan is what a Map state will iterate over.
type MapPlan struct {
	// Effective is the input after InputPath: what ItemSelector reads.
	Effective value.Value
	Items     []any
	// MaxConcurrency is the state's MaxConcurrency (0: unbounded);
	// Concurrency caps it for what runs at once.
	MaxConcurrency int64
	// Tolerance: the iterations that may fail before the Map fails.
	TolerancePercent float64
	HasPercent       bool
	ToleranceCount   int64
	HasCount         bool
}

// MapStart computes a Map state's items and limits from its raw input.
func MapStart(s *dsl.State, raw value.Value, env Env) (MapPlan, error) {
	if s.JSONata {
		return queryMapStart(s, raw, env)
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return MapPlan{}, err
	}
	plan := MapPlan{Effective: eff, MaxConcurrency: s.MaxConcurrency}
	penv := withInput(env, eff)
	if plan.Items, err = pathItems(s, penv); err != nil {
		return MapPlan{}, err
	}
	if s.MaxConcurrencyPath != nil {
		if plan.MaxConcurrency, err = maxConcurrencyFrom(s.MaxConcurrencyPath, penv); err != nil {
			return MapPlan{}, err
		}
	}
	plan.TolerancePercent, plan.HasPercent = s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage
	if s.ToleratedFailurePercentagePath != nil {
		v, err := s.ToleratedFailurePercentagePath.Select(penv)
		if err != nil {
			return MapPlan{}, pathError(err)
		}
		n, ok := v.(value.Number)
		if !ok || n.Float64() < 0 || n.Float64() > 100 {
			return MapPlan{}, failure.Newf(failure.Runtime, "The ToleratedFailurePercentagePath field must reference a number between 0 and 100: %s == %s", s.ToleratedFailurePercentagePath.String(), value.MarshalString(v))
		}
		plan.TolerancePercent, plan.HasPercent = n.Float64(), true
	}
	plan.ToleranceCount, plan.HasCount = s.ToleratedFailureCount, s.HasToleratedFailureCount
	if s.ToleratedFailureCountPath != nil {
		if plan.ToleranceCount, err = nonNegativeInt(s.ToleratedFailureCountPath, "ToleratedFailureCountPath", penv); err != nil {
			return MapPlan{}, err
		}
		plan.HasCount = true
	}
	return plan, nil
}

// pathItems selects a JSONPath Map's items from its effective input (the
// data of env): ItemsPath, by default the whole input, which must be an
// array.
func pathItems(s *dsl.State, env Env) ([]any, error) {
	items := env.Input
	if s.ItemsPath != nil {
		var err error
		if items, err = s.ItemsPath.Select(env); err != nil {
			return nil, pathError(err)
		}
	}
	arr, ok := items.([]any)
	if !ok {
		path := "$"
		if s.ItemsPath != nil {
			path = s.ItemsPath.String()
		}
		return nil, failure.Newf(failure.Runtime, "The ItemsPath '%s' must reference a JSON array, got %s", path, value.TypeName(items))
	}
	return arr, nil
}

// maxConcurrencyFrom reads a Map's MaxConcurrencyPath. A value that is not
// an integer fails with AWS's cause (see pathInteger). AWS gives no cause
// for a negative value (an execution was seen to stall), so that one keeps
// sfn's own wording.
func maxConcurrencyFrom(p *dsl.Path, env Env) (int64, error) {
	i, err := pathInteger(p, "MaxConcurrencyPath", env)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		return 0, failure.Newf(failure.Runtime, "The MaxConcurrencyPath field must reference a non-negative integer: %s == %d", p.String(), i)
	}
	return i, nil
}

// pathInteger reads the integer that the path field (MaxConcurrencyPath,
// ToleratedFailureCountPath, MaxItemsPerBatchPath …) refers to. AWS parses
// a string: a variable holding "1" is accepted (recorded:
// MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH, and "2" for
// MaxItemsPerBatchPath). Anything else fails with AWS's cause, as recorded
// ("The MaxConcurrencyPath field refers to value "NoNumber" which is not a
// valid integer: $.max"; a string is shown as it is, anything else as
// JSON).
func pathInteger(p *dsl.Path, field string, env Env) (int64, error) {
	v, err := p.Select(env)
	if err != nil {
		return 0, pathError(err)
	}
	var i int64
	ok := false
	switch t := v.(type) {
	case value.Number:
		i, ok = t.Int64()
	case string:
		var err error
		i, err = strconv.ParseInt(t, 10, 64)
		ok = err == nil
	}
	if !ok {
		return 0, failure.Newf(failure.Runtime, "The %s field refers to value \"%s\" which is not a valid integer: %s", field, displayScalar(v), p.String())
	}
	return i, nil
}

func nonNegativeInt(p *dsl.Path, field string, env Env) (int64, error) {
	v, err := p.Select(env)
	if err != nil {
		return 0, pathError(err)
	}
	n, ok := v.(value.Number)
	var i int64
	if ok {
		i, ok = n.Int64()
	}
	if !ok || i < 0 {
		return 0, failure.Newf(failure.Runtime, "The %s field must reference a non-negative integer: %s == %s", field, p.String(), value.MarshalString(v))
	}
	return i, nil
}

// MapSourceStateData is $$.Map.Item.Source for items read from the state's
// input (AWS's value; an S3 source would be its URI).
const MapSourceStateData = "STATE_DATA"

// MapItemContext is the context object's "Map" member during the iteration
// of item number index of an inline Map, whose items come from the state's
// input: the fields AWS documents, in its order, {"Item": {"Index",
// "Value", "Source"}}. (AWS's "Key" is there only when a Map iterates over a
// JSON object's members; an inline Map here iterates over an array.)
func MapItemContext(index int, item value.Value) *value.Object {
	return value.ObjectOf("Item", value.ObjectOf(
		"Index", value.Int(int64(index)),
		"Value", item,
		"Source", MapSourceStateData,
	))
}

// MapItemInput is one iteration's input: the ItemSelector (or legacy
// Parameters) evaluated with $$.Map.Item in env's context, or the item itself.
func MapItemInput(s *dsl.State, plan *MapPlan, item value.Value, env Env) (value.Value, error) {
	if s.JSONata {
		if s.ItemSelector == nil {
			return item, nil
		}
		return s.ItemSelector.Eval(dsl.NewQueryScope(env, plan.Effective))
	}
	if s.Parameters == nil {
		return item, nil
	}
	return s.Parameters.Eval(withInput(env, plan.Effective))
}

// InlineConcurrency is how many iterations of an inline Map run at once at
// most. AWS documents that "in this mode, the Map state supports up to 40
// concurrent iterations" (Using Map state in Inline mode), whatever its
// MaxConcurrency says: 0 ("as many as possible") and anything above 40
// both mean 40. The cap is also what keeps a Map over a huge array from
// starting every iteration at once (their events, their threads).
const InlineConcurrency = 40

// Concurrency is how many iterations of a Map with MaxConcurrency max (0:
// unbounded) may be in flight at once: max, capped at InlineConcurrency.
func Concurrency(max int64) int64 {
	if max <= 0 || max > InlineConcurrency {
		return InlineConcurrency
	}
	return max
}

// Tolerated reports whether failed iterations out of total are still within
// the Map's tolerance. AWS's rules ("Tolerated failure threshold for
// Distributed Map state"): the Map fails when either threshold is
// exceeded, strictly: more than ToleratedFailureCount failures, or a
// percentage failed*100/total above ToleratedFailurePercentage. Without
// either field no failure is tolerated; 100 % tolerates every failure.
func (p *MapPlan) Tolerated(failed, total int) bool {
	if failed <= 0 {
		return true
	}
	if !p.HasPercent && !p.HasCount {
		return false
	}
	if p.HasCount && int64(failed) > p.ToleranceCount {
		return false
	}
	if p.HasPercent {
		if total <= 0 {
			return false
		}
		// The percentage is compared with a margin for the rounding of
		// a percentage written as a decimal (a third is 33.333…).
		pct := float64(failed) * 100 / float64(total)
		if pct > p.TolerancePercent && math.Abs(pct-p.TolerancePercent) >= 1e-9 {
			return false
		}
	}
	return true
}

// MapOutput finishes a Map: results in item order, then ResultSelector,
// ResultPath and OutputPath.
func MapOutput(s *dsl.State, raw value.Value, results []any, env Env) (value.Value, *value.Object, error) {
	return Output(s, raw, results, env)
}
