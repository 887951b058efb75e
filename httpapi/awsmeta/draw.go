package awsmeta

import (
	"hash/fnv"
	"math/rand/v2"
)

// StartDraw is the number in [0, 1) that Pick takes for a start of
// execution name through an alias of stateMachine. A named start may be
// retried (both APIs answer a repeated start with the execution it made),
// so its draw is derived from the names: a retry picks the version the
// first try picked, where a new draw could pick the other one and turn the
// retry into a conflict. Over many names the draws spread evenly, so the
// weights hold. Without a name (each start a new execution) the draw is
// random.
func StartDraw(stateMachine, name string) float64 {
	if name == "" {
		return rand.Float64()
	}
	h := fnv.New64a()
	h.Write([]byte(stateMachine))
	h.Write([]byte{':'})
	h.Write([]byte(name))
	return float64(mix(h.Sum64())>>11) / (1 << 53) // the top 53 bits: exact in a float64, below 1
}

// mix spreads every bit of x over all of them (MurmurHash3's 64-bit
// finalizer). FNV-1a alone leaves the high bits of names that differ only
// at the end (order-1, order-2 …) unevenly spread: 2000 such names went
// 60/40 through a 50/50 alias.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
