package awsmeta

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// AWS's quotas, which both APIs apply.
const (
	MaxPublished   = 1000 // published versions per state machine
	MaxAliases     = 100  // aliases per state machine
	MaxDescription = 256  // characters of a published version's or an alias's description
)

// Errors of Publish, CheckDescription and AddAlias; each API answers them
// in its own words.
var (
	// ErrDescriptionTooLong: a description of more than MaxDescription
	// characters.
	ErrDescriptionTooLong = errors.New("description too long")
	// ErrVersionQuota: the state machine has MaxPublished published
	// versions.
	ErrVersionQuota = errors.New("too many published versions")
	// ErrAliasQuota: the state machine has MaxAliases aliases.
	ErrAliasQuota = errors.New("too many aliases")
)

// CheckDescription refuses a description of more than MaxDescription
// characters (characters, not bytes, as AWS counts them).
func CheckDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > MaxDescription {
		return fmt.Errorf("%w: %d characters, at most %d are allowed", ErrDescriptionTooLong, n, MaxDescription)
	}
	return nil
}

// Publish gives revision the next published version number and returns
// it (true: mc changed and must be stored). A revision that any published
// version already names returns that version unchanged (false): publishing
// is idempotent, as AWS's PublishStateMachineVersion is, whatever the
// description. Errors: ErrDescriptionTooLong, ErrVersionQuota.
func (mc *Machine) Publish(revision int, description string, now time.Time) (Published, bool, error) {
	if err := CheckDescription(description); err != nil {
		return Published{}, false, err
	}
	if n := mc.PublishedNumber(revision); n != 0 {
		p, _ := mc.Version(n)
		return p, false, nil
	}
	if len(mc.Published) >= MaxPublished {
		return Published{}, false, fmt.Errorf("%w: %d, the most a state machine can have", ErrVersionQuota, MaxPublished)
	}
	if mc.NextNumber < 1 {
		mc.NextNumber = 1
	}
	p := Published{Number: mc.NextNumber, Revision: revision, Description: description, CreatedAt: now}
	mc.Published = append(mc.Published, p)
	mc.NextNumber++
	return p, true, nil
}
