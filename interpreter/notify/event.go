package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// DetailType and Source are those of AWS's execution status change events.
const (
	DetailType = "Step Functions Execution Status Change"
	Source     = "aws.states"
)

// maxPayload is where AWS leaves input and output out of the event: when
// the two together exceed 248 KB the input goes, and the output too when
// it alone exceeds it (EventBridge's event size quota).
const maxPayload = 248 * 1024

// Event is one status change as delivered: AWS's EventBridge event.
type Event struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     Detail   `json:"detail"`
}

// Detail is the event's detail, with AWS's field names and types: dates in
// milliseconds since the epoch, input and output as JSON text, null where
// AWS has null.
type Detail struct {
	ExecutionArn    string       `json:"executionArn"`
	StateMachineArn string       `json:"stateMachineArn"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	StartDate       int64        `json:"startDate"`
	StopDate        *int64       `json:"stopDate"`
	Input           *string      `json:"input"`
	Output          *string      `json:"output"`
	InputDetails    *DataDetails `json:"inputDetails"`
	OutputDetails   *DataDetails `json:"outputDetails"`
	Error           *string      `json:"error"`
	Cause           *string      `json:"cause"`
	RedriveCount    int          `json:"redriveCount"`
}

// DataDetails says whether input or output is in the event.
type DataDetails struct {
	Included bool `json:"included"`
}

// item is one event to deliver: which change log entry it comes from and
// what it says.
type item struct {
	cursor string // the entry's
	index  int    // 0, or 1 for the end of an entry that also started the execution
	last   bool   // the entry's last event
	at     time.Time
	change interpreter.StatusChange
	status string // this event's status
	id     string // the event's id
}

// expand turns a change log entry into its events: one, or two for a start
// whose first step already ended the execution (RUNNING, then the end).
func expand(c store.Change) ([]item, error) {
	sc, err := interpreter.DecodeStatusChange(c.Data)
	if err != nil {
		return nil, err
	}
	var out []item
	if sc.Started && sc.Status != store.StatusRunning {
		out = append(out, item{cursor: c.Cursor, index: 0, at: c.At, change: sc, status: store.StatusRunning})
	}
	out = append(out, item{cursor: c.Cursor, index: len(out), last: true, at: c.At, change: sc, status: sc.Status})
	for i := range out {
		out[i].id = eventID(c.Cursor, out[i].index)
	}
	return out, nil
}

// eventID is a UUID derived from the entry's cursor and the event's index:
// the same event keeps its id in every delivery, on every endpoint and on
// the stream, so consumers can drop duplicates by it.
func eventID(cursor string, index int) string {
	sum := sha256.Sum256([]byte(cursor + "#" + string(rune('0'+index))))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Filter selects events by state machine and status; empty lists select all.
type Filter struct {
	StateMachines []string
	Statuses      []string
}

func (f Filter) match(it *item) bool {
	return (len(f.StateMachines) == 0 || slices.Contains(f.StateMachines, it.change.StateMachine)) &&
		(len(f.Statuses) == 0 || slices.Contains(f.Statuses, it.status))
}

// builder makes event bodies, reading input and output from the record,
// and keeps the last ones built (the same event goes to every endpoint and
// every stream reader of this node).
type builder struct {
	st    store.Store
	space arn.Space

	mu    sync.Mutex
	cache map[string][]byte
	order []string // insertion order, for eviction
	max   int
}

func newBuilder(st store.Store, space arn.Space) *builder {
	return &builder{st: st, space: space, cache: map[string][]byte{}, max: 4096}
}

// body returns the event of it as JSON.
func (b *builder) body(ctx context.Context, it *item) ([]byte, error) {
	key := it.id
	b.mu.Lock()
	if body, ok := b.cache[key]; ok {
		b.mu.Unlock()
		return body, nil
	}
	b.mu.Unlock()
	rec, err := b.st.GetExecution(ctx, it.change.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	body, err := json.Marshal(b.event(it, rec))
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if _, ok := b.cache[key]; !ok {
		b.cache[key] = body
		b.order = append(b.order, key)
		if len(b.order) > b.max {
			delete(b.cache, b.order[0])
			b.order = b.order[1:]
		}
	}
	b.mu.Unlock()
	return body, nil
}

// event builds the event of it; rec is the execution's record now (nil
// when it expired): its input always belongs to the event, its output only
// while the record is still at the end the event tells of.
func (b *builder) event(it *item, rec *store.Execution) Event {
	sc := &it.change
	execArn := b.space.ExecutionOfID(sc.ID)
	d := Detail{ExecutionArn: execArn, StateMachineArn: b.space.StateMachine(sc.StateMachine), Name: sc.Name,
		Status: it.status, StartDate: sc.StartedAt.UnixMilli(), RedriveCount: sc.RedriveCount}
	ended := it.status != store.StatusRunning
	if ended {
		stop := sc.StoppedAt.UnixMilli()
		d.StopDate = &stop
	}
	// The record is still at the end the event tells of: its output and
	// cause are the event's.
	atThisEnd := ended && rec != nil && rec.Status == it.status && rec.RedriveCount == sc.RedriveCount
	if ended && (sc.Error != "" || it.status != store.StatusSucceeded) {
		cause := sc.Cause // entries of earlier releases carry it
		if cause == "" && atThisEnd {
			cause = rec.Cause
		}
		d.Error, d.Cause = ptr(sc.Error), ptr(cause)
	}
	var input, output []byte
	if rec != nil {
		input = rec.Input
		if it.status == store.StatusSucceeded && atThisEnd {
			output = rec.Output
		}
	}
	inOK := rec != nil && len(input)+len(output) <= maxPayload
	outOK := output != nil && len(output) <= maxPayload
	d.InputDetails = &DataDetails{Included: inOK}
	if inOK {
		d.Input = ptr(string(input))
	}
	if ended {
		d.OutputDetails = &DataDetails{Included: outOK}
		if outOK {
			d.Output = ptr(string(output))
		}
	}
	t := it.at
	switch {
	case it.status == store.StatusRunning && sc.Started:
		t = sc.StartedAt
	case ended && !sc.StoppedAt.IsZero():
		t = sc.StoppedAt
	}
	return Event{Version: "0", ID: it.id, DetailType: DetailType, Source: Source, Account: b.space.Account,
		Time: t.UTC().Format("2006-01-02T15:04:05Z"), Region: b.space.Region, Resources: []string{execArn}, Detail: d}
}

func ptr[T any](v T) *T { return &v }
