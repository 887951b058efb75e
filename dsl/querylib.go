package dsl

import (
	"encoding/hex"
	"math"
	"math/rand"
	"strconv"

	"github.com/sfn-project/sfn/dsl/intrinsic"
	"github.com/sfn-project/sfn/jsonata"
)

// The functions Step Functions adds to JSONata in workflows ("JSONata
// functions provided by Step Functions" in AWS's guide), and the library
// without $eval, which AWS does not support. $random and $uuid draw on the
// evaluation's injected randomness, so they are bound per evaluation
// (QueryScope.bindings) rather than kept in the shared library.
var workflowLibrary = func() *jsonata.Library {
	lib, err := jsonata.DefaultLibrary().Without("eval", "random").With(
		&jsonata.Builtin{Name: "partition", Signature: "<an:a>", Fn: libPartition},
		&jsonata.Builtin{Name: "range", Signature: "<nnn?:a>", Fn: libRange},
		&jsonata.Builtin{Name: "hash", Signature: "<ss:s>", Fn: libHash},
		&jsonata.Builtin{Name: "parse", Signature: "<s:x>", Fn: libParse},
	)
	if err != nil {
		panic("dsl: the workflow JSONata library: " + err.Error()) // a programming error, found by every test
	}
	return lib
}()

func argError(fn, msg string) error {
	return &jsonata.Error{Code: "T0410", Token: fn, Message: "Argument of function \"" + fn + "\" " + msg}
}

func arrayArg(v any) []any {
	switch t := v.(type) {
	case jsonata.Seq:
		return t
	case []any:
		return t
	}
	if jsonata.IsUndefined(v) {
		return nil
	}
	return []any{v}
}

// libPartition is $partition(array, size): the array in chunks of size
// items, the last one shorter.
func libPartition(_ *jsonata.Call, args []any) (any, error) {
	if jsonata.IsUndefined(args[0]) {
		return jsonata.Undefined, nil
	}
	a := arrayArg(args[0])
	size, _ := args[1].(float64)
	if size < 1 || size != math.Trunc(size) {
		return nil, argError("partition", "2 must be a positive integer: the chunk size")
	}
	// A chunk as large as the array or larger is the array: clamp before
	// converting, since a float64 past int64's range converts to garbage.
	size = min(size, float64(max(len(a), 1)))
	return intrinsic.Partition(a, int64(size)), nil
}

// libRange is $range(start, end, step): start, start+step, … up to and
// including end. The result is a sequence, so that one number comes back
// as that number, not an array of it, as AWS's does.
func libRange(_ *jsonata.Call, args []any) (any, error) {
	start, _ := args[0].(float64)
	end, _ := args[1].(float64)
	step := 1.0
	if s, ok := args[2].(float64); ok {
		step = s
	}
	for i, v := range []float64{start, end, step} {
		if v != math.Trunc(v) {
			return nil, argError("range", string(rune('1'+i))+" must be an integer")
		}
	}
	if step == 0 {
		return nil, argError("range", "3 must not be 0: the step")
	}
	var out jsonata.Seq
	for v := start; step > 0 && v <= end || step < 0 && v >= end; v += step {
		if len(out) == intrinsic.MaxRange {
			return nil, &jsonata.Error{Code: "D3137", Token: "range", Message: "The $range function would return more than " + strconv.Itoa(intrinsic.MaxRange) + " items"}
		}
		out = append(out, v)
	}
	return out, nil
}

// libHash is $hash(value, algorithm): the hex digest of the string's
// UTF-8 bytes with MD5, SHA-1, SHA-256, SHA-384 or SHA-512.
func libHash(_ *jsonata.Call, args []any) (any, error) {
	if jsonata.IsUndefined(args[0]) {
		return jsonata.Undefined, nil
	}
	s, _ := args[0].(string)
	alg, _ := args[1].(string)
	h := intrinsic.NewHash(alg)
	if h == nil {
		return nil, argError("hash", "2 must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, got \""+alg+"\"")
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// libParse is $parse(text): the JSON value of the text.
func libParse(_ *jsonata.Call, args []any) (any, error) {
	if jsonata.IsUndefined(args[0]) {
		return jsonata.Undefined, nil
	}
	s, _ := args[0].(string)
	v, err := jsonata.DecodeJSON([]byte(s))
	if err != nil {
		return nil, &jsonata.Error{Code: "D3140", Token: "parse", Message: "The $parse function cannot read its argument as JSON: " + err.Error()}
	}
	return v, nil
}

// randomBuiltin is $random([seed]): a number in [0, 1), from the
// evaluation's randomness, or determined by the seed.
func randomBuiltin(random func() float64) *jsonata.Builtin {
	return &jsonata.Builtin{Name: "random", Signature: "<n?:n>", Fn: func(_ *jsonata.Call, args []any) (any, error) {
		if len(args) > 0 {
			if seed, ok := args[0].(float64); ok {
				return rand.New(rand.NewSource(int64(seed))).Float64(), nil
			}
		}
		if random == nil {
			return nil, &jsonata.Error{Code: "D3138", Token: "random", Message: "no source of random numbers in this evaluation"}
		}
		return random(), nil
	}}
}

// uuidBuiltin is $uuid(): a version 4 UUID from the evaluation's source.
func uuidBuiltin(uuid func() string) *jsonata.Builtin {
	return &jsonata.Builtin{Name: "uuid", Signature: "<:s>", Fn: func(_ *jsonata.Call, _ []any) (any, error) {
		if uuid == nil {
			return nil, &jsonata.Error{Code: "D3138", Token: "uuid", Message: "no source of UUIDs in this evaluation"}
		}
		return uuid(), nil
	}}
}
