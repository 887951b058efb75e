package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: sfn serve collects less often on Redis, unless GOGC says
// otherwise, and keeps Go's default on the in-memory store.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	for _, c := range []struct {
		name           string
		redis, gogcSet bool
		want           int
	}{
		{"redis", true, false, serveGCPercent},
		{"redis with GOGC", true, true, 100},
		{"memory", false, false, 100},
	} {
		debug.SetGCPercent(100)
		applied := tuneGC(c.redis, c.gogcSet)
		if got := debug.SetGCPercent(100); got != c.want || applied != (c.want != 100) {
			t.Errorf("%s: GC percent %d (applied %v), want %d", c.name, got, applied, c.want)
		}
	}
}
