package dsl

import "github.com/sfn-project/sfn/dsl/value"

// ChoiceRule is a compiled Choice rule (placeholder; being written).
type ChoiceRule struct {
	Next string
}

func (c *compiler) compileChoiceRule(v value.Value, ptr string, top bool) *ChoiceRule {
	r := &ChoiceRule{}
	if o, ok := v.(*value.Object); ok && top {
		r.Next, _ = fields{c: c, obj: o, ptr: ptr}.str("Next")
	}
	return r
}

// Eval reports whether the rule matches.
func (r *ChoiceRule) Eval(env Env) (bool, error) { return false, nil }
