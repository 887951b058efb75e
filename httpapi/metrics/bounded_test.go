package metrics

import "testing"

func TestBoundedCounts(t *testing.T) {
	known := map[string]struct{}{}
	counts := map[string]int{}
	for i := range 10 {
		name := string(rune('a' + i))
		known[name] = struct{}{}
		counts[name] = i
	}
	if got := boundedCounts(known, counts, 10); len(got) != 10 || got["j"] != 9 {
		t.Fatalf("within the limit: %v", got)
	}
	got := boundedCounts(known, counts, 4)
	want := map[string]int{"j": 9, "i": 8, "h": 7, "other": 6 + 5 + 4 + 3 + 2 + 1 + 0}
	if len(got) != len(want) {
		t.Fatalf("past the limit: %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("past the limit: %v, want %v", got, want)
		}
	}
}
