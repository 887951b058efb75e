package states_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// TestResultPathDepthBounded: ResultPath adds one level per step above the
// result; when that would pass value.MaxDepth the state fails with
// States.DataLimitExceeded instead of producing data that cannot be read
// back.
func TestResultPathDepthBounded(t *testing.T) {
	t.Parallel()
	nest := func(levels int) value.Value {
		v := value.Value("x")
		for range levels {
			v = []any{v}
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		path   string
		result value.Value
		ok     bool
	}{
		{"short path, deep result at the limit", "$.a.b.c", nest(value.MaxDepth - 3), true},
		{"short path, deep result over", "$.a.b.c", nest(value.MaxDepth - 2), false},
		{"long path", "$" + strings.Repeat(".a", value.MaxDepth+1), "x", false},
		{"long path at the limit", "$" + strings.Repeat(".a", value.MaxDepth), "x", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := states.ApplyResultPath(jsonpath.MustParse(tc.path), false, value.NewObject(0), tc.result)
			if tc.ok {
				if err != nil || !value.DepthWithin(out, value.MaxDepth) {
					t.Fatalf("ApplyResultPath: %v", err)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.DataLimitExceeded || !strings.Contains(fe.Cause, "nested more than 512 levels deep") {
				t.Fatalf("ApplyResultPath = %v; want %s naming the depth limit", err, failure.DataLimitExceeded)
			}
		})
	}
}
