package interpreter

import (
	"strconv"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// TimeFormat is how times appear in history and the API: RFC 3339, UTC,
// exactly three fractional digits.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// eventWriter builds one history event as JSON, field by field, without
// reflection: events are the hottest allocation of a step.
type eventWriter struct {
	r       *run
	buf     []byte
	spare   int // room left in the arena when the event began
	id      int64
	dropped bool // the event does not fit in the history: end discards it
}

// finalEvent reports whether typ ends an execution (the only events that
// may take the history's last id).
func finalEvent(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
		return true
	}
	return false
}

// dropEvent returns a writer whose event is discarded: the history is
// full. Its fields go to a scratch buffer (the callers write them as for
// any event), and its id is the last one written, so that a thread's
// previous event stays one that exists.
func (r *run) dropEvent() *eventWriter {
	r.overflow = true
	w := &r.ew
	w.r, w.id, w.dropped, w.spare = r, r.lastID, true, 0
	w.buf = r.scratch[:0]
	return w
}

// event starts an event that follows prev in its thread.
//
// The history never holds more than Limits.MaxHistory events. As AWS
// does, the events before the last one may take ids up to MaxHistory-1,
// and the one with id MaxHistory must end the execution: an event that
// would not leave that room is not written (run.overflow records it, and
// the step then ends the execution with the history error, historyFull).
// The test is on the id alone, so it costs nothing below the limit.
// ExecutionStarted is always written (a history begins with it, whatever
// the limit).
func (r *run) event(prev int64, typ string) *eventWriter {
	if r.limits.MaxHistory > 0 && r.lastID+1 >= int64(r.limits.MaxHistory) && r.lastID > 0 && !finalEvent(typ) {
		return r.dropEvent()
	}
	r.lastID++
	id := r.lastID
	ts := r.now
	if ts.Before(r.hdr.LastTime) {
		ts = r.hdr.LastTime // timestamps never go backwards within an execution
	}
	r.hdr.LastTime = ts
	r.noteEvent(typ)
	w := &r.ew
	w.r, w.id, w.dropped = r, id, false
	// Events of a step share arenas: one allocation for many. An event is
	// written into the arena's spare room; one that outgrows it moves alone
	// to its own buffer (append copies only its bytes, never the arena).
	if cap(r.arena)-len(r.arena) < 512 {
		size := arenaChunk
		if r.arena == nil {
			size = firstArena // most steps write a few events
		}
		r.arena = make([]byte, 0, size)
	}
	w.spare = cap(r.arena) - len(r.arena)
	w.buf = r.arena[len(r.arena):len(r.arena)]
	w.buf = append(w.buf, `{"id":`...)
	w.buf = strconv.AppendInt(w.buf, id, 10)
	w.buf = append(w.buf, `,"previousEventId":`...)
	w.buf = strconv.AppendInt(w.buf, prev, 10)
	w.buf = append(w.buf, `,"timestamp":"`...)
	if !ts.Equal(r.tsTime) || r.tsText == nil {
		r.tsTime, r.tsText = ts, ts.UTC().AppendFormat(r.tsText[:0], TimeFormat)
	}
	w.buf = append(w.buf, r.tsText...)
	w.buf = append(w.buf, `","type":`...)
	w.buf = value.AppendString(w.buf, typ)
	return w
}

func (w *eventWriter) str(k, v string) *eventWriter {
	w.buf = append(w.buf, ',')
	w.buf = value.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.buf = value.AppendString(w.buf, v)
	return w
}

// optStr writes the field only when v is not empty (absent fields are omitted).
func (w *eventWriter) optStr(k, v string) *eventWriter {
	if v == "" {
		return w
	}
	return w.str(k, v)
}

func (w *eventWriter) int(k string, v int64) *eventWriter {
	w.buf = append(w.buf, ',')
	w.buf = value.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.buf = strconv.AppendInt(w.buf, v, 10)
	return w
}

func (w *eventWriter) val(k string, v value.Value) *eventWriter {
	w.buf = append(w.buf, ',')
	w.buf = value.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.buf = value.Append(w.buf, v)
	return w
}

// raw writes a field whose value is already encoded JSON.
func (w *eventWriter) raw(k string, encoded []byte) *eventWriter {
	w.buf = append(w.buf, ',')
	w.buf = value.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, encoded...)
	return w
}

// end stores the event and returns its id.
func (w *eventWriter) end() int64 {
	if w.dropped {
		w.r.scratch = w.buf[:0] // kept for the next dropped event
		return w.id
	}
	w.buf = append(w.buf, '}')
	data := w.buf[:len(w.buf):len(w.buf)]
	if len(data) <= w.spare {
		w.r.arena = w.r.arena[:len(w.r.arena)+len(data)] // written in place
	}
	w.r.events = append(w.r.events, store.Event{ID: w.id, Data: data})
	w.r.size += len(data)
	return w.id
}

// Event type names per state kind, built once: concatenating them for every
// transition would allocate.
var kindEvents = func() map[dsl.Kind][3]string {
	m := map[dsl.Kind][3]string{}
	for _, k := range []dsl.Kind{dsl.Pass, dsl.Task, dsl.Choice, dsl.Wait, dsl.Succeed, dsl.Fail, dsl.Parallel, dsl.Map} {
		m[k] = [3]string{string(k) + "StateEntered", string(k) + "StateExited", string(k) + "StateAborted"}
	}
	return m
}()

func enteredName(k dsl.Kind) string { return kindEvents[k][0] }
func exitedName(k dsl.Kind) string  { return kindEvents[k][1] }
func abortedName(k dsl.Kind) string { return kindEvents[k][2] }

// arenaChunk is the size of one event arena: fixed, not doubling, so a long
// step allocates about what its events need. A step's first arena is
// smaller: most steps write a handful of events (a start through a Pass
// state, about 500 bytes), and a 16 KiB arena cost them more in allocating
// and clearing memory than the events themselves.
const (
	arenaChunk = 16 << 10
	firstArena = 2 << 10
)
