package redis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/store"
)

// encoding is the version of the record layout below, stored in every
// record ("enc") so that nodes of two releases can tell layouts apart.
const encoding = "1"

// Record hash fields. Threads are fields threadPrefix+<thread id>.
const (
	fSM, fVersion, fName, fStatus   = "sm", "ver", "name", "status"
	fInput, fOutput, fErr, fCause   = "in", "out", "err", "cause"
	fStarted, fStopped, fRedrive    = "start", "stop", "redrive"
	fRecordVersion, fLastEvent      = "rv", "last"
	fEngine, fDue, fInputHash, fEnc = "eng", "due", "ih", "enc"
	threadPrefix                    = "t:"
)

// nanos encodes an instant exactly; "" is the zero time.
func nanos(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func parseNanos(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	return time.Unix(0, n).UTC(), nil
}

// micros is the sorted-set score of an instant: whole microseconds stay
// exact in a float64 for the next 200 years.
func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// dueScore is the due-set score, "" when nothing is due.
func dueScore(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return micros(t)
}

// endedScore is the ended-set score of a record: its stop time once it is
// no longer running, "" while it runs (or when no stop time is set).
func endedScore(r *store.Execution) string {
	if r.Status == store.StatusRunning || r.StoppedAt.IsZero() {
		return ""
	}
	return micros(r.StoppedAt)
}

// headerFields are the fields a commit rewrites, as pairs: not those fixed
// at create (the input, above all, which may be large).
func headerFields(r *store.Execution) []any {
	return []any{
		fStatus, r.Status, fOutput, r.Output, fErr, r.Error, fCause, r.Cause,
		fStopped, nanos(r.StoppedAt), fRedrive, strconv.Itoa(r.RedriveCount),
		fEngine, r.Engine, fDue, nanos(r.DueAt),
	}
}

// changedHeaderFields are the header fields of r that differ from base,
// the record the stored hash holds at the commit's expected version; all
// of them without base. A step usually changes the engine state alone, so
// this saves Redis most of a commit's HSET arguments and AOF bytes.
func changedHeaderFields(base, r *store.Execution) []any {
	if base == nil {
		return headerFields(r)
	}
	f := make([]any, 0, 16)
	if r.Status != base.Status {
		f = append(f, fStatus, r.Status)
	}
	if !bytes.Equal(r.Output, base.Output) {
		f = append(f, fOutput, r.Output)
	}
	if r.Error != base.Error {
		f = append(f, fErr, r.Error)
	}
	if r.Cause != base.Cause {
		f = append(f, fCause, r.Cause)
	}
	if stop := nanos(r.StoppedAt); stop != nanos(base.StoppedAt) {
		f = append(f, fStopped, stop)
	}
	if r.RedriveCount != base.RedriveCount {
		f = append(f, fRedrive, strconv.Itoa(r.RedriveCount))
	}
	if !bytes.Equal(r.Engine, base.Engine) {
		f = append(f, fEngine, r.Engine)
	}
	if due := nanos(r.DueAt); due != nanos(base.DueAt) {
		f = append(f, fDue, due)
	}
	return f
}

// createFields are all fields of a new record, threads included.
func createFields(r *store.Execution, events int) []any {
	f := headerFields(r)
	f = append(f, fInput, r.Input,
		fSM, r.StateMachine, fVersion, strconv.Itoa(r.Version), fName, r.Name,
		fStarted, nanos(r.StartedAt), fInputHash, r.InputHash, fEnc, encoding,
		fRecordVersion, "1", fLastEvent, strconv.Itoa(events))
	for id, t := range r.Threads {
		f = append(f, threadPrefix+id, t)
	}
	return f
}

// bytesOf copies a field's value: go-redis hands out strings, which are
// immutable, so every []byte given out is the caller's own.
func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// decodeRecord reads a record hash (HGETALL) back.
func decodeRecord(id string, h map[string]string) (*store.Execution, error) {
	r := &store.Execution{ID: id, Threads: map[string][]byte{}}
	var err error
	atoi := func(field string) int64 {
		n, perr := strconv.ParseInt(h[field], 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("record field %s: malformed number %q", field, h[field])
		}
		return n
	}
	at := func(field string) time.Time {
		t, perr := parseNanos(h[field])
		if perr != nil && err == nil {
			err = fmt.Errorf("record field %s: %w", field, perr)
		}
		return t
	}
	if enc := h[fEnc]; enc != encoding {
		return nil, fmt.Errorf("record encoding %q, this release reads %q", enc, encoding)
	}
	r.StateMachine, r.Name, r.Status = h[fSM], h[fName], h[fStatus]
	r.Version = int(atoi(fVersion))
	r.Input, r.Output, r.Engine = bytesOf(h[fInput]), bytesOf(h[fOutput]), bytesOf(h[fEngine])
	r.Error, r.Cause, r.InputHash = h[fErr], h[fCause], h[fInputHash]
	r.StartedAt, r.StoppedAt, r.DueAt = at(fStarted), at(fStopped), at(fDue)
	r.RedriveCount = int(atoi(fRedrive))
	r.RecordVersion, r.LastEventID = atoi(fRecordVersion), atoi(fLastEvent)
	for k, v := range h {
		if t, ok := strings.CutPrefix(k, threadPrefix); ok {
			r.Threads[t] = []byte(v)
		}
	}
	return r, err
}

// summaryFields are read (HMGET) to list an execution.
var summaryFields = []string{fSM, fVersion, fName, fStatus, fStarted, fStopped}

func decodeSummary(id string, v []any) (store.Summary, bool) {
	str := func(i int) string { s, _ := v[i].(string); return s }
	if len(v) != len(summaryFields) || v[0] == nil {
		return store.Summary{}, false
	}
	version, _ := strconv.Atoi(str(1))
	started, _ := parseNanos(str(4))
	stopped, _ := parseNanos(str(5))
	return store.Summary{ID: id, StateMachine: str(0), Version: version, Name: str(2), Status: str(3),
		StartedAt: started, StoppedAt: stopped}, true
}

// queuedTask is an activity task in a queue. An element is
// "<µs>|<json>": the time the writer queued it (earlier releases' scripts
// used the Redis time), then the task. The writer makes the whole element,
// so that the commit claiming a task can name it exactly (LREM).
type queuedTask struct {
	Activity    string `json:"a"`
	Token       string `json:"k"`
	ExecutionID string `json:"x"`
	Input       []byte `json:"i,omitempty"`
}

// encodeQueued makes the queue element of a task queued at.
func encodeQueued(t store.ActivityTask, at time.Time) (string, error) {
	b, err := json.Marshal(queuedTask{t.Activity, t.Token, t.ExecutionID, t.Input})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(at.UnixMicro(), 10) + "|" + string(b), nil
}

// decodeQueued splits a queue element into its queue time and task.
func decodeQueued(s string) (int64, *store.ActivityTask, error) {
	stamp, body, ok := strings.Cut(s, "|")
	at, err := strconv.ParseInt(stamp, 10, 64)
	if !ok || err != nil {
		return 0, nil, fmt.Errorf("malformed queued task %.40q", s)
	}
	var q queuedTask
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		return 0, nil, fmt.Errorf("malformed queued task: %w", err)
	}
	return at, &store.ActivityTask{Activity: q.Activity, Token: q.Token, ExecutionID: q.ExecutionID, Input: q.Input}, nil
}
