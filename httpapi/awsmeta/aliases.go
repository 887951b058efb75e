package awsmeta

import "fmt"

// MinWeight and MaxWeight bound a route's weight.
const (
	MinWeight = 0
	MaxWeight = 100
)

// ValidAliasName reports whether name is an alias name AWS accepts: 1-80
// letters, digits, '_', '-' and '.', not only digits (an all-digit name
// would read as a version number in an ARN).
func ValidAliasName(name string) bool {
	if name == "" || len(name) > 80 {
		return false
	}
	other := false
	for _, c := range name {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '.':
			other = true
		default:
			return false
		}
	}
	return other
}

// RoutingRule names the rule of an alias's routing that a RoutingError
// breaks.
type RoutingRule int

// The rules of CheckRouting, in the order it checks them.
const (
	RoutingCount       RoutingRule = iota + 1 // one or two routes
	RoutingWeight                             // each weight from MinWeight to MaxWeight
	RoutingDuplicate                          // distinct versions
	RoutingSum                                // weights summing to 100
	RoutingUnpublished                        // versions that are published (Machine.CheckRouting)
)

// RoutingError is a routing that breaks a rule. Each API words it its own
// way from the fields the rule sets.
type RoutingError struct {
	Rule    RoutingRule
	Count   int // RoutingCount: the number of routes
	Index   int // RoutingWeight: the route, from 0
	Weight  int // RoutingWeight: its weight
	Version int // RoutingDuplicate, RoutingUnpublished: the published version number
	Sum     int // RoutingSum: what the weights sum to
}

func (e *RoutingError) Error() string {
	switch e.Rule {
	case RoutingCount:
		return fmt.Sprintf("routing has %d routes: an alias routes to one or two published versions", e.Count)
	case RoutingWeight:
		return fmt.Sprintf("route %d has weight %d: weights are from %d to %d", e.Index, e.Weight, MinWeight, MaxWeight)
	case RoutingDuplicate:
		return fmt.Sprintf("routing names published version %d twice", e.Version)
	case RoutingSum:
		return fmt.Sprintf("routing weights sum to %d: they must sum to 100", e.Sum)
	case RoutingUnpublished:
		return fmt.Sprintf("published version %d does not exist", e.Version)
	}
	return "invalid routing"
}

// CheckRouting checks the rules of an alias's routing that need no
// document: one or two routes, weights from 0 to 100 summing to 100,
// distinct versions. The error is a *RoutingError.
func CheckRouting(routes []Route) error {
	if len(routes) < 1 || len(routes) > 2 {
		return &RoutingError{Rule: RoutingCount, Count: len(routes)}
	}
	sum := 0
	for i, r := range routes {
		if r.Weight < MinWeight || r.Weight > MaxWeight {
			return &RoutingError{Rule: RoutingWeight, Index: i, Weight: r.Weight}
		}
		sum += r.Weight
	}
	if len(routes) == 2 && routes[0].Version == routes[1].Version {
		return &RoutingError{Rule: RoutingDuplicate, Version: routes[0].Version}
	}
	if sum != 100 {
		return &RoutingError{Rule: RoutingSum, Sum: sum}
	}
	return nil
}

// CheckRouting is the package's CheckRouting and, last, that every route
// names a published version of mc (RoutingUnpublished).
func (mc Machine) CheckRouting(routes []Route) error {
	if err := CheckRouting(routes); err != nil {
		return err
	}
	for _, r := range routes {
		if _, ok := mc.Version(r.Version); !ok {
			return &RoutingError{Rule: RoutingUnpublished, Version: r.Version}
		}
	}
	return nil
}

// AddAlias adds a new alias (the caller has found none of its name) after
// checking its description and routing (CheckDescription,
// Machine.CheckRouting) and the quota (ErrAliasQuota).
func (mc *Machine) AddAlias(a Alias) error {
	if err := CheckDescription(a.Description); err != nil {
		return err
	}
	if err := mc.CheckRouting(a.Routing); err != nil {
		return err
	}
	if len(mc.Aliases) >= MaxAliases {
		return fmt.Errorf("%w: %d, the most a state machine can have", ErrAliasQuota, MaxAliases)
	}
	mc.Aliases = append(mc.Aliases, a)
	return nil
}
