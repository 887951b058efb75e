package intrinsic

import (
	"strings"

	"github.com/sfn-project/sfn/dsl/value"
)

// stringSplit is States.StringSplit(s, delimiters): every character of the
// second argument separates, and empty pieces are dropped (AWS's behaviour:
// "a,,b" -> ["a","b"], ",,," -> []). The array is counted as it grows: a
// string of one-character pieces encodes to about twice its length, so the
// split of a string within the limit can still pass it.
func stringSplit(env *Env, n *callNode, args []value.Value) (value.Value, error) {
	s, set := args[0].(string), args[1].(string)
	limit := env.Limit()
	out := []any{}
	size := len("[]")
	start := -1 // start of the current piece, -1 between pieces
	for i, r := range s {
		if !strings.ContainsRune(set, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if out, size = appendPiece(out, size, s[start:i]); size > limit {
				return nil, tooLarge(n.fn.name, limit)
			}
			start = -1
		}
	}
	if start >= 0 {
		if out, size = appendPiece(out, size, s[start:]); size > limit {
			return nil, tooLarge(n.fn.name, limit)
		}
	}
	return out, nil
}

// appendPiece adds one piece to a split and to its encoded size.
func appendPiece(out []any, size int, piece string) ([]any, int) {
	if len(out) > 0 {
		size++ // the comma
	}
	return append(out, piece), size + value.StringSize(piece)
}

// uuid is States.UUID: a version 4 UUID from Env.UUID.
func uuid(env *Env, n *callNode, _ []value.Value) (value.Value, error) {
	if env.UUID == nil {
		return nil, intrinsicFailure(n.fn.name, "no UUID source is configured")
	}
	return env.UUID(), nil
}
