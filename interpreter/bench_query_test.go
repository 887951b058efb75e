package interpreter_test

import (
	"fmt"
	"strings"
	"testing"
)

// queryChain is a chain of n Pass states that each rebuild their input:
// the order and the customer carried over, a counter incremented. In
// JSONPath with a Parameters template and States.MathAdd; in JSONata with
// an Output expression.
func queryChain(n int, jsonata bool) []byte {
	var b strings.Builder
	if jsonata {
		b.WriteString(`{"QueryLanguage":"JSONata","StartAt":"S0","States":{`)
	} else {
		b.WriteString(`{"StartAt":"S0","States":{`)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if jsonata {
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Output":"{%% {'order': $states.input.order, 'customer': $states.input.customer, 'n': $states.input.n + 1} %%}"`, i)
		} else {
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"order.$":"$.order","customer.$":"$.customer","n.$":"States.MathAdd($.n, 1)"}`, i)
		}
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkQueryLanguages runs a 20-state chain per op in each query
// language: a JSONata Output should cost no more than the JSONPath
// Parameters template that does the same.
func BenchmarkQueryLanguages(b *testing.B) {
	const input = `{"order":{"id":"o-1","total":31.5,"items":[{"sku":"a","qty":2},{"sku":"b","qty":1}]},"customer":{"name":"Ada","tier":"gold"},"n":0}`
	for _, lang := range []string{"JSONPath", "JSONata"} {
		b.Run(lang, func(b *testing.B) {
			eng := benchEngine(b, "chain", queryChain(20, lang == "JSONata"))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runOne(b, eng, "chain", int64(i), input)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/state")
		})
	}
}
