package schema_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/schema"
)

func ExampleValidate() {
	src := `{
	  "StartAt": "Wait",
	  "States": {
	    "Wait": {"Type": "Wait", "Seconds": "ten", "Nxt": "Done"},
	    "Done": {"Type": "Succed"}
	  }
	}`
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		panic(err)
	}
	for _, v := range schema.Validate(doc) {
		fmt.Printf("%s: %s\n", v.Pointer, v.Message)
	}
	// Output:
	// /States/Done/Type: "Type" must be one of "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", got "Succed"; did you mean "Succeed"?
	// /States/Wait/Nxt: unknown field "Nxt" in a Wait state; did you mean "Next"?
	// /States/Wait/Seconds: "Seconds" must be an integer ≥ 0 or a JSONata expression "{% … %}" (JSONata states), got "ten"
}
