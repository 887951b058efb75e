// Package intrinsic parses and evaluates the intrinsic functions of the
// Amazon States Language: States.Format, States.StringToJson,
// States.JsonToString, States.Array and its relatives, States.Base64Encode
// and Decode, States.Hash, States.JsonMerge, States.MathRandom,
// States.MathAdd, States.StringSplit and States.UUID.
//
// An expression is parsed once, when a definition is loaded: Parse checks
// the function names, argument counts, string-literal escapes, nesting depth
// and the types of literal arguments, so a definition with a malformed call
// is rejected before it runs. Eval then runs the call against a state's data
// and context object as many times as needed; its errors are
// *failure.Error values (States.IntrinsicFailure for bad arguments,
// States.Runtime for a path argument that matches nothing,
// States.DataLimitExceeded for a result over Env.MaxPayload bytes, which is
// enforced while the result is built, not after).
//
// The package is pure: randomness (States.UUID, States.MathRandom without a
// seed) comes in through Env, and a seeded States.MathRandom uses its own
// deterministic generator.
package intrinsic
