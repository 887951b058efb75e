package interpreter

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/store"
)

// StatusChange is an entry of the store's change log (store.ChangeLog) as
// the engine writes it: the commit that changes an execution's status (its
// start, its end, a redrive) carries one (CreateParams.Change,
// CommitParams.Change), so the log holds every committed status change
// and nothing else. What tells others of them (interpreter/notify) reads
// the log. Input, output and the cause of a failure are not in the entry
// (they would double the bytes of every end's commit; a cause can be 32 KB):
// readers take them from the record while it is still at the end the
// entry tells of. The engine writes entries only while the store keeps
// its log (store.ChangesKept): nobody reads it otherwise.
type StatusChange struct {
	// V is the entry's format (StatusChangeFormat); a reader refuses a
	// newer one rather than guess.
	V            int    `json:"v"`
	ID           string `json:"id"`
	StateMachine string `json:"sm"`
	Version      int    `json:"ver"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	// Started: the same write started the execution (a start whose first
	// step already ended it has one entry, with its end's status).
	Started   bool      `json:"started,omitempty"`
	StartedAt time.Time `json:"start"`
	StoppedAt time.Time `json:"stop,omitzero"`
	Error     string    `json:"error,omitempty"`
	// Cause is no longer written (the record has it); entries of earlier
	// releases may carry it.
	Cause        string `json:"cause,omitempty"`
	RedriveCount int    `json:"redrive,omitempty"`
	// RecordVersion is the record version the write made.
	RecordVersion int64 `json:"rv"`
}

// StatusChangeFormat is the format of the entries this release writes and
// the newest it reads.
const StatusChangeFormat = 1

// statusChange encodes the entry of a write that made rec at version, or
// nil while the store keeps no change log; started says whether the write
// created the execution.
func (e *Engine) statusChange(rec *store.Execution, version int64, started bool) []byte {
	if !store.ChangesKept(e.store) {
		return nil
	}
	b, err := json.Marshal(StatusChange{V: StatusChangeFormat, ID: rec.ID, StateMachine: rec.StateMachine, Version: rec.Version,
		Name: rec.Name, Status: rec.Status, Started: started, StartedAt: rec.StartedAt.UTC(), StoppedAt: rec.StoppedAt.UTC(),
		Error: rec.Error, RedriveCount: rec.RedriveCount, RecordVersion: version})
	if err != nil {
		return nil // a time out of JSON's range; the write goes on without its entry
	}
	return b
}

// DecodeStatusChange reads a change log entry; an entry of a newer format
// than this release knows is refused.
func DecodeStatusChange(data []byte) (StatusChange, error) {
	var head struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return StatusChange{}, fmt.Errorf("status change entry: %w", err)
	}
	if head.V > StatusChangeFormat || head.V < 1 {
		return StatusChange{}, fmt.Errorf("status change entry of format %d: this node reads formats 1 to %d", head.V, StatusChangeFormat)
	}
	var c StatusChange
	if err := json.Unmarshal(data, &c); err != nil {
		return StatusChange{}, fmt.Errorf("status change entry: %w", err)
	}
	return c, nil
}
