package dsl

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem makes the definition invalid.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	// SeverityInfo is a note: nothing wrong for sfn (an sfn extension
	// AWS would refuse, reported when Options.Portability asks).
	SeverityInfo Severity = "info"
)

// Problem codes. Where AWS's ValidateStateMachineDefinition has a code for
// the same mistake, sfn uses it.
const (
	CodeSyntax             = "SYNTAX_ERROR"
	CodeSchema             = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget      = "MISSING_TRANSITION_TARGET"
	CodeInvalidPath        = "INVALID_JSON_PATH"
	CodeInvalidIntrinsic   = "INVALID_INTRINSIC_FUNCTION"
	CodeInvalidResource    = "INVALID_RESOURCE"
	CodeUnsupported        = "UNSUPPORTED_FEATURE"
	CodeInvalidTransition  = "INVALID_TRANSITION"
	CodeInvalidChoiceRule  = "INVALID_CHOICE_RULE"
	CodeInvalidErrorEquals = "INVALID_ERROR_EQUALS"
	CodeInvalidRetrier     = "INVALID_RETRIER"
	// CodeNotPortable warns of an sfn extension that AWS Step Functions
	// would refuse (docs/language.md lists them).
	CodeNotPortable      = "NOT_PORTABLE"
	CodeInvalidWait      = "INVALID_WAIT"
	CodeInvalidTimestamp = "INVALID_TIMESTAMP"
	CodeInvalidName      = "INVALID_STATE_NAME"
	CodeDuplicateName    = "DUPLICATE_STATE_NAME"
	CodeInvalidMap       = "INVALID_MAP"
	CodeTooLarge         = "DEFINITION_TOO_LARGE"
	// CodeInvalidVariable: a bad variable name in Assign, $states assigned,
	// or an inner scope assigning an outer scope's variable.
	CodeInvalidVariable = "INVALID_VARIABLE"
	// CodeInvalidQuery: a JSONata expression that does not compile, or
	// calls $eval.
	CodeInvalidQuery = "INVALID_JSONATA"
	// CodeInvalidQueryLanguage: a field of the other query language (a
	// JSONPath field in a JSONata state or the reverse), or a JSONPath
	// state in a JSONata definition.
	CodeInvalidQueryLanguage = "INVALID_QUERY_LANGUAGE"
)

// Problem is one thing wrong with a definition, located in its source text.
type Problem struct {
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Path     string   `json:"path"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// String formats the problem like a compiler does, so editors jump to it:
// FILE:LINE:COLUMN: CODE message (at /JSON/Pointer).
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	switch p.Severity {
	case SeverityWarning:
		b.WriteString("warning: ")
	case SeverityInfo:
		b.WriteString("note: ")
	}
	b.WriteString(p.Code)
	b.WriteByte(' ')
	b.WriteString(p.Message)
	fmt.Fprintf(&b, " (at %s)", displayPointer(p.Path))
	return b.String()
}

func displayPointer(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// Problems is every problem found in one definition.
type Problems []Problem

// HasErrors reports whether any problem is an error (not a warning).
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// HasWarnings reports whether any problem is a warning.
func (ps Problems) HasWarnings() bool {
	for _, p := range ps {
		if p.Severity == SeverityWarning {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// Error makes Problems an error: the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		if ps[i].Column != ps[j].Column {
			return ps[i].Column < ps[j].Column
		}
		return ps[i].Path < ps[j].Path
	})
}
