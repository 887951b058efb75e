// Package store is the persistence contract of sfn: state machine
// definitions and their versions, execution records, append-only histories,
// the indexes that list executions, and the due times of timers.
//
// Every change an execution goes through is one Commit: the step's history
// events and the new record land together or not at all, and only when the
// record is still at the version the writer read (compare-and-set) and the
// writer still holds the partition's lease (fencing). Implementations:
// store/memory (development, tests) and, later, Redis (production). All of
// them pass the shared suite in store/storetest.
//
// The package imports none of sfn's other packages: records carry the
// engine's state as opaque bytes.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with context.
var (
	// ErrNotFound: no such state machine, version or execution.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the execution name is taken in its state machine.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: the record changed since it was read (compare-and-set failed).
	ErrConflict = errors.New("conflict: the record changed")
	// ErrLeaseLost: the writer's fencing token is stale.
	ErrLeaseLost = errors.New("lease lost")
	// ErrTaskTaken: a commit's Claim named a task that is no longer queued
	// (another poller claimed it, or it was dropped); nothing was written.
	ErrTaskTaken = errors.New("activity task taken")
)

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// StateMachine is one version of a definition.
type StateMachine struct {
	Name             string
	Version          int
	DefinitionSHA256 string
	// Definition is the canonical JSON form of the definition (RFC 8785):
	// what DefinitionSHA256 is computed over, so the version's identity.
	Definition []byte
	// Source is the definition's text as it was uploaded, and SourceFormat
	// its syntax ("json" or "yaml"): the keys in their order and the
	// numbers as written, which the canonical form does not keep. Versions
	// stored by releases before these fields have neither; an Unchanged put
	// returns the source of the version it found, not the one it was given.
	Source       []byte
	SourceFormat string
	CreatedAt    time.Time // when the name was first created
	UpdatedAt    time.Time // when this version was made
}

// PutResult says what a PutStateMachine did.
type PutResult int

// Outcomes of PutStateMachine.
const (
	Created    PutResult = iota // a new name, version 1
	NewVersion                  // a changed definition, a new version
	Unchanged                   // the same definition as the latest version
)

// Execution is an execution's record: what listing and describing need, plus
// the engine's own state as opaque bytes.
type Execution struct {
	ID           string
	StateMachine string
	Version      int
	Name         string
	Status       string
	Input        []byte // JSON
	Output       []byte // JSON; set when SUCCEEDED
	Error        string
	Cause        string
	StartedAt    time.Time
	StoppedAt    time.Time // zero while running
	RedriveCount int

	// RecordVersion increases by one with every commit.
	RecordVersion int64
	// LastEventID is the id of the newest history event.
	LastEventID int64
	// Engine is the engine's state of the execution (opaque to the store).
	Engine []byte
	// Threads are the engine's per-thread states (Parallel branches, Map
	// iterations), stored as separate fields and written only when they change.
	Threads map[string][]byte
	// DueAt is the earliest time the engine must look at the execution again
	// (a Wait, a retry back-off, a timeout); zero when nothing is due.
	DueAt time.Time
	// InputHash identifies the start request, for idempotent starts.
	InputHash string
}

// Summary is an execution as listed.
type Summary struct {
	ID           string
	StateMachine string
	Version      int
	Name         string
	Status       string
	StartedAt    time.Time
	StoppedAt    time.Time
}

// Event is one history event, already encoded by the engine.
type Event struct {
	ID   int64
	Data []byte // the event as a JSON object
}

// ActivityTask is an activity task waiting for a worker to poll it. It is
// queued by the same commit that writes its ActivityScheduled event.
type ActivityTask struct {
	Activity    string
	Token       string
	ExecutionID string
	Input       []byte // JSON
	// QueuedAt, when set, is the time the task's queue entry carries (the
	// engine gives its TaskScheduled time), so that the same task can be
	// named again to withdraw it (CommitParams.Withdraw); zero: the time
	// of the commit.
	QueuedAt time.Time
	// Held is set when PopActivity left the task in its queue; it is the
	// store's own name for it. The caller then takes the task out with the
	// commit that records its start (CommitParams.Claim), so a hand-out that
	// is not recorded leaves the task queued, whatever crashes in between;
	// or with DropActivity when it finds the task stale. A held task can be
	// returned to several pollers: only one claim succeeds. Empty when the
	// task has left its queue already.
	Held string
}

// CreateParams starts an execution: its first record and first events.
type CreateParams struct {
	Execution  *Execution
	Events     []Event
	Activities []ActivityTask
	// InFlight puts the execution in its partition's in-flight set
	// (PartitionQueries.InFlight): it has a task call that a node taking
	// the partition over must make again or requeue.
	InFlight bool
	// Change, when set, is appended to the change log (ChangeLog) by the
	// same atomic write: the execution's start. A store without a log, or
	// whose log is off, ignores it.
	Change []byte
}

// CommitParams is one step of an execution.
type CommitParams struct {
	ID string
	// ExpectedVersion is the RecordVersion the writer read.
	ExpectedVersion int64
	// Fence is the writer's lease token for the execution's partition (0 for
	// writes from outside the owner, which rely on ExpectedVersion alone).
	Fence int64
	// Record carries the new header fields; its Threads are ignored, and so
	// are the fields fixed when the execution was created: its identity,
	// Input, InputHash and StartedAt (a commit never rewrites the input).
	Record *Execution
	// Base, when set, is the record as the writer read it at
	// ExpectedVersion. A store may then write only the header fields in
	// which Record differs from it: the version check makes the stored
	// ones Base's. Nil writes them all.
	Base *Execution
	// SetThreads and DeleteThreads change individual threads.
	SetThreads    map[string][]byte
	DeleteThreads []string
	// Events are appended; their ids must continue LastEventID without gaps.
	Events []Event
	// Activities are queued for workers, atomically with the events.
	Activities []ActivityTask
	// Withdraw are tasks of this execution queued by earlier commits and no
	// longer wanted (timed out, aborted, their execution ended), named as
	// they were queued (same token, input and QueuedAt). They leave their
	// queues with the commit when still among the first of them; best
	// effort: one further back, or queued by an older release, stays until
	// a poll finds it stale.
	Withdraw []ActivityTask
	// InFlight keeps the execution in its partition's in-flight set after
	// this commit (see CreateParams.InFlight); false takes it out. An
	// execution that ended may stay in it too: a child execution whose
	// parent is still to be told of its end (the engine's outbox).
	InFlight bool
	// Claim, when set, is a held task of this execution (ActivityTask.Held)
	// that leaves its queue with this commit. When it is no longer queued
	// the commit writes nothing and fails with ErrTaskTaken.
	Claim *ActivityTask
	// Change, when set, is appended to the change log (ChangeLog) by the
	// same atomic write, and only when the commit applies: the engine sets
	// it on commits that change the status (an end, a redrive). A store
	// without a log, or whose log is off, ignores it.
	Change []byte
}

// HistoryQuery selects a page of an execution's history.
type HistoryQuery struct {
	ID      string
	After   int64 // events with ids greater than After (or smaller, when Reverse and After > 0)
	Limit   int
	Reverse bool
}

// ListQuery selects a page of executions, newest first.
type ListQuery struct {
	StateMachine string // "" for all
	Status       string // "" for all
	Cursor       string
	Limit        int
}

// Store is what sfn keeps.
type Store interface {
	// PutStateMachine stores a definition under name: version 1 for a new
	// name, a new version when the SHA-256 differs from the latest, nothing
	// when it is the same. Version numbers are never reused, also after delete.
	PutStateMachine(ctx context.Context, sm StateMachine) (StateMachine, PutResult, error)
	// GetStateMachine returns a version (0: the latest) of a live state machine.
	GetStateMachine(ctx context.Context, name string, version int) (StateMachine, error)
	// GetStateMachineVersion returns a version even after the name was deleted
	// (running executions are pinned to it).
	GetStateMachineVersion(ctx context.Context, name string, version int) (StateMachine, error)
	ListStateMachines(ctx context.Context, cursor string, limit int) ([]StateMachine, string, error)
	DeleteStateMachine(ctx context.Context, name string) error

	// CreateExecution stores a new execution and reserves its name within
	// its state machine; a taken name is ErrAlreadyExists with the existing
	// execution's id returned.
	CreateExecution(ctx context.Context, p CreateParams) (existingID string, err error)
	GetExecution(ctx context.Context, id string) (*Execution, error)
	Commit(ctx context.Context, p CommitParams) error
	History(ctx context.Context, q HistoryQuery) ([]Event, error)
	ListExecutions(ctx context.Context, q ListQuery) ([]Summary, string, error)
	// Due returns up to limit running executions whose DueAt is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Watch returns a channel that receives after each commit of the
	// execution (notices may be merged; readers re-read). cancel releases it.
	Watch(ctx context.Context, id string) (notices <-chan struct{}, cancel func())
	// WatchStatus is Watch for readers that wait for an end: its channel
	// receives only after commits that change the execution's status (it
	// ends, or a redrive runs it again), not after every step.
	WatchStatus(ctx context.Context, id string) (notices <-chan struct{}, cancel func())
	// PopActivity takes a queued task of an activity, roughly oldest first
	// (not strictly: the Redis store spreads pollers over partitions, and a
	// node's polls prefer the tasks that node queued); ErrNotFound when
	// there is none. Every queued task is eventually returned. A task is
	// handed to exactly one caller: removed from its queue at once, or held
	// (ActivityTask.Held) until one caller's commit claims it.
	PopActivity(ctx context.Context, activity string) (*ActivityTask, error)
	// DropActivity removes a held task from its queue, for a caller that
	// found it stale (its execution ended, its state moved on), and reports
	// whether it was still there: of concurrent callers, one removes it.
	DropActivity(ctx context.Context, task *ActivityTask) (removed bool, err error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	Close() error

	Docs
}

// ErrInvalidCursor: a pagination cursor that this store did not make.
var ErrInvalidCursor = errors.New("invalid cursor")

// Doc is a named document kept beside the state machines: the attributes
// that the AWS-compatible API keeps and the engine does not read (a state
// machine's type, role, tags, published versions and aliases; the
// activities created through that API; the node's region and account; how
// an execution was started through a version or an alias), and the
// at-least-once starts of Express executions (a small start document per
// start in flight, up to a node's Express bound, and its input apart, up to
// the payload limit). Data is the caller's (JSON by convention); Rev
// increases by one with every put, so that callers update a document by
// compare-and-set. Kinds that many nodes list often hold small documents.
type Doc struct {
	Kind string
	Name string
	Data []byte
	Rev  int64
}

// Docs keeps documents by kind and name. A kind is a short lower-case word;
// names are at most a few hundred bytes. Documents never expire.
type Docs interface {
	// GetDoc returns the document, or ErrNotFound.
	GetDoc(ctx context.Context, kind, name string) (Doc, error)
	// PutDoc writes d.Data under d.Kind/d.Name when the stored revision is
	// d.Rev (0: no document stored) and returns the new revision (d.Rev+1);
	// otherwise nothing is written and the error is ErrConflict.
	PutDoc(ctx context.Context, d Doc) (rev int64, err error)
	// DeleteDoc removes the document if present; deleting an absent one is
	// not an error.
	DeleteDoc(ctx context.Context, kind, name string) error
	// ListDocs returns the documents of a kind ordered by name, at most
	// limit (limit <= 0: all of them), starting after cursor (the name of
	// the last one of the previous page, "" for the first); next is "" on
	// the last page.
	ListDocs(ctx context.Context, kind, cursor string, limit int) (docs []Doc, next string, err error)
}
