package states_test

import (
	"testing"

	"github.com/sfn-project/sfn/states"
)

// TestConcurrency: an inline Map runs at most 40 iterations at once, as
// AWS documents, whatever MaxConcurrency says; a smaller one is kept.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max, want int64
	}{
		{0, 40}, // "as many as possible"
		{-1, 40},
		{1, 1},
		{39, 39},
		{40, 40},
		{41, 40},
		{1 << 40, 40},
	} {
		if got := states.Concurrency(tc.max); got != tc.want {
			t.Errorf("Concurrency(%d) = %d, want %d", tc.max, got, tc.want)
		}
	}
}
