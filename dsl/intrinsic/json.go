package intrinsic

import (
	"strings"

	"github.com/sfn-project/sfn/dsl/value"
)

// stringToJSON is States.StringToJson. An empty (or blank) string gives null.
func stringToJSON(_ *Env, n *callNode, args []value.Value) (value.Value, error) {
	s := args[0].(string)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := value.DecodeString(s)
	if err != nil {
		return nil, intrinsicFailure(n.fn.name, "the argument is not valid JSON: %v", err)
	}
	return v, nil
}

// jsonToString is States.JsonToString: compact JSON, key order kept.
func jsonToString(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	return value.MarshalString(args[0]), nil
}

// jsonMerge is States.JsonMerge: a shallow merge in which the second
// object's members win; keys of the first keep their position.
func jsonMerge(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	a, b := args[0].(*value.Object), args[1].(*value.Object)
	out := value.NewObject(a.Len() + b.Len())
	for _, m := range a.Members() {
		out.Set(m.Key, m.Value)
	}
	for _, m := range b.Members() {
		out.Set(m.Key, m.Value)
	}
	return out, nil
}
