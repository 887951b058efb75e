package schedule

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
)

// MaxNameLength bounds schedule names so that the execution a slot starts,
// "<schedule>-<slot as 20060102T150405Z>", fits the 80 characters of an
// execution name.
const MaxNameLength = 63

// ValidName reports whether s is a schedule name: a state machine name
// (characters of [A-Za-z0-9_-]) of at most MaxNameLength characters.
func ValidName(s string) bool { return len(s) <= MaxNameLength && interpreter.ValidName(s) }

// States of a schedule (EventBridge's State).
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// Overlap policies (Temporal's): what a slot does while an execution the
// schedule started is still running.
const (
	Skip           = "SKIP"            // the slot is skipped (counted)
	BufferOne      = "BUFFER_ONE"      // one slot waits for the running one to end; later ones are skipped
	BufferAll      = "BUFFER_ALL"      // every slot waits, in order (at most MaxBuffered)
	AllowAll       = "ALLOW_ALL"       // start regardless (the default, as EventBridge does)
	CancelOther    = "CANCEL_OTHER"    // stop the running one (error Schedule.Cancelled), then start
	TerminateOther = "TERMINATE_OTHER" // stop the running one (error Schedule.Terminated), then start
)

var overlapPolicies = []string{Skip, BufferOne, BufferAll, AllowAll, CancelOther, TerminateOther}

// Flexible time window modes.
const (
	WindowOff      = "OFF"
	WindowFlexible = "FLEXIBLE"
)

// Bounds.
const (
	MaxDescription = 512
	MaxWindow      = 1440 // minutes, as EventBridge
	MinCatchup     = 60   // seconds: a slot is on time within its minute
	MaxBuffered    = 1000 // slots a BUFFER_ALL schedule holds
	MaxQueued      = 1000 // triggered and backfilled slots waiting
	MaxBackfill    = 1000 // slots one backfill may ask for
	MaxInput       = 256 * 1024
	// MaxCatchupSeconds bounds catch-up windows whatever the retention.
	MaxCatchupSeconds = 366 * 86400
)

// Start and end dates are from minDate (inclusive) to maxDate (exclusive).
var (
	minDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Target is what a schedule starts: a state machine, at its latest
// version, a version (a revision), a published version or an alias.
type Target struct {
	StateMachine     string `json:"stateMachine"`
	Version          int    `json:"version,omitempty"`
	PublishedVersion int    `json:"publishedVersion,omitempty"`
	Alias            string `json:"alias,omitempty"`
}

// FlexibleTimeWindow lets a slot fire up to MaximumWindowInMinutes late,
// spreading the starts of schedules that share slots.
type FlexibleTimeWindow struct {
	Mode                   string `json:"mode"`
	MaximumWindowInMinutes int    `json:"maximumWindowInMinutes,omitempty"`
}

// Spec is a schedule as its user defines it.
type Spec struct {
	Target               Target              `json:"target"`
	Input                json.RawMessage     `json:"input,omitempty"`
	Expression           string              `json:"expression"`
	Timezone             string              `json:"timezone,omitempty"`
	StartDate            *time.Time          `json:"startDate,omitempty"`
	EndDate              *time.Time          `json:"endDate,omitempty"`
	State                string              `json:"state,omitempty"`
	FlexibleTimeWindow   *FlexibleTimeWindow `json:"flexibleTimeWindow,omitempty"`
	OverlapPolicy        string              `json:"overlapPolicy,omitempty"`
	CatchupWindowSeconds int                 `json:"catchupWindowSeconds,omitempty"`
	Description          string              `json:"description,omitempty"`
}

// Problem is one thing wrong with a spec: the field, as a JSON Pointer
// into the request, and what is wrong.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// SpecError lists every problem of a spec.
type SpecError struct{ Problems []Problem }

func (e *SpecError) Error() string {
	if len(e.Problems) == 0 {
		return "invalid schedule"
	}
	msg := e.Problems[0].Path + ": " + e.Problems[0].Message
	if len(e.Problems) > 1 {
		msg += fmt.Sprintf(" (and %d more problems)", len(e.Problems)-1)
	}
	return msg
}

// Limits are the server's bounds on specs.
type Limits struct {
	// DefaultCatchup is the catch-up window of a spec that gives none.
	DefaultCatchup time.Duration
	// MaxCatchup bounds catch-up windows (the server's retention: an
	// execution older than it may have been removed, and a slot fired
	// again would not find it); <= 0: unbounded.
	MaxCatchup time.Duration
}

// normalize fills a spec's defaults and checks it, returning every
// problem at once.
func normalize(s Spec, lim Limits) (Spec, error) {
	var probs []Problem
	add := func(path, format string, a ...any) {
		probs = append(probs, Problem{Path: path, Message: fmt.Sprintf(format, a...)})
	}
	t := s.Target
	switch {
	case t.StateMachine == "":
		add("/target/stateMachine", "the state machine to start is missing")
	case !interpreter.ValidName(t.StateMachine):
		add("/target/stateMachine", "%q is not a state machine name: 1-80 characters of [A-Za-z0-9_-]", t.StateMachine)
	}
	given := 0
	for _, set := range []bool{t.Version != 0, t.PublishedVersion != 0, t.Alias != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		add("/target", "name at most one of version, publishedVersion and alias")
	}
	if t.Version < 0 {
		add("/target/version", "version must be an integer from 1")
	}
	if t.PublishedVersion < 0 {
		add("/target/publishedVersion", "publishedVersion must be an integer from 1")
	}
	if len(s.Input) > 0 {
		switch {
		case len(s.Input) > MaxInput:
			add("/input", "the input of %d bytes exceeds %d bytes", len(s.Input), MaxInput)
		case !json.Valid(s.Input):
			add("/input", "the input is not valid JSON")
		default:
			// What an execution's input must be: a start would refuse it.
			if _, err := value.Decode(s.Input); err != nil {
				add("/input", "the input cannot start an execution: %v", err)
			}
		}
	}
	if s.Timezone == "" {
		s.Timezone = "UTC"
	}
	loc, err := loadLocation(s.Timezone)
	if err != nil || s.Timezone == "Local" {
		add("/timezone", "%q is not an IANA time zone name (as America/New_York, Europe/Oslo or UTC)", s.Timezone)
		loc = nil
	}
	var expr *Expression
	if s.Expression == "" {
		add("/expression", "the expression is missing: cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)")
	} else if expr, err = Parse(s.Expression); err != nil {
		add("/expression", "%s", err.Error())
	} else if expr.Kind == KindAt && loc != nil {
		if _, ok := expr.at.resolve(loc); !ok {
			add("/expression", "%s names a time that does not exist in %s (the clocks skip it for daylight saving)", s.Expression, s.Timezone)
		}
	}
	for _, d := range []struct {
		path string
		t    *time.Time
	}{{"/startDate", s.StartDate}, {"/endDate", s.EndDate}} {
		if d.t != nil && (d.t.Before(minDate) || !d.t.Before(maxDate)) {
			add(d.path, "%s is not from %d to %d", d.t.UTC().Format(time.RFC3339), minDate.Year(), maxDate.Year()-1)
		}
	}
	if s.StartDate != nil && s.EndDate != nil && !s.EndDate.After(*s.StartDate) {
		add("/endDate", "endDate %s is not after startDate %s", s.EndDate.UTC().Format(time.RFC3339), s.StartDate.UTC().Format(time.RFC3339))
	}
	switch s.State {
	case "":
		s.State = Enabled
	case Enabled, Disabled:
	default:
		add("/state", "%q is not ENABLED or DISABLED", s.State)
	}
	if s.FlexibleTimeWindow == nil {
		s.FlexibleTimeWindow = &FlexibleTimeWindow{Mode: WindowOff}
	} else {
		w := *s.FlexibleTimeWindow
		switch w.Mode {
		case WindowOff:
			if w.MaximumWindowInMinutes != 0 {
				add("/flexibleTimeWindow/maximumWindowInMinutes", "mode OFF takes no window")
			}
		case WindowFlexible:
			if w.MaximumWindowInMinutes < 1 || w.MaximumWindowInMinutes > MaxWindow {
				add("/flexibleTimeWindow/maximumWindowInMinutes", "mode FLEXIBLE needs a window of 1 to %d minutes, not %d", MaxWindow, w.MaximumWindowInMinutes)
			}
		default:
			add("/flexibleTimeWindow/mode", "%q is not OFF or FLEXIBLE", w.Mode)
		}
		s.FlexibleTimeWindow = &w
	}
	if s.OverlapPolicy == "" {
		s.OverlapPolicy = AllowAll
	} else if !slices.Contains(overlapPolicies, s.OverlapPolicy) {
		add("/overlapPolicy", "%q is not one of %s", s.OverlapPolicy, strings.Join(overlapPolicies, ", "))
	}
	switch c := s.CatchupWindowSeconds; {
	case c == 0:
		s.CatchupWindowSeconds = int(max(lim.DefaultCatchup, MinCatchup*time.Second) / time.Second)
	case c < MinCatchup:
		add("/catchupWindowSeconds", "%d is less than %d: a slot is on time within its minute", c, MinCatchup)
	case c > MaxCatchupSeconds:
		add("/catchupWindowSeconds", "%d seconds exceeds %d (366 days)", c, MaxCatchupSeconds)
	case lim.MaxCatchup > 0 && int64(c) > int64(lim.MaxCatchup/time.Second):
		add("/catchupWindowSeconds", "%d seconds exceeds the server's retention of %s: a slot older than it could be started twice, its execution gone", c, lim.MaxCatchup)
	}
	if n := utf8.RuneCountInString(s.Description); n > MaxDescription {
		add("/description", "the description has %d characters, more than %d", n, MaxDescription)
	}
	if len(probs) > 0 {
		return s, &SpecError{Problems: probs}
	}
	return s, nil
}
