package intrinsic

import (
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

const benchExpr = `States.Format('Order {} for {} ({} items) is {}', $.order.id, $.customer.name, States.ArrayLength($.order.items), $.status)`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalFormat(b *testing.B) {
	c, err := Parse(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	env := Env{Input: value.MustDecode(`{"order": {"id": "o-123", "items": [1, 2, 3]}, "customer": {"name": "Ada"}, "status": "PAID"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalFormatLiteral(b *testing.B) {
	c, err := Parse(`States.Format('Hello {}, you are {} and {}', 'Ada', 36, States.Array(1, 'x'))`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Eval(Env{}); err != nil {
			b.Fatal(err)
		}
	}
}
