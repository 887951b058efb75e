package source_test

import (
	"fmt"

	"github.com/sfn-project/sfn/dsl/source"
)

func ExampleParse() {
	text := []byte(`StartAt: Hello
States:
  Hello:
    Type: Pass
    Nxet: World
`)
	doc, problems := source.Parse(text, source.Sniff)
	if problems != nil {
		fmt.Println(problems[0].Pos, problems[0].Message)
		return
	}
	fmt.Println("format:", doc.Format)
	// An unknown field is reported at its key.
	fmt.Println("Nxet:", doc.KeyPos("/States/Hello/Nxet"))
	// A missing field is reported at the key of the object that lacks it.
	fmt.Println("End:", doc.ValuePos("/States/Hello/End"))

	_, problems = source.Parse([]byte("{\"StartAt\": \"A\",\n \"StartAt\": \"B\"}"), source.Sniff)
	for _, p := range problems {
		fmt.Println(p.Pos, p.Path, p.Message)
	}
	// Output:
	// format: yaml
	// Nxet: 5:5
	// End: 3:3
	// 2:2 /StartAt duplicate key "StartAt" (first at 1:2)
}
