package graph_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func load(t *testing.T, name string) *dsl.Definition {
	t.Helper()
	path := filepath.Join("..", "..", "definitions", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	def, problems := dsl.Load(data, dsl.Options{Filename: path})
	if def == nil {
		t.Fatalf("%s does not load:\n%s", path, problems.Error())
	}
	return def
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hello.yaml", "choice.yaml", "parallel.yaml", "map.yaml", "food-delivery.yaml"} {
		for _, f := range []graph.Format{graph.DOT, graph.Mermaid} {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				def := load(t, name)
				title := strings.TrimSuffix(name, ".yaml")
				got, err := graph.Render(def, f, title)
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", title+"."+string(f))
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    graph.Format
		wantErr bool
	}{
		{"dot", graph.DOT, false},
		{"Graphviz", graph.DOT, false},
		{"MERMAID", graph.Mermaid, false},
		{"svg", "", true},
	}
	for _, tt := range tests {
		got, err := graph.ParseFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	t.Parallel()
	if _, err := graph.Render(nil, graph.DOT, ""); err == nil {
		t.Error("Render(nil) succeeded")
	}
	def := load(t, "hello.yaml")
	if _, err := graph.Render(def, "svg", ""); err == nil {
		t.Error("Render with format svg succeeded")
	}
}

// Titles and state names with quotes, backslashes and markup must not break
// out of their string literals.
func TestEscaping(t *testing.T) {
	t.Parallel()
	src := `{"StartAt": "Say \"hi\" <b>#1</b> \\", "States": {"Say \"hi\" <b>#1</b> \\": {"Type": "Succeed"}}}`
	def, problems := dsl.Load([]byte(src), dsl.Options{})
	if def == nil {
		t.Fatal(problems.Error())
	}
	dot, _ := graph.Render(def, graph.DOT, `a "title"`)
	if !strings.Contains(dot, `label="Say \"hi\" <b>#1</b> \\\nSucceed"`) || !strings.Contains(dot, `digraph "a \"title\""`) {
		t.Errorf("DOT escaping:\n%s", dot)
	}
	mm, _ := graph.Render(def, graph.Mermaid, "")
	if !strings.Contains(mm, `"Say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; \<br/>`) {
		t.Errorf("Mermaid escaping:\n%s", mm)
	}
}
