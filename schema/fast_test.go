package schema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/internal/testenv"
)

func TestFastCheckerCompiles(t *testing.T) {
	t.Parallel()
	c := load()
	if c.err != nil {
		t.Fatal(c.err)
	}
	if _, err := compileFast(c.raw); err != nil {
		t.Fatalf("the fast checker does not understand the schema, so every document goes to the library: %v", err)
	}
}

// checkAgreement fails t when the fast checker and the library disagree on
// whether doc conforms. A fast "conforms" where the library finds a problem
// would hide that problem; a fast "does not" where the library finds none
// only costs time, but is reported too so the checker stays exact.
func checkAgreement(t testing.TB, what string, doc any) {
	t.Helper()
	c := load()
	if c.err != nil || c.fast == nil {
		t.Fatalf("schema not loaded: %v", c.err)
	}
	lib := c.schema.Validate(doc) == nil
	if fast := c.fast.conforms(doc); fast != lib {
		b, _ := json.Marshal(doc)
		t.Errorf("%s: fast checker says conforms=%v, library says %v, on\n%.2000s", what, fast, lib, b)
	}
}

// corpus gathers every definition the repository's tests use: the schema's
// own testdata, the examples under definitions/, the dsl load and validate
// testdata (YAML and JSON), the dsl source fuzz seeds, and the cases
// (accepted and rejected) of the shared conformance suite in
// ../../shared/conformance when present (always under CI=true).
func corpus(t *testing.T) map[string]any {
	t.Helper()
	docs := map[string]any{}
	var files []string
	for _, pattern := range []string{
		"testdata/*/*.json",
		"../definitions/*.json", "../definitions/*.yaml",
		"../dsl/testdata/*/*.json", "../dsl/testdata/*/*.yaml",
		"../dsl/source/testdata/*.json", "../dsl/source/testdata/*.yaml",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if doc, ok := parsed(b); ok {
			docs[f] = doc
		}
	}
	cases := testenv.SharedFilesIfPresent(t, "conformance/cases/*.json")
	for _, f := range cases {
		var list []struct {
			Name       string          `json:"name"`
			Definition json.RawMessage `json:"definition"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range list {
			if len(c.Definition) > 0 {
				if doc, ok := parsed(c.Definition); ok {
					docs[f+"#"+c.Name] = doc
				}
			}
		}
	}
	docs["sixtyStates"] = sixtyStates(t)
	return docs
}

// parsed reads a definition as dsl.Load hands it to Validate.
func parsed(b []byte) (any, bool) {
	doc, ps := source.Parse(b, source.Sniff)
	if ps != nil {
		return nil, false
	}
	return plain(doc.Root), true
}

func plain(v value.Value) any {
	switch t := v.(type) {
	case *value.Object:
		m := make(map[string]any, t.Len())
		for _, mem := range t.Members() {
			m[mem.Key] = plain(mem.Value)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = plain(e)
		}
		return a
	case value.Number:
		return json.Number(t)
	}
	return v
}

func TestFastAgreesWithLibrary(t *testing.T) {
	t.Parallel()
	docs := corpus(t)
	if len(docs) < 20 {
		t.Fatalf("only %d documents found", len(docs))
	}
	for name, doc := range docs {
		checkAgreement(t, name, doc)
		// The same document with float64 numbers, as encoding/json gives.
		b, _ := json.Marshal(doc)
		var f any
		if err := json.Unmarshal(b, &f); err == nil {
			checkAgreement(t, name+" (float64)", f)
		}
	}
}

// TestFastAgreesOnMutations breaks the corpus documents one change at a
// time: every member removed, an unknown member added to every object, and
// every value replaced by one of each JSON type and by boundary numbers, so
// that each keyword of the schema is seen both passing and failing.
func TestFastAgreesOnMutations(t *testing.T) {
	t.Parallel()
	docs := corpus(t)
	// Mutating everything in every document would take minutes under
	// -race; these cover every state kind, every field and the errors.
	pick := []string{"testdata/valid/every-field.json", "testdata/invalid/order-with-typos.json",
		"../definitions/food-delivery.yaml"}
	if testing.Short() {
		pick = pick[:1]
	}
	replacements := []any{"x", "", "$.a", json.Number("0"), json.Number("1"), json.Number("-1"),
		json.Number("1.5"), json.Number("2.0"), json.Number("101"), true, nil, map[string]any{}, []any{}, []any{"x"}}
	n := 0
	for _, name := range pick {
		doc, ok := docs[name]
		if !ok {
			t.Fatalf("%s not in the corpus", name)
		}
		mutate(doc, func(where string, changed any) {
			n++
			checkAgreement(t, name+" "+where, changed)
		}, replacements, "")
	}
	t.Logf("%d mutations agree", n)
}

// mutate calls visit with every single-change variant of doc. The variants
// share unchanged parts with doc, which is never modified.
func mutate(doc any, visit func(where string, changed any), replacements []any, ptr string) {
	for _, r := range replacements {
		visit(fmt.Sprintf("%s := %v", ptr, r), r)
	}
	switch t := doc.(type) {
	case map[string]any:
		with := func(k string, v any, drop bool) map[string]any {
			m := make(map[string]any, len(t)+1)
			for key, val := range t {
				m[key] = val
			}
			if drop {
				delete(m, k)
			} else {
				m[k] = v
			}
			return m
		}
		visit(ptr+" + Bogus", with("Bogus", "x", false))
		for k, v := range t {
			visit(ptr+" - "+k, with(k, nil, true))
			mutate(v, func(where string, changed any) {
				visit(where, with(k, changed, false))
			}, replacements, ptr+"/"+strings.ReplaceAll(k, "/", "~1"))
		}
	case []any:
		for i, v := range t {
			mutate(v, func(where string, changed any) {
				a := append([]any(nil), t...)
				a[i] = changed
				visit(where, a)
			}, replacements, fmt.Sprintf("%s/%d", ptr, i))
		}
		if len(t) > 0 {
			visit(ptr+" - last", t[:len(t)-1])
		}
	}
}
