package intrinsic

import (
	"strings"

	"github.com/sfn-project/sfn/dsl/value"
)

// stringSplit is States.StringSplit(s, delimiters): every character of the
// second argument separates, and empty pieces are dropped (AWS's behaviour:
// "a,,b" -> ["a","b"], ",,," -> []).
func stringSplit(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	s, set := args[0].(string), args[1].(string)
	fields := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(set, r) })
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out, nil
}

// uuid is States.UUID: a version 4 UUID from Env.UUID.
func uuid(env *Env, n *callNode, _ []value.Value) (value.Value, error) {
	if env.UUID == nil {
		return nil, intrinsicFailure(n.fn.name, "no UUID source is configured")
	}
	return env.UUID(), nil
}
