package interpreter

import (
	"fmt"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// A stored version keeps two forms of its definition. The canonical one
// (RFC 8785: keys sorted, numbers as ECMAScript prints them) is its
// identity: DefinitionSHA256 is computed over it, so a re-upload that only
// reorders keys or reformats is the same version. The uploaded text and its
// format are what runs: a Pass Result, a Parameters template and
// everything they produce keep the key order and the number digits of the
// definition, as execution data keeps those of its input. Versions stored
// by releases before the text was kept have the canonical form only, and
// run from it.

// sourceOf returns the stored text of a version and its format; ok is
// false for a version without one (or with a format this release does not
// know, which it then reads as the canonical form).
func sourceOf(sm store.StateMachine) (text []byte, f dsl.Format, ok bool) {
	if len(sm.Source) == 0 {
		return nil, dsl.Sniff, false
	}
	f, ok = dsl.ParseFormat(sm.SourceFormat)
	return sm.Source, f, ok
}

// CompileVersion compiles a stored version: from its uploaded text when it
// has one, else from its canonical form.
func CompileVersion(sm store.StateMachine) (*dsl.Definition, error) {
	var (
		def      *dsl.Definition
		problems dsl.Problems
	)
	if text, f, ok := sourceOf(sm); ok {
		def, problems = dsl.Load(text, dsl.Options{Format: f})
	} else {
		root, err := value.Decode(sm.Definition)
		if err != nil {
			return nil, fmt.Errorf("state machine %s version %d: stored definition: %w", sm.Name, sm.Version, err)
		}
		def, problems = dsl.LoadValue(root)
	}
	if def == nil {
		return nil, fmt.Errorf("state machine %s version %d: stored definition no longer compiles: %s", sm.Name, sm.Version, problems.Error())
	}
	return def, nil
}

// DefinitionJSON is a stored version's definition as clients read it: its
// uploaded text (JSON or YAML) as compact JSON, keys in their order and
// numbers as written; the canonical form for a version without a text or
// whose text no longer parses.
func DefinitionJSON(sm store.StateMachine) []byte {
	if text, f, ok := sourceOf(sm); ok {
		if doc, problems := source.Parse(text, f); len(problems) == 0 {
			return value.Append(make([]byte, 0, len(text)), doc.Root)
		}
	}
	return sm.Definition
}
