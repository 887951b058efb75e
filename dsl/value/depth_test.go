package value_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

func nested(levels int, open, close, inner string) string {
	return strings.Repeat(open, levels) + inner + strings.Repeat(close, levels)
}

// TestDecodeDepth pins the one data depth limit: MaxDepth levels of arrays
// and objects decode, one more is a *DepthError that errors.Is matches
// against ErrTooDeep and whose message names the limit; far deeper input is
// refused the same way, without exhausting the stack.
func TestDecodeDepth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"arrays at the limit", nested(value.MaxDepth, "[", "]", "1"), true},
		{"empty array at the limit", nested(value.MaxDepth, "[", "]", ""), true},
		{"objects at the limit", nested(value.MaxDepth, `{"a":`, "}", "null"), true},
		{"arrays one too deep", nested(value.MaxDepth+1, "[", "]", ""), false},
		{"objects one too deep", nested(value.MaxDepth+1, `{"a":`, "}", "1"), false},
		{"objects and arrays too deep", nested(value.MaxDepth/2+1, `{"a":[`, "]}", "1"), false},
		{"10,000 levels", nested(10000, "[", "]", ""), false},
		{"1,000,000 levels unterminated", strings.Repeat("[", 1000000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := value.DecodeString(tc.doc)
			if tc.ok {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if _, depth, _ := value.Measure(v, value.Unlimited, value.Unlimited); depth != value.MaxDepth {
					t.Errorf("decoded depth %d, want %d", depth, value.MaxDepth)
				}
				return
			}
			var de *value.DepthError
			if !errors.As(err, &de) || !errors.Is(err, value.ErrTooDeep) {
				t.Fatalf("Decode error = %v (%T); want a *value.DepthError matching ErrTooDeep", err, err)
			}
			if de.Limit != value.MaxDepth || !strings.Contains(err.Error(), strconv.Itoa(value.MaxDepth)) {
				t.Errorf("error %q (limit %d) does not name the limit %d", err, de.Limit, value.MaxDepth)
			}
			if want := value.MaxDepth; de.Offset < want {
				t.Errorf("offset %d: the first level too many is at least at byte %d", de.Offset, want)
			}
		})
	}
	// A syntax error is not a depth error.
	if _, err := value.DecodeString(`[1,]`); errors.Is(err, value.ErrTooDeep) {
		t.Errorf("a syntax error matched ErrTooDeep: %v", err)
	}
}
