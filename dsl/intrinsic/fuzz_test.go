package intrinsic

import (
	"errors"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// FuzzParse checks that no expression makes Parse or Eval panic, that Parse
// fails only with a *SyntaxError inside the input, and that Eval fails only
// with a *failure.Error. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("States.Format('Hello {}', $.name)")
	input := value.MustDecode(`{"name": "x", "a": [1, 2, "b"], "o": {"k": 1}, "n": 3, "s": "{\"j\": 1}"}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %T %v, want *SyntaxError", s, err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q): offset %d outside the input", s, se.Offset)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("String() = %q, want %q", c.String(), s)
		}
		env := Env{
			Input:   input,
			Context: input,
			UUID:    func() string { return "u" },
			Random:  func() float64 { return 0.25 },
		}
		if _, err := c.Eval(env); err != nil {
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Eval(%q): %T %v, want *failure.Error", s, err, err)
			}
		}
	})
}
