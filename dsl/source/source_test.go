package source

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		format  Format // of the document, or 0 when problems are expected
		problem string // substring of the first problem
	}{
		{"JSON object", ` {"a": 1}`, JSON, ""},
		{"JSON object after a BOM and lines", "\ufeff\r\n\n{\"a\": 1}", JSON, ""},
		{"YAML", "a: 1\n", YAML, ""},
		{"JSON array is read as YAML", "[1, 2]", YAML, ""},
		{"YAML flow mapping", "{a: 1}", YAML, ""},
		{"JSON with a duplicate key reports the JSON problem", `{"a": 1, "a": 2}`, 0, "duplicate key"},
		{"broken JSON reports the JSON problem", `{"a": [1}`, 0, "JSON syntax error"},
		{"broken YAML reports the YAML problem", "a: [\n", 0, "YAML syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, ps := Parse([]byte(tt.text), Sniff)
			if tt.problem != "" {
				if doc != nil || len(ps) == 0 || !strings.Contains(ps[0].Message, tt.problem) {
					t.Fatalf("got %v, %v; want a problem %q", doc, ps, tt.problem)
				}
				return
			}
			if len(ps) > 0 {
				t.Fatalf("problem: %v", ps[0].Message)
			}
			if doc.Format != tt.format {
				t.Errorf("format = %v, want %v", doc.Format, tt.format)
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	big := make([]byte, MaxSize+1)
	for _, f := range []Format{Sniff, JSON, YAML} {
		doc, ps := Parse(big, f)
		checkProblems(t, ps, []problemWant{{at(1, 1), "", "definition is 1048577 bytes; the limit is 1 MiB"}})
		if doc != nil {
			t.Error("a document despite problems")
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	t.Parallel()
	_, ps := Parse([]byte("{}"), Format(9))
	checkProblems(t, ps, []problemWant{{at(1, 1), "", "unknown format"}})
}

func TestPointers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parent, key, want string
	}{
		{"", "States", "/States"},
		{"/States", "a/b", "/States/a~1b"},
		{"/States", "~x~/", "/States/~0x~0~1"},
		{"", "", "/"},
	}
	for _, tt := range tests {
		if got := Child(tt.parent, tt.key); got != tt.want {
			t.Errorf("Child(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.want)
		}
	}
	if got := Index("/a", 12); got != "/a/12" {
		t.Errorf("Index = %q", got)
	}
	root := value.MustDecode(`{"a/b": {"~": [10, 11]}, "": 1}`)
	for ptr, want := range map[string]value.Value{
		"/a~1b/~0/1": value.Number("11"),
		"/":          value.Number("1"),
	} {
		if got, ok := Lookup(root, ptr); !ok || !value.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v, %v", ptr, got, ok)
		}
	}
	for _, ptr := range []string{"a", "/a~1b/~0/01", "/a~1b/~0/2", "/a~1b/~0/-1", "/x", "/a~1b/~0/0/x"} {
		if _, ok := Lookup(root, ptr); ok {
			t.Errorf("Lookup(%q) found a value", ptr)
		}
	}
}

func TestNilDocument(t *testing.T) {
	t.Parallel()
	var d *Document
	if d.ValuePos("/a") != at(1, 1) || d.KeyPos("/a") != at(1, 1) || d.Pointers() != nil {
		t.Error("a nil document should answer 1:1 and no pointers")
	}
	if _, ok := d.Lookup(""); ok {
		t.Error("a nil document has no values")
	}
}

// The YAML and JSON forms of the example definition are the same value, and
// every pointer of one is in the other.
func TestFormatsAgree(t *testing.T) {
	t.Parallel()
	y := mustParse(t, readFile(t, "testdata/order.asl.yaml"), Sniff)
	j := mustParse(t, readFile(t, "testdata/order.asl.json"), Sniff)
	if y.Format != YAML || j.Format != JSON {
		t.Errorf("formats = %v, %v", y.Format, j.Format)
	}
	if !value.Equal(y.Root, j.Root) {
		t.Error("the YAML and JSON definitions differ")
	}
	if diff := cmp.Diff(y.Pointers(), j.Pointers()); diff != "" {
		t.Errorf("pointers differ (-yaml +json):\n%s", diff)
	}
	checkPositions(t, y, map[string]where{
		"/States/Prepare/Branches/1/States/PrintLabel/Parameters/format": {at(200, 23), at(200, 15)},
		"/States/Delivered?/Choices/1/StringMatches":                     {at(251, 24), at(251, 9)},
	})
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
