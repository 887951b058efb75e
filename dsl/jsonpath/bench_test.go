package jsonpath

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	pjsonpath "github.com/PaesslerAG/jsonpath"

	"github.com/sfn-project/sfn/dsl/value"
)

const benchPath = "$.store.book[2].isbn"

func BenchmarkSelectReference(b *testing.B) {
	doc := loadDoc(b)
	p := MustParse(benchPath)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Select(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// The same selection through PaesslerAG/jsonpath, on the plain-Go form of
// the same document, for comparison.
func BenchmarkSelectPaessler(b *testing.B) {
	data, err := os.ReadFile("testdata/store.json")
	if err != nil {
		b.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	eval, err := pjsonpath.New(benchPath)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eval(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetReference(b *testing.B) {
	doc := loadDoc(b)
	p := MustParse("$.store.bicycle.result")
	v := value.Number("1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Set(doc, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectWildcard(b *testing.B) {
	doc := loadDoc(b)
	p := MustParse("$.store.book[*].author")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Select(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectFilter(b *testing.B) {
	doc := loadDoc(b)
	p := MustParse("$.store.book[?(@.price < 10)].title")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Select(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchPath); err != nil {
			b.Fatal(err)
		}
	}
}
