package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// FuzzParse: Parse never panics, and a path it accepts can be evaluated.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"$", "$$", "$.a.b[0]", "$['a b']", "$..x", "$.a[?(@.n > 1)]", "$.a[-2:]", "$['a','b']", "$.a.length()", "$[", "$.a[?(@.x =~ /a(b/)]"} {
		f.Add(s)
	}
	doc := value.MustDecode(`{"a":{"b":[1,{"c":2}],"n":3},"x":[{"n":0},{"n":5}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("Parse(%q): bad error %v", s, err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		if _, err := p.Select(doc); err != nil {
			var nr *NoResultError
			if !errors.As(err, &nr) || (!p.IsDefinite() && !strings.HasPrefix(nr.Msg, "Evaluation exceeded")) {
				t.Fatalf("Select(%q): unexpected error %v", s, err)
			}
		}
		if p.IsReference() && !p.IsContext() {
			if _, err := p.Set(doc, value.Number("1")); err != nil {
				var se *SetError
				if !errors.As(err, &se) {
					t.Fatalf("Set(%q): unexpected error %v", s, err)
				}
			}
		}
	})
}

// FuzzSelect evaluates paths over a fixed document: no panic, results of
// indefinite paths are arrays, and Select does not change the document.
func FuzzSelect(f *testing.F) {
	for _, s := range []string{"$.store.book[*].author", "$..price", "$.store.book[?(@.price < 10)]", "$.a.b[-1]", "$.a.*", "$.store.book[1:3]", "$['z','s']"} {
		f.Add(s)
	}
	doc := loadDoc(f)
	before := value.MarshalString(doc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		got, err := p.Select(doc)
		if err == nil && !p.IsDefinite() {
			if _, ok := got.([]any); !ok {
				t.Fatalf("Select(%q) = %T, want an array", s, got)
			}
		}
		if after := value.MarshalString(doc); after != before {
			t.Fatalf("Select(%q) modified the document", s)
		}
	})
}
