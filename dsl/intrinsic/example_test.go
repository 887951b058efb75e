package intrinsic_test

import (
	"fmt"

	"github.com/sfn-project/sfn/dsl/intrinsic"
	"github.com/sfn-project/sfn/dsl/value"
)

func Example() {
	// Parse once, when the definition is loaded…
	call, err := intrinsic.Parse(`States.Format('{} has {} parts: {}', 'alpha-beta', States.ArrayLength(States.StringSplit('alpha-beta', '-')), States.StringSplit('alpha-beta', '-'))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	// …and evaluate for each state input.
	out, err := call.Eval(intrinsic.Env{Input: value.MustDecode(`{}`)})
	fmt.Println(out, err)

	// Malformed calls are rejected at load time.
	_, err = intrinsic.Parse(`States.ArrayLength($.a, $.b)`)
	fmt.Println(err)
	// Output:
	// alpha-beta has 2 parts: [alpha, beta] <nil>
	// intrinsic function States.ArrayLength: takes 1 argument, got 2 arguments (at offset 0)
}
