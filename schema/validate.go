package schema

import (
	"cmp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Violation is one way a document breaks the schema.
type Violation struct {
	// Pointer is the JSON Pointer (RFC 6901) of the offending value: the
	// member itself for an unknown field, the object that lacks it for a
	// missing required field.
	Pointer string
	// Keyword is the JSON Schema keyword that failed: "additionalProperties",
	// "required", "type", "enum", "minimum", "pattern", "false", …
	Keyword string
	// Message is a short sentence that says what to fix.
	Message string
	// OnKey reports that the problem is the member's name rather than its
	// value, so a caller showing positions should point at the key.
	OnKey bool
}

// Validate checks doc, a plain Go JSON value (map[string]any, []any, string,
// bool, nil, json.Number or float64), against the schema. It returns every
// violation, one per mistake, sorted by pointer; nil means doc conforms.
func Validate(doc any) []Violation {
	c := load()
	if c.err != nil {
		return []Violation{{Keyword: "schema", Message: c.err.Error()}}
	}
	if c.fast != nil && c.fast.conforms(doc) {
		return nil
	}
	err := c.schema.Validate(doc)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Violation{{Keyword: "schema", Message: err.Error()}}
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(verr, &leaves)
	var found []finding
	for _, leaf := range leaves {
		found = append(found, describe(c.raw, doc, leaf)...)
	}
	return tidy(dropMisspeltRequired(found))
}

// collectLeaves gathers the errors that say what is wrong. The library nests
// them under wrappers that only say where the check came from (the root,
// $ref, allOf, if/then groups); those carry no message of their own. The
// schema avoids anyOf and oneOf, whose causes would be alternatives rather
// than problems.
func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		switch e.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
			return
		}
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

// finding is a violation with what the merging step needs to know.
type finding struct {
	Violation
	missing string // the field a "required" violation lacks
	meant   string // the field an unknown field was suggested to be
}

// dropMisspeltRequired keeps one violation for one typo: a misspelt required
// field is both unknown and missing, and the unknown-field message, which
// names the intended field, says it all.
func dropMisspeltRequired(found []finding) []Violation {
	meant := map[[2]string]bool{}
	for _, f := range found {
		if f.meant != "" {
			parent := f.Pointer[:strings.LastIndexByte(f.Pointer, '/')]
			meant[[2]string{parent, f.meant}] = true
		}
	}
	out := make([]Violation, 0, len(found))
	for _, f := range found {
		if f.missing != "" && meant[[2]string{f.Pointer, f.missing}] {
			continue
		}
		out = append(out, f.Violation)
	}
	return out
}

// tidy sorts violations by pointer and drops repeats: the same check reached
// through two routes, or two keywords (say type and minimum) that say the
// same thing about the same value.
func tidy(vs []Violation) []Violation {
	slices.SortFunc(vs, func(a, b Violation) int {
		if c := comparePointers(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Message, b.Message), cmp.Compare(a.Keyword, b.Keyword))
	})
	return slices.CompactFunc(vs, func(a, b Violation) bool {
		return a.Pointer == b.Pointer && a.Message == b.Message && a.OnKey == b.OnKey
	})
}
