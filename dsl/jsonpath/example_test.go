package jsonpath_test

import (
	"fmt"

	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

func Example() {
	doc := value.MustDecode(`{"order":{"id":"o-1","items":[{"sku":"a","qty":2},{"sku":"b","qty":1}]}}`)

	// A reference path selects one value.
	id, _ := jsonpath.MustParse("$.order.id").Select(doc)
	fmt.Println(value.MarshalString(id))

	// Other paths select an array of matches.
	skus, _ := jsonpath.MustParse("$.order.items[?(@.qty > 1)].sku").Select(doc)
	fmt.Println(value.MarshalString(skus))

	// A missing value is an error with the text AWS reports.
	_, err := jsonpath.MustParse("$.order.total").Select(doc)
	fmt.Println(err)

	// ResultPath: a new document; doc itself is unchanged.
	out, _ := jsonpath.MustParse("$.order.status").Set(doc, "PAID")
	fmt.Println(value.MarshalString(out))
	fmt.Println(value.MarshalString(doc))

	// Output:
	// "o-1"
	// ["a"]
	// Invalid path '$.order.total' : No results for path: $['order']['total']
	// {"order":{"id":"o-1","items":[{"sku":"a","qty":2},{"sku":"b","qty":1}],"status":"PAID"}}
	// {"order":{"id":"o-1","items":[{"sku":"a","qty":2},{"sku":"b","qty":1}]}}
}
