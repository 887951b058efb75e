package definitions_test

import (
	"os"
	"testing"

	"github.com/sfn-project/sfn/sfntest"
)

// BenchmarkFoodDeliveryTestCase is one test of the suite per op: the
// food-delivery workflow loaded, its HappyPath test case run end to end
// with sfntest (mocks from the AWS mock file, the fast clock jumping over
// the courier's Wait), on the in-memory store — what a workflow test costs
// in `go test`.
func BenchmarkFoodDeliveryTestCase(b *testing.B) {
	in, err := os.ReadFile(input)
	if err != nil {
		b.Fatal(err)
	}
	for _, file := range foodDelivery {
		b.Run(file, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r := sfntest.Run(b, file, in, sfntest.MockConfig(mocks, "HappyPath"))
				r.AssertSucceeded()
			}
		})
	}
}
