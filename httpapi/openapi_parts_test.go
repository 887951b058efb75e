package httpapi

import (
	"strings"
	"testing"
)

// TestMergePart: a part's paths and components join the document's; a
// name defined twice, or a part with more than paths and components, is
// refused, naming the part's file.
func TestMergePart(t *testing.T) {
	doc := func() map[string]any {
		return map[string]any{"paths": map[string]any{"/v1/a": map[string]any{}},
			"components": map[string]any{"schemas": map[string]any{"A": map[string]any{}}}}
	}
	d := doc()
	err := mergePart(d, map[string]any{"paths": map[string]any{"/v1/b": map[string]any{}},
		"components": map[string]any{"schemas": map[string]any{"B": map[string]any{}}, "parameters": map[string]any{"P": map[string]any{}}}}, "openapi/b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(d["paths"].(map[string]any)) != 2 || len(d["components"].(map[string]any)["schemas"].(map[string]any)) != 2 ||
		d["components"].(map[string]any)["parameters"] == nil {
		t.Errorf("merged into %v", d)
	}
	for _, tt := range []struct {
		part map[string]any
		want string
	}{
		{map[string]any{"paths": map[string]any{"/v1/a": map[string]any{}}}, `openapi/x.yaml: paths "/v1/a" is defined already`},
		{map[string]any{"components": map[string]any{"schemas": map[string]any{"A": 1}}}, `openapi/x.yaml: schemas "A" is defined already`},
		{map[string]any{"info": map[string]any{}}, `openapi/x.yaml: a part of the OpenAPI document has paths and components only, not "info"`},
	} {
		if err := mergePart(doc(), tt.part, "openapi/x.yaml"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("merging %v: %v, want %s", tt.part, err, tt.want)
		}
	}
}
