package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfn-project/sfn/internal/testenv"
)

func TestValidDefinitions(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/valid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid definitions: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			if got := Validate(decodeFile(t, file)); got != nil {
				t.Errorf("violations in a valid definition:\n%s", cmp.Diff([]Violation(nil), got))
			}
			// Numbers as float64 (encoding/json's default) work the same.
			b, _ := os.ReadFile(file)
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if got := Validate(doc); got != nil {
				t.Errorf("violations with float64 numbers: %v", got)
			}
		})
	}
}

// every-field.json must use every field the schema allows in every state
// kind, every choice rule field, and every Retrier and Catcher field, so the
// valid-definition test above covers them all.
func TestEveryFieldIsExercised(t *testing.T) {
	t.Parallel()
	raw := load().raw
	doc := decodeFile(t, "testdata/valid/every-field.json")
	used := map[string]map[string]bool{} // schema definition → fields seen
	note := func(def string, obj map[string]any) {
		if used[def] == nil {
			used[def] = map[string]bool{}
		}
		for k := range obj {
			used[def][k] = true
		}
	}
	var walkStates func(states map[string]any)
	var walkRule func(def string, rule map[string]any)
	walkRule = func(def string, rule map[string]any) {
		note(def, rule)
		for _, op := range []string{"And", "Or"} {
			list, _ := rule[op].([]any)
			for _, r := range list {
				walkRule("ChoiceRuleBody", r.(map[string]any))
			}
		}
		if r, ok := rule["Not"].(map[string]any); ok {
			walkRule("ChoiceRuleBody", r)
		}
	}
	walkStates = func(states map[string]any) {
		for _, s := range states {
			st := s.(map[string]any)
			kind := st["Type"].(string)
			note(kind, st)
			for _, field := range []string{"Retry", "Catch"} {
				list, _ := st[field].([]any)
				for _, x := range list {
					note(map[string]string{"Retry": "Retrier", "Catch": "Catcher"}[field], x.(map[string]any))
				}
			}
			choices, _ := st["Choices"].([]any)
			for _, c := range choices {
				walkRule("ChoiceRuleBody", c.(map[string]any))
			}
			branches, _ := st["Branches"].([]any)
			for _, b := range branches {
				note("Branch", b.(map[string]any))
				walkStates(b.(map[string]any)["States"].(map[string]any))
			}
			for _, f := range []string{"ItemProcessor", "Iterator"} {
				if p, ok := st[f].(map[string]any); ok {
					note("ItemProcessor", p)
					walkStates(p["States"].(map[string]any))
					if pc, ok := p["ProcessorConfig"].(map[string]any); ok {
						note("ProcessorConfig", pc)
					}
				}
			}
			// A distributed Map's objects, and the objects inside them.
			for field, config := range map[string]string{"ItemReader": "ReaderConfig", "ResultWriter": "WriterConfig", "ItemBatcher": ""} {
				if o, ok := st[field].(map[string]any); ok {
					note(field, o)
					if c, ok := o[config].(map[string]any); ok {
						note(config, c)
					}
				}
			}
		}
	}
	root := doc.(map[string]any)
	walkStates(root["States"].(map[string]any))
	defs := append(stateKinds(raw), "Retrier", "Catcher", "ChoiceRuleBody", "Branch", "ItemProcessor", "ProcessorConfig",
		"ItemReader", "ReaderConfig", "ItemBatcher", "ResultWriter", "WriterConfig")
	for _, def := range defs {
		node := schemaNode(raw, "#/$defs/"+def)
		for _, field := range allowedFields(raw, node) {
			if !used[def][field] {
				t.Errorf("every-field.json does not use %s.%s", def, field)
			}
		}
	}
	var missing []string
	for _, field := range allowedFields(raw, raw.(map[string]any)) {
		if _, ok := root[field]; !ok {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		t.Errorf("every-field.json does not use top-level %v", missing)
	}
}

// The conformance cases hold definitions AWS accepted; the schema must accept
// them too. Cases AWS rejected are checked by the semantic layer.
func TestConformanceDefinitions(t *testing.T) {
	t.Parallel()
	files := testenv.SharedFiles(t, "conformance/cases/*.json")
	for _, file := range files {
		var cases []struct {
			Name       string          `json:"name"`
			Definition json.RawMessage `json:"definition"`
			Expect     struct {
				Status string `json:"status"`
			} `json:"expect"`
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			if c.Expect.Status == "REJECTED" || len(c.Definition) == 0 {
				continue
			}
			if got := Validate(decode(t, string(c.Definition))); got != nil {
				t.Errorf("%s %s: violations %v", filepath.Base(file), c.Name, got)
			}
		}
	}
}
