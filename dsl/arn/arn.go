// Package arn names sfn's resources as AWS does: state machines, their
// versions and aliases, executions, Express executions, activities and Map
// Runs, in the partition, region and account a node is configured with
// (Space). The store keeps names, not ARNs (an execution's id is
// "<state machine>:<name>"), so ARNs are computed here and parsed back.
package arn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is what an ARN names.
type Kind int

// Kinds of ARN.
const (
	StateMachine Kind = iota + 1 // stateMachine:<name>
	Version                      // stateMachine:<name>:<version number>
	Alias                        // stateMachine:<name>:<alias>
	Execution                    // execution:<state machine>:<name>
	Express                      // express:<state machine>:<name>:<id>
	Activity                     // activity:<name>
	MapRun                       // mapRun:<state machine>/<label>:<id>
)

// Defaults of a node's Space (documented in docs/aws-api.md): the region and
// account that AWS's own local tools use.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "123456789012"
)

// Space is where a node's resources live.
type Space struct {
	Region  string
	Account string
}

// DefaultSpace is the Space of a node started without --aws-region/--aws-account.
var DefaultSpace = Space{Region: DefaultRegion, Account: DefaultAccount}

// Partition is the AWS partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Validate reports a region or account that AWS would not accept.
func (s Space) Validate() error {
	if s.Region == "" || len(s.Region) > 32 || strings.Trim(s.Region, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return fmt.Errorf("region %q: want lower-case letters, digits and dashes, such as us-east-1", s.Region)
	}
	if len(s.Account) != 12 || strings.Trim(s.Account, "0123456789") != "" {
		return fmt.Errorf("account %q: want 12 digits", s.Account)
	}
	return nil
}

func (s Space) prefix() string {
	return "arn:" + Partition(s.Region) + ":states:" + s.Region + ":" + s.Account + ":"
}

// StateMachine is the ARN of a state machine.
func (s Space) StateMachine(name string) string { return s.prefix() + "stateMachine:" + name }

// Version is the ARN of a published version of a state machine.
func (s Space) Version(name string, version int) string {
	return s.StateMachine(name) + ":" + strconv.Itoa(version)
}

// Alias is the ARN of an alias of a state machine.
func (s Space) Alias(name, alias string) string { return s.StateMachine(name) + ":" + alias }

// Execution is the ARN of a (STANDARD) execution.
func (s Space) Execution(stateMachine, name string) string {
	return s.prefix() + "execution:" + stateMachine + ":" + name
}

// ExecutionOfID is the ARN of the execution whose stored id is
// "<state machine>:<name>".
func (s Space) ExecutionOfID(id string) string { return s.prefix() + "execution:" + id }

// Express is the ARN of an Express execution.
func (s Space) Express(stateMachine, name, id string) string {
	return s.prefix() + "express:" + stateMachine + ":" + name + ":" + id
}

// Activity is the ARN of an activity.
func (s Space) Activity(name string) string { return s.prefix() + "activity:" + name }

// MapRun is the ARN of a Map Run.
func (s Space) MapRun(stateMachine, label, id string) string {
	return s.prefix() + "mapRun:" + stateMachine + "/" + label + ":" + id
}

// ARN is a parsed ARN of one of sfn's resources.
type ARN struct {
	Kind      Kind
	Partition string
	Region    string
	Account   string
	// Name is the state machine's name (StateMachine, Version, Alias,
	// Execution, Express, MapRun) or the activity's (Activity).
	Name string
	// Version is the version number (Version).
	Version int
	// Alias is the alias name (Alias).
	Alias string
	// Execution is the execution's name (Execution, Express).
	Execution string
	// ID is the Express execution's or the Map Run's id; Label the Map Run's label.
	ID    string
	Label string
}

// Space is the partition-free place the ARN names.
func (a ARN) Space() Space { return Space{Region: a.Region, Account: a.Account} }

// ExecutionID is the stored id of an Execution ARN: "<state machine>:<name>".
func (a ARN) ExecutionID() string { return a.Name + ":" + a.Execution }

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("invalid ARN")

// Error is a Parse error; Reason is what AWS puts in its message, such as
// "Invalid ARN prefix: x".
type Error struct {
	ARN    string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("Invalid Arn: '%s'", e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// Parse parses an ARN of a Step Functions resource.
func Parse(s string) (ARN, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "states" {
		return ARN{}, &Error{ARN: s, Reason: "Invalid ARN prefix: " + s}
	}
	a := ARN{Partition: parts[1], Region: parts[3], Account: parts[4]}
	if a.Partition == "" || a.Region == "" || a.Account == "" {
		return ARN{}, &Error{ARN: s, Reason: "Invalid ARN prefix: " + s}
	}
	rest := parts[6:]
	bad := func() (ARN, error) {
		return ARN{}, &Error{ARN: s, Reason: "Resource type not valid in this context: " + parts[5]}
	}
	for _, p := range rest {
		if p == "" {
			return ARN{}, &Error{ARN: s, Reason: "Invalid ARN: empty segment in " + s}
		}
	}
	switch parts[5] {
	case "stateMachine":
		a.Name = rest[0]
		switch len(rest) {
		case 1:
			a.Kind = StateMachine
		case 2:
			if n, err := strconv.Atoi(rest[1]); err == nil && n > 0 && rest[1][0] != '0' {
				a.Kind, a.Version = Version, n
			} else {
				a.Kind, a.Alias = Alias, rest[1]
			}
		default:
			return bad()
		}
	case "execution":
		if len(rest) != 2 {
			return bad()
		}
		a.Kind, a.Name, a.Execution = Execution, rest[0], rest[1]
	case "express":
		if len(rest) != 3 {
			return bad()
		}
		a.Kind, a.Name, a.Execution, a.ID = Express, rest[0], rest[1], rest[2]
	case "activity":
		if len(rest) != 1 {
			return bad()
		}
		a.Kind, a.Name = Activity, rest[0]
	case "mapRun":
		if len(rest) != 2 {
			return bad()
		}
		sm, label, ok := strings.Cut(rest[0], "/")
		if !ok {
			return bad()
		}
		a.Kind, a.Name, a.Label, a.ID = MapRun, sm, label, rest[1]
	default:
		return bad()
	}
	return a, nil
}

// Owns reports whether a names a resource in s (same region and account).
func (s Space) Owns(a ARN) bool {
	return a.Region == s.Region && a.Account == s.Account && a.Partition == Partition(s.Region)
}
