package awsmeta

import (
	"errors"
	"fmt"
)

// Errors of Pick.
var (
	// ErrNoAlias: the state machine has no alias of that name.
	ErrNoAlias = errors.New("no such alias")
	// ErrNoVersion: the alias routes to a published version the document
	// no longer has (both APIs refuse to delete a version an alias routes
	// to, so only a document written otherwise has one).
	ErrNoVersion = errors.New("no such published version")
)

// Pick chooses the published version an execution started through alias
// runs: rnd, uniform in [0, 1), falls on one of the alias's routes laid end
// to end by weight (the weights sum to 100), so a route of weight w is
// picked w times in a hundred. A route of weight 0 is never picked.
func (mc Machine) Pick(alias string, rnd float64) (Published, error) {
	a, ok := mc.Alias(alias)
	if !ok || len(a.Routing) == 0 {
		return Published{}, fmt.Errorf("alias %q: %w", alias, ErrNoAlias)
	}
	r := pickRoute(a.Routing, rnd*100)
	p, ok := mc.Version(r.Version)
	if !ok {
		return Published{}, fmt.Errorf("alias %q routes to version %d: %w", alias, r.Version, ErrNoVersion)
	}
	return p, nil
}

// pickRoute returns the route that n, in [0, 100), falls on; past the end
// (weights summing to less than 100, or rounding) the last route with a
// weight takes it.
func pickRoute(routes []Route, n float64) Route {
	last := routes[len(routes)-1]
	for _, r := range routes {
		if r.Weight <= 0 {
			continue
		}
		if n < float64(r.Weight) {
			return r
		}
		n -= float64(r.Weight)
		last = r
	}
	return last
}
