package awsjson

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store"
)

// An alias names one or two published versions of a state machine with
// weights; starting an execution through it picks one by weight. Aliases
// live in the state machine's document (awsmeta.Machine.Aliases).

func init() {
	register(map[string]op{
		"CreateStateMachineAlias":   {role: RoleAdmin, fn: (*Server).createStateMachineAlias},
		"DescribeStateMachineAlias": {role: RoleReader, fn: (*Server).describeStateMachineAlias},
		"UpdateStateMachineAlias":   {role: RoleAdmin, fn: (*Server).updateStateMachineAlias},
		"DeleteStateMachineAlias":   {role: RoleAdmin, fn: (*Server).deleteStateMachineAlias},
		"ListStateMachineAliases":   {role: RoleReader, fn: (*Server).listStateMachineAliases},
	})
}

// aliasNamePattern is AWS's constraint on alias names, as its validation
// message quotes it: letters, digits, '_', '-' and '.', and not only digits
// (an all-digit name would read as a version number in an ARN).
const aliasNamePattern = `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`

// reasonRouting is ValidationException's reason for a routing configuration
// that breaks a rule beyond the members' own constraints.
const reasonRouting = "INVALID_ROUTING_CONFIGURATION"

// validAliasName checks an alias name by awsmeta.ValidAliasName, which
// the REST API follows too, and words a refusal as AWS does.
func validAliasName(name string) error {
	switch {
	case name == "":
		return errorf(excValidation, "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	case len(name) > 80:
		return errorf(excValidation, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80", name)
	case !awsmeta.ValidAliasName(name):
		return errorf(excValidation, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, aliasNamePattern)
	}
	return nil
}

// checkDescription checks a description by awsmeta.CheckDescription (256
// characters).
func (s *Server) checkDescription(name, d string) error {
	if err := awsmeta.CheckDescription(d); err != nil {
		return s.publishingError(name, err)
	}
	return nil
}

// routeIn is one element of a routingConfiguration member.
type routeIn struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 *int   `json:"weight"`
}

// routing checks a routingConfiguration member as AWS does, in AWS's order
// (the members' constraints, then version ARNs, distinct, of one state
// machine, weights summing to 100), and returns the state machine it routes
// to and the routes. The rules of a routing are awsmeta.CheckRouting's,
// which the REST API follows too; the members' constraints come first
// here, as AWS words them. A well-formed ARN of another region or account,
// or of a state machine that does not exist, is left to the caller (found
// false).
func (s *Server) routing(in []routeIn) (name string, routes []awsmeta.Route, found bool, err error) {
	if len(in) == 0 {
		return "", nil, false, errorf(excValidation, "1 validation error detected: Value '[]' at 'routingConfiguration' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	arns := make([]string, len(in))
	weights := make([]string, len(in))
	for i, r := range in {
		arns[i] = r.StateMachineVersionArn
		if r.Weight != nil {
			weights[i] = strconv.Itoa(*r.Weight)
		}
	}
	if len(in) > 2 {
		return "", nil, false, errorf(excValidation, "1 validation error detected: Value '[%s]' at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2", strings.Join(arns, ", "))
	}
	for i, r := range in {
		member := fmt.Sprintf("routingConfiguration.%d.member", i+1)
		switch {
		case r.StateMachineVersionArn == "":
			return "", nil, false, errorf(excValidation, "1 validation error detected: Value null at '%s.stateMachineVersionArn' failed to satisfy constraint: Member must not be null", member)
		case r.Weight == nil:
			return "", nil, false, errorf(excValidation, "1 validation error detected: Value null at '%s.weight' failed to satisfy constraint: Member must not be null", member)
		case *r.Weight < awsmeta.MinWeight:
			return "", nil, false, errorf(excValidation, "1 validation error detected: Value '%d' at '%s.weight' failed to satisfy constraint: Member must have value greater than or equal to %d", *r.Weight, member, awsmeta.MinWeight)
		case *r.Weight > awsmeta.MaxWeight:
			return "", nil, false, errorf(excValidation, "1 validation error detected: Value '%d' at '%s.weight' failed to satisfy constraint: Member must have value less than or equal to %d", *r.Weight, member, awsmeta.MaxWeight)
		}
	}
	received := "[" + strings.Join(arns, ", ") + "]"
	parsed := make([]arn.ARN, len(in))
	for i, r := range in {
		a, err := arn.Parse(r.StateMachineVersionArn)
		if err != nil {
			var ae *arn.Error
			if errors.As(err, &ae) {
				return "", nil, false, errorf(excInvalidArn, "Invalid Arn: '%s'", ae.Reason)
			}
			return "", nil, false, errorf(excInvalidArn, "Invalid Arn: '%s'", r.StateMachineVersionArn)
		}
		if a.Kind != arn.Version {
			return "", nil, false, &Error{Type: excValidation, Reason: reasonRouting,
				Message: "Routing configuration must contain state machine version ARNs. Received: " + received}
		}
		parsed[i] = a
	}
	// Two ARNs of different state machines are reported as such, also
	// when they name the same version number; the same ARN twice passes
	// here and is a duplicate below.
	if len(in) == 2 && in[0].StateMachineVersionArn != in[1].StateMachineVersionArn &&
		(parsed[0].Name != parsed[1].Name || parsed[0].Space() != parsed[1].Space() || parsed[0].Partition != parsed[1].Partition) {
		return "", nil, false, &Error{Type: excValidation, Reason: reasonRouting,
			Message: "Routing configuration must contain state machine version ARNs of the same state machine. Received: " + received}
	}
	routes = make([]awsmeta.Route, len(in))
	for i, r := range in {
		routes[i] = awsmeta.Route{Version: parsed[i].Version, Weight: *r.Weight}
	}
	var re *awsmeta.RoutingError
	switch err := awsmeta.CheckRouting(routes); {
	case errors.As(err, &re) && re.Rule == awsmeta.RoutingDuplicate:
		return "", nil, false, &Error{Type: excValidation, Reason: reasonRouting,
			Message: "Routing configuration must contain distinct state machine version ARNs. Received: " + received}
	case errors.As(err, &re) && re.Rule == awsmeta.RoutingSum:
		return "", nil, false, &Error{Type: excValidation, Reason: reasonRouting,
			Message: "Sum of routing configuration weights must equal 100. Received: [" + strings.Join(weights, ", ") + "]"}
	case err != nil:
		return "", nil, false, s.publishingError(parsed[0].Name, err)
	}
	return parsed[0].Name, routes, s.space.Owns(parsed[0]), nil
}

// noResource is ResourceNotFound as AWS words it for aliases and the
// versions they route to.
func noResource() *Error {
	return errorf(excResourceNotFound, "Request references a resource that does not exist.")
}

type aliasRoute struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

type createAliasIn struct {
	Name                 string    `json:"name"`
	Description          string    `json:"description"`
	RoutingConfiguration []routeIn `json:"routingConfiguration"`
}

type aliasItem struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
	CreationDate         *Epoch `json:"creationDate"`
}

func (s *Server) createStateMachineAlias(ctx context.Context, c *call) (any, error) {
	var in createAliasIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := validAliasName(in.Name); err != nil {
		return nil, err
	}
	name, routes, found, err := s.routing(in.RoutingConfiguration)
	if err != nil {
		return nil, err
	}
	if err := s.checkDescription(name, in.Description); err != nil {
		return nil, err
	}
	if !found {
		return nil, noResource()
	}
	if _, err := s.eng.Store().GetStateMachine(ctx, name, 0); errors.Is(err, store.ErrNotFound) {
		return nil, noResource()
	} else if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	var out awsmeta.Alias
	_, err = s.meta.UpdateMachine(ctx, name, func(mc *awsmeta.Machine) error {
		if err := mc.CheckRouting(routes); err != nil {
			return err
		}
		if have, ok := mc.Alias(in.Name); ok {
			// AWS: creating an alias again with the same description and
			// routing is the same alias; anything else is a conflict.
			if have.Description != in.Description || !slices.Equal(have.Routing, routes) {
				return errorf(excConflict, "Failed to create alias because an alias with the same name and a different routing configuration already exists.")
			}
			out = have
			return errNoChange
		}
		out = awsmeta.Alias{Name: in.Name, Description: in.Description, Routing: routes, CreatedAt: now, UpdatedAt: now}
		return mc.AddAlias(out)
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, s.publishingError(name, err)
	}
	return aliasItem{StateMachineAliasArn: s.space.Alias(name, out.Name), CreationDate: epoch(out.CreatedAt)}, nil
}

// aliasARN parses an alias ARN member; found is false for one of another
// region or account.
func (s *Server) aliasARN(str string) (arn.ARN, bool, error) {
	return s.parseARN("stateMachineAliasArn", str, arn.Alias)
}

func (s *Server) describeStateMachineAlias(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineAliasArn string `json:"stateMachineAliasArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.aliasARN(in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noResource()
	}
	mc, err := s.meta.Machine(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	al, ok := mc.Alias(a.Alias)
	if !ok {
		return nil, noResource()
	}
	routes := make([]aliasRoute, len(al.Routing))
	for i, r := range al.Routing {
		routes[i] = aliasRoute{StateMachineVersionArn: s.space.Version(a.Name, r.Version), Weight: r.Weight}
	}
	return struct {
		StateMachineAliasArn string       `json:"stateMachineAliasArn"`
		Name                 string       `json:"name"`
		Description          string       `json:"description,omitempty"`
		RoutingConfiguration []aliasRoute `json:"routingConfiguration"`
		CreationDate         *Epoch       `json:"creationDate"`
		UpdateDate           *Epoch       `json:"updateDate"`
	}{s.space.Alias(a.Name, al.Name), al.Name, al.Description, routes, epoch(al.CreatedAt), epoch(al.UpdatedAt)}, nil
}

type updateAliasIn struct {
	StateMachineAliasArn string    `json:"stateMachineAliasArn"`
	Description          *string   `json:"description"`
	RoutingConfiguration []routeIn `json:"routingConfiguration"`
}

func (s *Server) updateStateMachineAlias(ctx context.Context, c *call) (any, error) {
	var in updateAliasIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.aliasARN(in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, errorf(excValidation, "Either the description or the routingConfiguration must be specified")
	}
	if in.Description != nil {
		if err := s.checkDescription(a.Name, *in.Description); err != nil {
			return nil, err
		}
	}
	var routes []awsmeta.Route
	if in.RoutingConfiguration != nil {
		var name string
		var owned bool
		if name, routes, owned, err = s.routing(in.RoutingConfiguration); err != nil {
			return nil, err
		}
		if found && (!owned || name != a.Name) {
			// The versions of another state machine are not this
			// alias's to route to.
			return nil, &Error{Type: excValidation, Reason: reasonRouting,
				Message: fmt.Sprintf("Routing configuration must contain state machine version ARNs of the alias's state machine %s", s.space.StateMachine(a.Name))}
		}
	}
	if !found {
		return nil, noResource()
	}
	now := s.cfg.Now().UTC()
	var updated time.Time
	_, err = s.meta.UpdateMachine(ctx, a.Name, func(mc *awsmeta.Machine) error {
		i := slices.IndexFunc(mc.Aliases, func(al awsmeta.Alias) bool { return al.Name == a.Alias })
		if i < 0 {
			return noResource()
		}
		al := mc.Aliases[i]
		changed := false
		if in.Description != nil && *in.Description != al.Description {
			al.Description, changed = *in.Description, true
		}
		if routes != nil && !slices.Equal(routes, al.Routing) {
			if err := mc.CheckRouting(routes); err != nil {
				return err
			}
			al.Routing, changed = routes, true
		}
		if !changed {
			// AWS: an update that changes nothing is idempotent.
			updated = al.UpdatedAt
			return errNoChange
		}
		al.UpdatedAt, updated = now, now
		mc.Aliases[i] = al
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, s.publishingError(a.Name, err)
	}
	return struct {
		UpdateDate *Epoch `json:"updateDate"`
	}{epoch(updated)}, nil
}

func (s *Server) deleteStateMachineAlias(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineAliasArn string `json:"stateMachineAliasArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.aliasARN(in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil // AWS: deleting an alias that does not exist succeeds
	}
	_, err = s.meta.UpdateMachine(ctx, a.Name, func(mc *awsmeta.Machine) error {
		i := slices.IndexFunc(mc.Aliases, func(al awsmeta.Alias) bool { return al.Name == a.Alias })
		if i < 0 {
			return errNoChange
		}
		mc.Aliases = slices.Delete(mc.Aliases, i, i+1)
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, err
	}
	return nil, nil
}

type listAliasesIn struct {
	StateMachineArn string `json:"stateMachineArn"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
}

// listStateMachineAliases lists a state machine's aliases, or a version's
// (the aliases that route to it), oldest first as AWS does. Its page cursor
// is the creation time and name of the last alias listed.
func (s *Server) listStateMachineAliases(ctx context.Context, c *call) (any, error) {
	var in listAliasesIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	a, found, err := s.stateMachineARN("stateMachineArn", in.StateMachineArn, true)
	if err != nil {
		return nil, err
	}
	if a.Kind == arn.Alias {
		return nil, errorf(excInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", in.StateMachineArn)
	}
	if !found {
		return nil, noStateMachine(in.StateMachineArn)
	}
	if _, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0); errors.Is(err, store.ErrNotFound) {
		return nil, noStateMachine(in.StateMachineArn)
	} else if err != nil {
		return nil, err
	}
	tokenKind := "aliases/" + in.StateMachineArn
	cursor, err := s.openToken(tokenKind, in.NextToken)
	if err != nil {
		return nil, err
	}
	var after aliasCursor
	if cursor != "" {
		if after, err = parseAliasCursor(cursor); err != nil {
			return nil, invalidToken(in.NextToken)
		}
	}
	mc, err := s.meta.Machine(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	if a.Kind == arn.Version {
		if _, ok := mc.Version(a.Version); !ok {
			return nil, noResource()
		}
	}
	aliases := slices.Clone(mc.Aliases)
	slices.SortStableFunc(aliases, func(x, y awsmeta.Alias) int { return cursorOf(x).compare(cursorOf(y)) })
	limit := pageSize(in.MaxResults)
	items := make([]aliasItem, 0, min(limit, len(aliases)))
	next := ""
	var last aliasCursor
	for _, al := range aliases {
		if a.Kind == arn.Version && !slices.ContainsFunc(al.Routing, func(r awsmeta.Route) bool { return r.Version == a.Version }) {
			continue
		}
		if cursor != "" && cursorOf(al).compare(after) <= 0 {
			continue
		}
		if len(items) == limit {
			next = last.String()
			break
		}
		items = append(items, aliasItem{StateMachineAliasArn: s.space.Alias(a.Name, al.Name), CreationDate: epoch(al.CreatedAt)})
		last = cursorOf(al)
	}
	return struct {
		StateMachineAliases []aliasItem `json:"stateMachineAliases"`
		NextToken           string      `json:"nextToken,omitempty"`
	}{items, s.sealToken(tokenKind, next)}, nil
}

// aliasCursor is a place in the list of aliases, which is ordered by
// creation time, then name.
type aliasCursor struct {
	created int64 // Unix nanoseconds
	name    string
}

func cursorOf(al awsmeta.Alias) aliasCursor {
	return aliasCursor{created: al.CreatedAt.UnixNano(), name: al.Name}
}

func (c aliasCursor) compare(d aliasCursor) int {
	if c.created != d.created {
		if c.created < d.created {
			return -1
		}
		return 1
	}
	return strings.Compare(c.name, d.name)
}

func (c aliasCursor) String() string { return strconv.FormatInt(c.created, 10) + "/" + c.name }

func parseAliasCursor(s string) (aliasCursor, error) {
	ns, name, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil {
		return aliasCursor{}, fmt.Errorf("malformed alias cursor %q", s)
	}
	return aliasCursor{created: n, name: name}, nil
}

// resolveStart settles which revision a start runs: the latest for a state
// machine ARN; a published version's revision for a version ARN (noted); for
// an alias ARN a version picked by the routes' weights (noted with the
// alias), by a draw derived from the execution's name when it has one
// (awsmeta.StartDraw: a retried start picks what the first try picked, and
// is answered as the same start rather than ExecutionAlreadyExists). An ARN
// of another region or account, a state machine, version or alias that does
// not exist: StateMachineDoesNotExist, as AWS answers.
func (s *Server) resolveStart(ctx context.Context, stateMachineArn, execution string) (name string, revision int, note awsmeta.ExecutionNote, mc awsmeta.Machine, err error) {
	a, found, err := s.stateMachineARN("stateMachineArn", stateMachineArn, true)
	if err != nil {
		return "", 0, note, mc, err
	}
	if !found {
		return "", 0, note, mc, noStateMachine(stateMachineArn)
	}
	latest, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, note, mc, noStateMachine(stateMachineArn)
	}
	if err != nil {
		return "", 0, note, mc, err
	}
	if mc, err = s.meta.Machine(ctx, a.Name); err != nil {
		return "", 0, note, mc, err
	}
	switch a.Kind {
	case arn.Version:
		p, ok := mc.Version(a.Version)
		if !ok {
			return "", 0, note, mc, noStateMachine(stateMachineArn)
		}
		return a.Name, p.Revision, awsmeta.ExecutionNote{Version: p.Number}, mc, nil
	case arn.Alias:
		// Both errors of Pick (no such alias; a route to a version the
		// document lacks, which deleting versions does not leave) mean
		// there is nothing to start.
		p, err := mc.Pick(a.Alias, awsmeta.StartDraw(a.Name, execution))
		if err != nil {
			return "", 0, note, mc, noStateMachine(stateMachineArn)
		}
		return a.Name, p.Revision, awsmeta.ExecutionNote{Version: p.Number, Alias: a.Alias}, mc, nil
	}
	return a.Name, latest.Version, note, mc, nil
}
