package schema

import (
	"slices"
	"strings"
	"testing"
)

func TestSchemaCompiles(t *testing.T) {
	t.Parallel()
	c := load()
	if c.err != nil {
		t.Fatal(c.err)
	}
	root := c.raw.(map[string]any)
	if root["$id"] != ID {
		t.Errorf("$id = %v, want %s", root["$id"], ID)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", root["$schema"])
	}
}

// Editors show descriptions on hover; every field must have one, either on
// the property or on the definition it refers to.
func TestEveryFieldHasDescription(t *testing.T) {
	t.Parallel()
	raw := load().raw
	var walk func(where string, node map[string]any)
	walk = func(where string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			prop, ok := p.(map[string]any)
			if !ok {
				continue // false: a forbidden field
			}
			if prop["description"] == nil && resolveRef(raw, prop)["description"] == nil {
				t.Errorf("%s/properties/%s has no description", where, name)
			}
		}
	}
	walk("#", raw.(map[string]any))
	defs := raw.(map[string]any)["$defs"].(map[string]any)
	for name, def := range defs {
		walk("#/$defs/"+name, def.(map[string]any))
	}
}

// The schema must dispatch on every state kind with if/then, never oneOf.
func TestStateDispatch(t *testing.T) {
	t.Parallel()
	raw := load().raw
	kinds := stateKinds(raw)
	want := []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("state kinds = %v, want %v", kinds, want)
	}
	allOf, _ := lookup(raw, []string{"$defs", "State", "allOf"})
	var dispatched []string
	for _, branch := range allOf.([]any) {
		b := branch.(map[string]any)
		k, _ := lookup(b, []string{"if", "properties", "Type", "const"})
		ref, _ := lookup(b, []string{"then", "$ref"})
		if ref != "#/$defs/"+k.(string) {
			t.Errorf("Type %v dispatches to %v", k, ref)
		}
		dispatched = append(dispatched, k.(string))
	}
	if !slices.Equal(dispatched, want) {
		t.Errorf("dispatched kinds = %v, want %v", dispatched, want)
	}
	// oneOf/anyOf report every alternative that failed: one typo, many errors.
	for _, kw := range []string{`"oneOf"`, `"anyOf"`} {
		if strings.Contains(string(JSON), kw) {
			t.Errorf("schema uses %s", kw)
		}
	}
}
