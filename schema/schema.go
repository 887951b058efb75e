package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// JSON is the text of asl.schema.json. Callers must not modify it.
//
//go:embed asl.schema.json
var JSON []byte

// ID is the schema's $id.
const ID = "https://sfn.dev/schemas/asl.schema.json"

// compiled is the schema ready to validate, plus the schema document as plain
// JSON, which the messages read (titles, allowed field names, bounds) so that
// the schema stays the single source of truth.
type compiled struct {
	schema *jsonschema.Schema
	raw    any
	err    error
	// fast is the quick conformance checker (see fast.go); nil when the
	// schema uses a keyword it does not know, and then the library judges
	// every document.
	fast *fastNode
}

var (
	compileOnce sync.Once
	theSchema   compiled
)

// load compiles the embedded schema the first time it is needed.
func load() *compiled {
	compileOnce.Do(func() {
		raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
		if err != nil {
			theSchema.err = fmt.Errorf("schema: parse asl.schema.json: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(ID, raw); err != nil {
			theSchema.err = fmt.Errorf("schema: add asl.schema.json: %w", err)
			return
		}
		sch, err := c.Compile(ID)
		if err != nil {
			theSchema.err = fmt.Errorf("schema: compile asl.schema.json: %w", err)
			return
		}
		// The raw copy for messages is decoded separately so nothing the
		// compiler keeps is shared with it.
		var doc any
		dec := json.NewDecoder(bytes.NewReader(JSON))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			theSchema.err = fmt.Errorf("schema: parse asl.schema.json: %w", err)
			return
		}
		fast, err := compileFast(doc)
		if err != nil {
			fast = nil
		}
		theSchema = compiled{schema: sch, raw: doc, fast: fast}
	})
	return &theSchema
}
