// Package schema holds the JSON Schema of Amazon States Language definitions
// (asl.schema.json, draft 2020-12) and checks documents against it.
//
// The schema is the first of the two validation layers: it knows which fields
// each state kind has and what type each field's value is. Rules that span
// fields or states (Next names an existing state, exactly one of Next and End,
// paths parse, …) belong to the semantic layer in dsl.
//
// The schema is written in the "allOf + if Type == X then $ref X" style rather
// than a oneOf over the state kinds, so that one mistake in a state is judged
// against that state's kind only and gives one precise error instead of one per
// kind. [Validate] turns the validator's error tree into a flat, sorted list of
// [Violation]s with messages that say how to fix each problem, and close-name
// suggestions for typos.
//
// Validate first asks a small checker compiled from the same schema whether
// the document conforms at all (fast.go); only documents it cannot pass go to
// the library, which writes every message. Valid definitions, the usual case,
// thus skip the library's error-tree building.
//
// [JSON] is the schema text itself, for `sfn schema` and for editors.
package schema
