package store_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

// plainRegistry records no releases, as the registries of earlier
// releases did.
type plainRegistry struct{ live []string }

func (r plainRegistry) Heartbeat(context.Context, string, time.Duration) ([]string, error) {
	return r.live, nil
}
func (plainRegistry) Leave(context.Context, string) error { return nil }

// TestHeartbeatReleaseWithoutReleases: a registry that records no releases
// knows of no node of another release.
func TestHeartbeatReleaseWithoutReleases(t *testing.T) {
	got, err := store.HeartbeatRelease(context.Background(), plainRegistry{live: []string{"a", "b"}}, "a", store.Release, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": store.Release, "b": store.Release}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
