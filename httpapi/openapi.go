package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sync"

	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the hand-written OpenAPI document of the API.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIParts are further parts of the document, one file per area of
// the API (schedules, notifications, …): each has its own paths and
// components, merged into openapi.yaml's; a name defined twice is an
// error.
//
//go:embed openapi
var openAPIParts embed.FS

var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	doc = jsonable(doc).(map[string]any)
	files, err := fs.Glob(openAPIParts, "openapi/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := openAPIParts.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := yaml.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := mergePart(doc, jsonable(part).(map[string]any), f); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
})

// mergePart adds a part's paths and components (schemas, parameters,
// responses …) to doc.
func mergePart(doc, part map[string]any, file string) error {
	for key, v := range part {
		switch key {
		case "paths":
			if err := mergeNames(doc, "paths", v, file); err != nil {
				return err
			}
		case "components":
			comps, _ := v.(map[string]any)
			into, _ := doc["components"].(map[string]any)
			if into == nil {
				into = map[string]any{}
				doc["components"] = into
			}
			for kind, names := range comps {
				if err := mergeNames(into, kind, names, file); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%s: a part of the OpenAPI document has paths and components only, not %q", file, key)
		}
	}
	return nil
}

func mergeNames(into map[string]any, key string, v any, file string) error {
	names, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %s must be a map", file, key)
	}
	dst, _ := into[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		into[key] = dst
	}
	for name, x := range names {
		if _, dup := dst[name]; dup {
			return fmt.Errorf("%s: %s %q is defined already", file, key, name)
		}
		dst[name] = x
	}
	return nil
}

// jsonable turns YAML's maps (which may have non-string keys, such as
// response codes) into JSON objects.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonable(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = jsonable(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonable(x)
		}
		return out
	}
	return v
}

// OpenAPI returns the OpenAPI document as JSON.
func OpenAPI() ([]byte, error) { return openAPIJSON() }

func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	b, err := openAPIJSON()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
