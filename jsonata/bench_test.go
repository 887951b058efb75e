package jsonata

import (
	"os"
	"path/filepath"
	"testing"
)

// benchExprs are typical expressions over the suite's dataset5 (an
// account with orders and products); BENCH in the report compares them
// with jsonata-js 2.0.6 on node.
var benchExprs = []struct{ name, expr string }{
	{"path", "Account.Order.Product.Price"},
	{"predicate", "Account.Order.Product[Price > 30].SKU"},
	{"sum", "$sum(Account.Order.Product.(Price * Quantity))"},
	{"groupby", "Account.Order.Product{`Product Name`: $sum(Price)}"},
	{"sort", "Account.Order.Product^(>Price).Description.Colour"},
	{"map-lambda", "$map(Account.Order.Product, function($p){ $p.Price * 2 })"},
	{"object", "Account.Order.{'id': OrderID, 'total': $sum(Product.(Price*Quantity))}"},
	{"parent", "Account.Order.Product.{'order': %.OrderID, 'name': `Product Name`}"},
	{"string", "$join(Account.Order.Product.$uppercase(`Product Name`), ', ')"},
	{"recursion", "($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(20))"},
}

func benchInput(b *testing.B) any {
	b.Helper()
	path := filepath.Join("..", "..", "shared", "jsonata-suite", "datasets", "dataset5.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("no suite dataset (%v)", err)
	}
	v, err := DecodeJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func BenchmarkEvaluate(b *testing.B) {
	input := benchInput(b)
	for _, be := range benchExprs {
		e, err := Compile(be.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(be.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(input, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, be := range benchExprs {
			if _, err := Compile(be.expr); err != nil {
				b.Fatal(err)
			}
		}
	}
}
