package jsonpath

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/internal/testenv"
)

// The cases come from the shared conformance suite next to the checkout
// (../../../shared/conformance/cases; see internal/testenv).

type conformanceCase struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Expect     struct {
		Output json.RawMessage `json:"output"`
		Cause  string          `json:"cause"`
	} `json:"expect"`
}

func loadCases(t *testing.T, file string) []conformanceCase {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, "conformance/cases/"+file))
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// Every "Invalid path '<p>' : <msg>" cause AWS reports for a path applied to
// the execution input is what Select reports for that input.
func TestConformanceCauses(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`Invalid path '(.*?)' : (.*)$`)
	n := 0
	for _, file := range []string{"runtime-errors.json", "error-handling.json", "http.json", "choice.json"} {
		for _, c := range loadCases(t, file) {
			m := re.FindStringSubmatch(c.Expect.Cause)
			if m == nil {
				continue
			}
			n++
			doc, err := value.Decode(c.Input)
			if err != nil {
				t.Fatal(err)
			}
			_, err = MustParse(m[1]).Select(doc)
			if err == nil || err.Error() != "Invalid path '"+m[1]+"' : "+m[2] {
				t.Errorf("%s: Select(%s) error = %v, want %s", c.Name, m[1], err, m[0])
			}
		}
	}
	if n == 0 {
		t.Skip("no path causes found")
	}
}

// The Pass cases whose Parameters only select paths from the input.
func TestConformancePassParameters(t *testing.T) {
	t.Parallel()
	wanted := map[string]bool{
		"pass-parameters-wildcard-on-missing-data": true,
		"pass-parameters-index-and-slice":          true,
		"pass-jsonpath-bracket-notation-quirk":     true,
	}
	for _, c := range loadCases(t, "pass.json") {
		if !wanted[c.Name] {
			continue
		}
		delete(wanted, c.Name)
		var def struct {
			StartAt string
			States  map[string]struct{ Parameters json.RawMessage }
		}
		if err := json.Unmarshal(c.Definition, &def); err != nil {
			t.Fatal(err)
		}
		params := value.MustDecode(string(def.States[def.StartAt].Parameters))
		doc, err := value.Decode(c.Input)
		if err != nil {
			t.Fatal(err)
		}
		got := applyTemplate(t, params, doc)
		want, err := value.Decode(c.Expect.Output)
		if err != nil {
			t.Fatal(err)
		}
		if !value.Equal(got, want) {
			t.Errorf("%s: got %s, want %s", c.Name, value.MarshalString(got), value.MarshalString(want))
		}
	}
	for name := range wanted {
		t.Errorf("case %s not found", name)
	}
}

// applyTemplate is the smallest payload template: "k.$" members select.
func applyTemplate(t *testing.T, tmpl, doc value.Value) value.Value {
	o, ok := tmpl.(*value.Object)
	if !ok {
		return tmpl
	}
	out := value.NewObject(o.Len())
	for _, m := range o.Members() {
		if k, ok := strings.CutSuffix(m.Key, ".$"); ok {
			v, err := MustParse(m.Value.(string)).Select(doc)
			if err != nil {
				t.Fatalf("%s: %v", m.Value, err)
			}
			out.Set(k, v)
			continue
		}
		out.Set(m.Key, applyTemplate(t, m.Value, doc))
	}
	return out
}
