package dsl_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the .golden files of TestLoadGolden")

// definitionFiles lists the YAML and JSON files in dir.
func definitionFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// render is the golden form of Load's result: one problem per line, or
// "valid" when there is none.
func render(ps dsl.Problems) string {
	if len(ps) == 0 {
		return "valid\n"
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// formatOf chooses the parser by extension, as the command line does, so
// that a JSON syntax error is not read as YAML (which accepts more).
func formatOf(file string) dsl.Format {
	if filepath.Ext(file) == ".json" {
		return dsl.JSON
	}
	return dsl.YAML
}

// TestLoadGolden loads each definition under testdata/load and compares its
// problems with the FILE.golden beside it. Refresh with
// go test ./dsl -run TestLoadGolden -update (and read the diff).
func TestLoadGolden(t *testing.T) {
	t.Parallel()
	files := definitionFiles(t, filepath.Join("testdata", "load"))
	if len(files) == 0 {
		t.Fatal("no definitions in testdata/load")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			def, ps := dsl.Load(data, dsl.Options{Filename: filepath.Base(file), Format: formatOf(file)})
			if ps.HasErrors() != (def == nil) {
				t.Errorf("Load returned a definition %v with errors %v", def != nil, ps.HasErrors())
			}
			got := render(ps)
			golden := file + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("problems differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestLoadExampleDefinitions requires every workflow in definitions/ to load
// without errors (warnings are allowed but reported).
func TestLoadExampleDefinitions(t *testing.T) {
	t.Parallel()
	files := definitionFiles(t, filepath.Join("..", "definitions"))
	if len(files) == 0 {
		t.Skip("no definitions in ../definitions yet")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			def, ps := dsl.Load(data, dsl.Options{Filename: file, Format: formatOf(file)})
			if ps.HasErrors() || def == nil {
				t.Fatalf("invalid:\n%s", ps.Error())
			}
			for _, p := range ps {
				t.Logf("%s", p)
			}
		})
	}
}

// conformanceCase is the part of a conformance case these tests read.
type conformanceCase struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Expect     struct {
		Status string `json:"status"`
	} `json:"expect"`
}

// placeholders are replaced as the conformance runner would, with values
// that are valid where the runner's would be.
var placeholders = strings.NewReplacer(
	"{{ECHO_URL}}", "http://127.0.0.1:9",
	"{{ACTIVITY}}", "conformance-activity",
	"{{SM_NAME}}", "conformance",
	"{{EXEC_NAME}}", "x-conformance",
	"{{RUN_ID}}", "run",
	"{{TASK_INPUT}}", "input",
)

func conformanceCases(t *testing.T) map[string][]conformanceCase {
	t.Helper()
	files := testenv.SharedFiles(t, "conformance/cases/*.json")
	out := map[string][]conformanceCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimSpace(data)
		var cases []conformanceCase
		if len(data) > 0 && data[0] == '{' {
			var one conformanceCase
			err = json.Unmarshal(data, &one)
			cases = []conformanceCase{one}
		} else {
			err = json.Unmarshal(data, &cases)
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = cases
	}
	return out
}

// TestConformanceDefinitions loads the definitions of the conformance cases
// the way the API will: as JSON. REJECTED cases must give errors; every other
// definition must load without errors, which catches false rejections.
func TestConformanceDefinitions(t *testing.T) {
	t.Parallel()
	for file, cases := range conformanceCases(t) {
		for _, c := range cases {
			t.Run(file+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				data := []byte(placeholders.Replace(string(c.Definition)))
				_, ps := dsl.Load(data, dsl.Options{Format: dsl.JSON, Filename: c.Name})
				if c.Expect.Status == "REJECTED" {
					if !ps.HasErrors() {
						t.Fatalf("AWS rejects this definition; sfn accepted it (problems: %v)", ps)
					}
					t.Logf("rejected:\n%s", ps.Error())
					return
				}
				if ps.HasErrors() {
					t.Fatalf("AWS accepts this definition; sfn rejected it:\n%s", ps.Error())
				}
			})
		}
	}
}

func BenchmarkLoadFoodDelivery(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "definitions", "food-delivery.yaml"))
	if err != nil {
		b.Skipf("food-delivery definition not there yet: %v", err)
	}
	if _, ps := dsl.Load(data, dsl.Options{}); ps.HasErrors() {
		b.Fatalf("food-delivery.yaml is invalid:\n%s", ps.Error())
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dsl.Load(data, dsl.Options{})
	}
}
