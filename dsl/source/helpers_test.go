package source

import (
	"strings"
	"testing"
)

// at is a shorthand for a position in test tables.
func at(line, col int) Pos { return Pos{line, col} }

// where is the expected value and key position of one pointer.
type where struct{ V, K Pos }

// checkPositions compares the positions of the listed pointers.
func checkPositions(t *testing.T, doc *Document, want map[string]where) {
	t.Helper()
	for ptr, w := range want {
		if got := doc.ValuePos(ptr); got != w.V {
			t.Errorf("ValuePos(%q) = %v, want %v", ptr, got, w.V)
		}
		if got := doc.KeyPos(ptr); got != w.K {
			t.Errorf("KeyPos(%q) = %v, want %v", ptr, got, w.K)
		}
	}
}

func mustParse(t *testing.T, text string, f Format) *Document {
	t.Helper()
	doc, ps := Parse([]byte(text), f)
	for _, p := range ps {
		t.Fatalf("unexpected problem at %v (%q): %s", p.Pos, p.Path, p.Message)
	}
	if doc == nil {
		t.Fatal("no document and no problems")
	}
	return doc
}

// problemWant is one expected problem; Message is a substring.
type problemWant struct {
	Pos     Pos
	Path    string
	Message string
}

func checkProblems(t *testing.T, got []*Problem, want []problemWant) {
	t.Helper()
	if len(got) != len(want) {
		for _, p := range got {
			t.Logf("got %v %q %s", p.Pos, p.Path, p.Message)
		}
		t.Fatalf("got %d problems, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Pos != w.Pos || g.Path != w.Path || !strings.Contains(g.Message, w.Message) {
			t.Errorf("problem %d = %v %q %q, want %v %q containing %q", i, g.Pos, g.Path, g.Message, w.Pos, w.Path, w.Message)
		}
	}
}
