package awsmeta_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
)

// Publish numbers revisions 1, 2, 3 …; a revision any published version
// names already gives that version back (AWS's idempotency, not only the
// latest published one), whatever the description; descriptions are
// counted in characters; the quota holds.
func TestPublish(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	mc := awsmeta.Default()
	for _, c := range []struct {
		revision    int
		description string
		number      int
		created     bool
	}{
		{3, "first", 1, true},
		{3, "again", 1, false},
		{5, "", 2, true},
		{3, "older", 1, false}, // published, though not the latest published one
		{4, "", 3, true},
	} {
		p, created, err := mc.Publish(c.revision, c.description, now)
		if err != nil || p.Number != c.number || p.Revision != c.revision || created != c.created {
			t.Fatalf("Publish(%d, %q) = %+v, %v, %v; want number %d, created %v", c.revision, c.description, p, created, err, c.number, c.created)
		}
	}
	if p, _ := mc.Version(1); p.Description != "first" {
		t.Errorf("version 1's description = %q: publishing again changed it", p.Description)
	}

	// 256 characters of three bytes each pass; 257 do not.
	if _, _, err := mc.Publish(6, strings.Repeat("é", 256), now); err != nil {
		t.Errorf("256 two-byte characters: %v", err)
	}
	if _, _, err := mc.Publish(7, strings.Repeat("€", 257), now); !errors.Is(err, awsmeta.ErrDescriptionTooLong) {
		t.Errorf("257 characters: %v, want ErrDescriptionTooLong", err)
	}
	if err := awsmeta.CheckDescription(strings.Repeat("€", 256)); err != nil {
		t.Errorf("CheckDescription of 256 characters (768 bytes): %v", err)
	}

	full := awsmeta.Default()
	for i := range awsmeta.MaxPublished {
		if _, _, err := full.Publish(i+1, "", now); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := full.Publish(awsmeta.MaxPublished+1, "", now); !errors.Is(err, awsmeta.ErrVersionQuota) {
		t.Errorf("publish %d: %v, want ErrVersionQuota", awsmeta.MaxPublished+1, err)
	}
	if p, created, err := full.Publish(7, "", now); err != nil || created || p.Revision != 7 {
		t.Errorf("a published revision at the quota: %+v, %v, %v; want it back", p, created, err)
	}
}
