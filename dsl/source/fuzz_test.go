package source

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// checkResult holds for every input: problems and a document never come
// together, positions are 1-based, a document survives a JSON round trip,
// and every pointer it lists resolves.
func checkResult(t *testing.T, doc *Document, ps []*Problem) {
	t.Helper()
	if len(ps) > 0 {
		if doc != nil {
			t.Fatal("a document despite problems")
		}
		for _, p := range ps {
			if p.Pos.Line < 1 || p.Pos.Column < 1 || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		return
	}
	if doc == nil {
		t.Fatal("no document and no problems")
	}
	again, err := value.Decode(value.Marshal(doc.Root))
	if err != nil {
		t.Fatalf("the root does not re-decode: %v", err)
	}
	if !value.Equal(doc.Root, again) {
		t.Fatalf("round trip changed the root: %s", value.Marshal(doc.Root))
	}
	for _, ptr := range doc.Pointers() {
		if _, ok := doc.Lookup(ptr); !ok {
			t.Fatalf("pointer %q does not resolve", ptr)
		}
		if p := doc.ValuePos(ptr); p.Line < 1 || p.Column < 1 {
			t.Fatalf("ValuePos(%q) = %v", ptr, p)
		}
		if p := doc.KeyPos(ptr); p.Line < 1 || p.Column < 1 {
			t.Fatalf("KeyPos(%q) = %v", ptr, p)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, null]}`, `{"a": 1, "a": 2}`,
		"{\r\n\"a\":\t{}}", `[[[[]]]]`, `{"a/b~": {"": 0}}`, `{"a": 01}`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := Parse(data, JSON)
		checkResult(t, doc, ps)
		// Differential check against the runtime decoder: it accepts
		// duplicates, deeper nesting and no byte-order mark, and is
		// otherwise the same grammar.
		if bomLen(data) > 0 || !utf8.Valid(data) || len(data) > MaxSize {
			return
		}
		v, err := value.Decode(data)
		if err == nil {
			for _, p := range ps {
				if strings.HasPrefix(p.Message, "JSON syntax error") {
					t.Fatalf("value.Decode accepts what Parse calls %q", p.Message)
				}
			}
			if doc != nil && !value.Equal(v, doc.Root) {
				t.Fatalf("value.Decode and Parse disagree")
			}
		} else if doc != nil {
			t.Fatalf("Parse accepts what value.Decode refuses: %v", err)
		}
	})
}

func FuzzParseYAML(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a: &x [1, *x]\n", billionLaughs(5), "<<: {a: 1}\n", "a: !!binary aGk=\n",
		"? [a]\n: 1\n", "a: 010\nb: 0x1F\nc: .inf\n", strings.Repeat("- ", 200) + "x\n", "a: |\n  x\n---\nb\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := Parse(data, YAML)
		checkResult(t, doc, ps)
	})
}

func FuzzParseSniff(f *testing.F) {
	f.Add([]byte(`{"a": 1}`))
	f.Add([]byte("a: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := Parse(data, Sniff)
		checkResult(t, doc, ps)
	})
}
