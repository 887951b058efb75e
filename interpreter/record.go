package interpreter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// decodeRun decodes a record into a run. The execution's input is decoded
// only when a step reads it; a record read from the store (not written by
// this node: trusted false) has its input checked here, so that a damaged
// one is an error now rather than a surprise in the middle of a step.
// decoded are threads of a trusted record already decoded, by key (the
// record cache's, from the commit that encoded them): they are used
// instead of parsing the same bytes again, and the run owns them.
func decodeRun(rec *store.Execution, def *dsl.Definition, trusted bool, decoded map[string]*thread, checkAll bool) (*run, error) {
	r := &run{
		id: rec.ID, smName: rec.StateMachine, execName: rec.Name, version: rec.Version, status: rec.Status,
		errName: rec.Error, cause: rec.Cause, startedAt: rec.StartedAt, stoppedAt: rec.StoppedAt,
		inputHash: rec.InputHash, def: def, lastID: rec.LastEventID,
		threads: make(map[int]*thread, len(rec.Threads)), dirty: map[int]bool{}, deleted: map[int]bool{},
	}
	if !trusted && !json.Valid(rec.Input) {
		return nil, fmt.Errorf("execution %s: input: not valid JSON", rec.ID)
	}
	var err error
	r.inputJSON = rec.Input // decoded when a step reads $$.Execution.Input
	if len(rec.Output) > 0 {
		if r.output, err = value.Decode(rec.Output); err != nil {
			return nil, fmt.Errorf("execution %s: output: %w", rec.ID, err)
		}
	}
	if err := decodeHeader(rec.Engine, &r.hdr); err != nil {
		return nil, fmt.Errorf("execution %s: engine state: %w", rec.ID, err)
	}
	if err := refuseNewer(rec.ID, r.hdr.Enc, encodingVersion); err != nil {
		return nil, err
	}
	for k, b := range rec.Threads {
		t := decoded[k]
		reuse := t != nil && trusted
		if reuse {
			if reuse, err = reuseDecoded(t, b, checkAll); err != nil {
				return nil, fmt.Errorf("execution %s: %w", rec.ID, err)
			}
		}
		if !reuse {
			if t, err = decodeThread(b); err != nil {
				return nil, fmt.Errorf("execution %s: thread %s: %w", rec.ID, k, err)
			}
		}
		r.threads[t.ID] = t
	}
	return r, nil
}

// refuseNewer is the check that makes a node refuse a record written in an
// encoding newer than known, the newest it reads: it cannot tell what it
// would lose by running it (a node of release 1 would drop a record's
// variables).
func refuseNewer(id string, enc, known int) error {
	if enc > known {
		return fmt.Errorf("execution %s: record encoding %d is newer than this node understands (%d)", id, enc, known)
	}
	return nil
}

// A decoded thread kept by the record cache stands for the bytes its
// commit wrote. One reuse in checkEvery is checked (every one with
// Config.CheckCachedThreads, which tests set: a step that changed a thread
// without marking it dirty must fail there, not hide behind the cache). A
// thread that fails the check is decoded from its bytes, the truth, and
// counted (Engine.CachedThreadMismatches); with CheckCachedThreads the
// step fails instead.
const checkEvery = 1024

var (
	reuses     atomic.Uint64
	mismatches atomic.Uint64
)

// errCachedThread: a cached thread no longer matches its committed bytes.
var errCachedThread = errors.New("a cached thread no longer matches its committed bytes")

// reuseDecoded reports whether t, cached after the commit that wrote b,
// may stand for b; with checkAll every reuse is checked, and a mismatch is
// an error.
func reuseDecoded(t *thread, b []byte, checkAll bool) (bool, error) {
	if !checkAll && reuses.Add(1)%checkEvery != 0 {
		return true, nil
	}
	if encodesAs(t, b) {
		return true, nil
	}
	mismatches.Add(1)
	if checkAll {
		enc, _ := encodeThread(t)
		return false, fmt.Errorf("thread %d: %w:\n%s\n%s", t.ID, errCachedThread, enc, b)
	}
	return false, nil
}

// CachedThreadMismatches counts the cached threads found not to match
// their committed bytes (and decoded again) since the process started; it
// stays 0 unless a step changes a thread without recording the change.
func CachedThreadMismatches() uint64 { return mismatches.Load() }

// encodesAs reports whether t encodes to b, or to what b decodes to (b
// may be an earlier release's encoding of the same state).
func encodesAs(t *thread, b []byte) bool {
	enc, err := encodeThread(t)
	if err != nil {
		return false
	}
	if bytes.Equal(enc, b) {
		return true
	}
	old, err := decodeThread(b)
	if err != nil {
		return false
	}
	canon, err := encodeThread(old)
	return err == nil && bytes.Equal(enc, canon)
}

// maxDecodedBytes bounds the threads the record cache keeps decoded for a
// record (their JSON size; decoded they take a few times more): a large
// Map's state is decoded again instead of held.
const maxDecodedBytes = 64 << 10

// decodedThreads keys a run's threads as rec (just committed from it)
// does, for the record cache; nil when they are too large to keep.
func (r *run) decodedThreads(rec *store.Execution) map[string]*thread {
	n, bound := 0, maxDecodedBytes
	for _, t := range r.threads {
		if t.Children != nil && t.Children.Run != nil {
			// A Map Run's parent is committed at its children's ends, its
			// results (up to a payload) with it: decoding it again at each
			// costs more than keeping it.
			bound = maxDecodedBytes + 2*r.limits.MaxPayload
			break
		}
	}
	for _, b := range rec.Threads {
		if n += len(b); n > bound {
			return nil
		}
	}
	out := make(map[string]*thread, len(r.threads))
	for id, t := range r.threads {
		out[threadKey(id)] = t
	}
	return out
}

// record encodes the run's header fields and the threads it changed.
func (r *run) record() (*store.Execution, map[string][]byte, []string, error) {
	if r.hdr.Enc < encodingBase {
		r.hdr.Enc = encodingBase // setVars raises it once a variable is set
	}
	eng, err := appendHeader(make([]byte, 0, 96), &r.hdr)
	if err != nil {
		return nil, nil, nil, err
	}
	rec := &store.Execution{
		ID: r.id, StateMachine: r.smName, Version: r.version, Name: r.execName, Status: r.status,
		Input: r.inputJSON, Error: r.errName, Cause: r.cause,
		StartedAt: r.startedAt, StoppedAt: r.stoppedAt, RedriveCount: r.hdr.RedriveCount,
		Engine: eng, DueAt: r.dueAt(), InputHash: r.inputHash, LastEventID: r.lastID,
	}
	if rec.Input == nil {
		rec.Input = value.Marshal(r.input)
	}
	del := make([]string, 0, len(r.deleted))
	for id := range r.deleted {
		if r.threads[id] == nil {
			del = append(del, threadKey(id))
		}
	}
	if r.status == store.StatusSucceeded {
		rec.Output = value.Marshal(r.output)
		// A succeeded execution never runs again (only the others can be
		// redriven): its threads are dropped, which saves their bytes in
		// the store for the whole retention period.
		for id := range r.threads {
			del = append(del, threadKey(id))
		}
		sort.Strings(del)
		return rec, map[string][]byte{}, del, nil
	}
	set := make(map[string][]byte, len(r.dirty))
	for id := range r.dirty {
		t := r.threads[id]
		if t == nil {
			continue
		}
		b, err := encodeThread(t)
		if err != nil {
			return nil, nil, nil, err
		}
		set[threadKey(id)] = b
	}
	sort.Strings(del)
	return rec, set, del, nil
}

// executionInput is the execution's input, decoded from the stored one on
// first use: most steps never read it, and it may be large. decodeRun has
// checked it (or this node wrote it), so the empty object for a decoding
// error is only a guard against a panic.
func (r *run) executionInput() value.Value {
	if r.input == nil && r.inputJSON != nil {
		v, err := value.Decode(r.inputJSON)
		if err != nil {
			v = value.NewObject(0)
		}
		r.input = v
	}
	return r.input
}

// dueAt is the earliest deadline of the execution: now when a thread is still
// runnable or a Map has iterations to start (a step that spent its budget),
// else the nearest timer, task timeout, heartbeat or execution timeout.
func (r *run) dueAt() (due time.Time) {
	if r.status != store.StatusRunning {
		return time.Time{}
	}
	for _, t := range r.threads {
		if t.Phase == phaseReady || r.startsPending(t) {
			return r.now // work left by a step that spent its budget
		}
	}
	min := func(t time.Time) {
		if !t.IsZero() && (due.IsZero() || t.Before(due)) {
			due = t
		}
	}
	min(r.hdr.TimeoutAt)
	for _, t := range r.threads {
		switch t.Phase {
		case phaseWait, phaseBackoff:
			min(t.WakeAt)
		case phaseTask:
			min(t.Task.TimeoutAt)
			min(t.Task.HeartbeatAt)
		}
	}
	return due
}
