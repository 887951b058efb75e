// Package schema: stub so dependents compile; the schema author replaces this file.
package schema

// Violation is one schema violation.
type Violation struct {
	Pointer string
	Keyword string
	Message string
	OnKey   bool
}

// Validate validates doc (plain Go JSON) against the ASL schema.
func Validate(doc any) []Violation { return nil }
