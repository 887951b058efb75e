package storetest_test

import (
	"fmt"
	"testing"

	"github.com/sfn-project/sfn/store"
)

// TestPartitionOf pins the partition function: stored data depends on it,
// so these values must never change.
func TestPartitionOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id         string
		partitions int
		want       int
	}{
		{"", 256, 197},
		{"orders:o-1", 256, 205},
		{"orders:o-1", 1, 0},
		{"orders:o-1", 0, 0},
	}
	for _, c := range cases {
		if got := store.PartitionOf(c.id, c.partitions); got != c.want {
			t.Errorf("PartitionOf(%q, %d) = %d, want %d", c.id, c.partitions, got, c.want)
		}
	}
	for i := 0; i < 1000; i++ {
		if p := store.PartitionOf(fmt.Sprint("x", i), 7); p < 0 || p >= 7 {
			t.Fatalf("PartitionOf out of range: %d", p)
		}
	}
}
