// Package awsmeta keeps what the AWS-compatible API knows about resources
// and the engine does not need: a state machine's type, role, tags,
// logging and tracing settings, published versions and aliases; the
// activities created by name; the node's region and account. Each is a JSON
// document in the store (store.Docs), updated by compare-and-set, so that
// nodes sharing a store agree on them. Both APIs use this package: the REST
// API shows published versions and aliases, and deleting a state machine
// through either removes its document.
package awsmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/store"
)

// Document kinds.
const (
	kindConfig   = "config"
	kindMachine  = "machine"
	kindActivity = "activity"
	kindExec     = "execution"
)

// State machine types.
const (
	Standard = "STANDARD"
	Express  = "EXPRESS"
)

// Tag is a resource tag. Tags keep the order they were given in.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Published is a published version: AWS's version number and the sfn
// version (revision) it names.
type Published struct {
	Number      int       `json:"number"`
	Revision    int       `json:"revision"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Route is one version an alias sends executions to, with its weight (0-100).
type Route struct {
	Version int `json:"version"` // a published version number
	Weight  int `json:"weight"`
}

// Alias names up to two published versions with weights.
type Alias struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Routing     []Route   `json:"routing"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Machine is a state machine's document. A state machine made through the
// REST API has none until the AWS API changes something: Default is what it
// then has.
type Machine struct {
	Type    string          `json:"type"`
	RoleArn string          `json:"roleArn,omitempty"`
	Tags    []Tag           `json:"tags,omitempty"`
	Logging json.RawMessage `json:"logging,omitempty"`
	Tracing json.RawMessage `json:"tracing,omitempty"`
	// Published lists the published versions, oldest first; NextNumber is
	// the number the next one gets (numbers are never reused).
	Published  []Published `json:"published,omitempty"`
	NextNumber int         `json:"nextNumber,omitempty"`
	Aliases    []Alias     `json:"aliases,omitempty"`
	// FirstRevision is the revision the state machine was created with
	// (revisions are never reused, so a name deleted and made again starts
	// past 1); 0 in documents written before it was recorded.
	FirstRevision int `json:"firstRevision,omitempty"`

	rev int64
}

// Default is the document of a state machine that has none.
func Default() Machine { return Machine{Type: Standard, NextNumber: 1} }

// Activity is an activity's document.
type Activity struct {
	CreatedAt time.Time `json:"createdAt"`
	Tags      []Tag     `json:"tags,omitempty"`
}

// ExecutionNote records how an execution was started when it was started
// through a version or an alias, for DescribeExecution.
type ExecutionNote struct {
	Version int    `json:"version,omitempty"` // published version number
	Alias   string `json:"alias,omitempty"`
}

// Meta reads and writes the documents of one store.
type Meta struct {
	docs store.Docs
}

// New returns the documents of docs.
func New(docs store.Docs) *Meta { return &Meta{docs: docs} }

// ErrSpaceChanged is returned by EnsureSpace when the store was first
// started with another region or account.
var ErrSpaceChanged = errors.New("the store belongs to another region or account")

// EnsureSpace records s as the store's region and account at the first
// start, and refuses a start with other values: ARNs must not change under
// running executions.
func (m *Meta) EnsureSpace(ctx context.Context, s arn.Space) error {
	for {
		d, err := m.docs.GetDoc(ctx, kindConfig, "space")
		if errors.Is(err, store.ErrNotFound) {
			data, _ := json.Marshal(s)
			if _, err := m.docs.PutDoc(ctx, store.Doc{Kind: kindConfig, Name: "space", Data: data}); errors.Is(err, store.ErrConflict) {
				continue
			} else if err != nil {
				return err
			}
			return nil
		}
		if err != nil {
			return err
		}
		var have arn.Space
		if err := json.Unmarshal(d.Data, &have); err != nil {
			return fmt.Errorf("stored region and account: %w", err)
		}
		if have != s {
			return fmt.Errorf("%w: it was first started with region %s and account %s, this node has region %s and account %s (start it with --aws-region %s --aws-account %s)",
				ErrSpaceChanged, have.Region, have.Account, s.Region, s.Account, have.Region, have.Account)
		}
		return nil
	}
}

// Machine returns a state machine's document, Default when it has none.
func (m *Meta) Machine(ctx context.Context, name string) (Machine, error) {
	d, err := m.docs.GetDoc(ctx, kindMachine, name)
	if errors.Is(err, store.ErrNotFound) {
		return Default(), nil
	}
	if err != nil {
		return Machine{}, err
	}
	var mc Machine
	if err := json.Unmarshal(d.Data, &mc); err != nil {
		return Machine{}, fmt.Errorf("document of state machine %s: %w", name, err)
	}
	if mc.NextNumber == 0 {
		mc.NextNumber = 1
	}
	mc.rev = d.Rev
	return mc, nil
}

// UpdateMachine applies change to a state machine's document and stores it,
// trying again when another writer got there first. change may be called
// more than once; an error from it is returned as is and nothing is written.
func (m *Meta) UpdateMachine(ctx context.Context, name string, change func(*Machine) error) (Machine, error) {
	for {
		mc, err := m.Machine(ctx, name)
		if err != nil {
			return Machine{}, err
		}
		if err := change(&mc); err != nil {
			return Machine{}, err
		}
		data, err := json.Marshal(mc)
		if err != nil {
			return Machine{}, err
		}
		rev, err := m.docs.PutDoc(ctx, store.Doc{Kind: kindMachine, Name: name, Data: data, Rev: mc.rev})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Machine{}, err
		}
		mc.rev = rev
		return mc, nil
	}
}

// putMachineAt writes mc at the revision it was read at (once: no retry),
// and sets its new revision; store.ErrConflict when the document changed.
func (m *Meta) putMachineAt(ctx context.Context, name string, mc *Machine) error {
	data, err := json.Marshal(mc)
	if err != nil {
		return err
	}
	rev, err := m.docs.PutDoc(ctx, store.Doc{Kind: kindMachine, Name: name, Data: data, Rev: mc.rev})
	if err != nil {
		return err
	}
	mc.rev = rev
	return nil
}

// DeleteMachine removes a state machine's document (its tags, versions and
// aliases) with the state machine.
func (m *Meta) DeleteMachine(ctx context.Context, name string) error {
	return m.docs.DeleteDoc(ctx, kindMachine, name)
}

// Activity returns an activity's document, or an error wrapping
// store.ErrNotFound.
func (m *Meta) Activity(ctx context.Context, name string) (Activity, error) {
	d, err := m.docs.GetDoc(ctx, kindActivity, name)
	if err != nil {
		return Activity{}, err
	}
	var a Activity
	if err := json.Unmarshal(d.Data, &a); err != nil {
		return Activity{}, fmt.Errorf("document of activity %s: %w", name, err)
	}
	return a, nil
}

// CreateActivity creates an activity unless it exists, and returns it as
// stored (created false when it existed).
func (m *Meta) CreateActivity(ctx context.Context, name string, a Activity) (Activity, bool, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return Activity{}, false, err
	}
	_, err = m.docs.PutDoc(ctx, store.Doc{Kind: kindActivity, Name: name, Data: data})
	if errors.Is(err, store.ErrConflict) {
		have, gerr := m.Activity(ctx, name)
		return have, false, gerr
	}
	if err != nil {
		return Activity{}, false, err
	}
	return a, true, nil
}

// UpdateActivity changes an existing activity's document (its tags).
func (m *Meta) UpdateActivity(ctx context.Context, name string, change func(*Activity)) error {
	for {
		d, err := m.docs.GetDoc(ctx, kindActivity, name)
		if err != nil {
			return err
		}
		var a Activity
		if err := json.Unmarshal(d.Data, &a); err != nil {
			return fmt.Errorf("document of activity %s: %w", name, err)
		}
		change(&a)
		data, _ := json.Marshal(a)
		_, err = m.docs.PutDoc(ctx, store.Doc{Kind: kindActivity, Name: name, Data: data, Rev: d.Rev})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
}

// DeleteActivity removes an activity; deleting an absent one is no error.
func (m *Meta) DeleteActivity(ctx context.Context, name string) error {
	return m.docs.DeleteDoc(ctx, kindActivity, name)
}

// ActivityItem is an activity as listed.
type ActivityItem struct {
	Name string
	Activity
}

// ListActivities lists activities by name.
func (m *Meta) ListActivities(ctx context.Context, cursor string, limit int) ([]ActivityItem, string, error) {
	docs, next, err := m.docs.ListDocs(ctx, kindActivity, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]ActivityItem, 0, len(docs))
	for _, d := range docs {
		it := ActivityItem{Name: d.Name}
		if err := json.Unmarshal(d.Data, &it.Activity); err != nil {
			return nil, "", fmt.Errorf("document of activity %s: %w", d.Name, err)
		}
		out = append(out, it)
	}
	return out, next, nil
}

// noteDoc is an ExecutionNote as stored, with the start time of the
// execution it belongs to: an execution name can be used again once the
// janitor has removed the execution, and the new execution must not show
// the old one's note.
type noteDoc struct {
	ExecutionNote
	StartedAt int64 `json:"startedAt"` // Unix milliseconds
}

// NoteExecution records how execution id, started at started, was started
// (version or alias). It may be called again for the same start (a
// retried start): the note is written once.
func (m *Meta) NoteExecution(ctx context.Context, id string, started time.Time, n ExecutionNote) error {
	want := noteDoc{ExecutionNote: n, StartedAt: started.UnixMilli()}
	data, _ := json.Marshal(want)
	for {
		var rev int64
		d, err := m.docs.GetDoc(ctx, kindExec, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			var have noteDoc
			if json.Unmarshal(d.Data, &have) == nil && have == want {
				return nil
			}
			rev = d.Rev // an earlier execution's under this name: replaced
		}
		_, err = m.docs.PutDoc(ctx, store.Doc{Kind: kindExec, Name: id, Data: data, Rev: rev})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
}

// ExecutionNote returns what NoteExecution recorded for execution id
// started at started, zero when nothing (or only a note of an earlier
// execution under the same name).
func (m *Meta) ExecutionNote(ctx context.Context, id string, started time.Time) (ExecutionNote, error) {
	d, err := m.docs.GetDoc(ctx, kindExec, id)
	if errors.Is(err, store.ErrNotFound) {
		return ExecutionNote{}, nil
	}
	if err != nil {
		return ExecutionNote{}, err
	}
	var n noteDoc
	if err := json.Unmarshal(d.Data, &n); err != nil {
		return ExecutionNote{}, fmt.Errorf("note of execution %s: %w", id, err)
	}
	if n.StartedAt != started.UnixMilli() {
		return ExecutionNote{}, nil
	}
	return n.ExecutionNote, nil
}

// PublishedNumber returns the published version number that names revision
// (the newest one, when several do), 0 when none.
func (mc Machine) PublishedNumber(revision int) int {
	for i := len(mc.Published) - 1; i >= 0; i-- {
		if mc.Published[i].Revision == revision {
			return mc.Published[i].Number
		}
	}
	return 0
}

// Version returns a published version by number.
func (mc Machine) Version(number int) (Published, bool) {
	for _, p := range mc.Published {
		if p.Number == number {
			return p, true
		}
	}
	return Published{}, false
}

// Alias returns an alias by name.
func (mc Machine) Alias(name string) (Alias, bool) {
	for _, a := range mc.Aliases {
		if a.Name == name {
			return a, true
		}
	}
	return Alias{}, false
}
