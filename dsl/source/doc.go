// Package source reads the text of a workflow definition, YAML or JSON, into
// a value.Value and remembers where in the text every value and every key
// came from, by JSON Pointer, so that the validator can report each problem
// as file:line:column.
//
// JSON is read by a scanner of its own, which tracks lines and columns as it
// goes. YAML is read with go.yaml.in/yaml/v3 into nodes, which carry their
// positions, and then converted with the YAML features that have no JSON
// meaning refused: merge keys, non-string keys, tags outside the core schema,
// several documents, alias expansion beyond MaxAliasNodes, and numbers JSON
// cannot hold (.inf, .nan). Lines and columns are 1-based; a column counts
// characters, not bytes, and a byte-order mark is not counted.
//
// Parse reports every problem it can find; a text that cannot be read yields
// no Document at all, because a half-read definition would only produce
// confusing follow-up problems.
package source
