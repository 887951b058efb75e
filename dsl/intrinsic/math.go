package intrinsic

import (
	"math/rand/v2"

	"github.com/sfn-project/sfn/dsl/value"
)

// mathAdd is States.MathAdd. Each argument is first rounded half-up (as
// Java's Math.round: 1.5 -> 2, -1.5 -> -1, -2.5 -> -2; see roundHalfUp),
// then they are added.
func mathAdd(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	return value.Int(int32Of(args[0]) + int32Of(args[1])), nil
}

// seedStream is the second PCG word for seeded States.MathRandom; any fixed
// value works, it only has to stay the same across releases.
const seedStream = 0x5346_4e5f_4d52 // "SFN_MR"

// mathRandom is States.MathRandom(start, end[, seed]): an integer from
// start (inclusive) to end (exclusive), as AWS documents, both rounded
// half-up first; so the end must be greater than the start. With a seed the
// result depends only on the three arguments; without one it comes from
// Env.Random.
func mathRandom(env *Env, n *callNode, args []value.Value) (value.Value, error) {
	start, end := int32Of(args[0]), int32Of(args[1])
	if start >= end {
		return nil, intrinsicFailure(n.fn.name, "the end %d must be greater than the start %d (the end is exclusive)", end, start)
	}
	span := uint64(end - start)
	var off uint64
	if len(args) == 3 {
		r := rand.New(rand.NewPCG(uint64(int32Of(args[2])), seedStream))
		off = r.Uint64N(span)
	} else {
		if env.Random == nil {
			return nil, intrinsicFailure(n.fn.name, "no source of randomness is configured")
		}
		f := env.Random()
		if !(f >= 0 && f < 1) {
			f = 0
		}
		off = uint64(f * float64(span))
		if off >= span {
			off = span - 1
		}
	}
	return value.Int(start + int64(off)), nil
}
