package interpreter

import (
	"strconv"
	"time"

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
	r   *run
	buf []byte
	id  int64
}

// event starts an event that follows prev in its thread.
func (r *run) event(prev int64, typ string) *eventWriter {
	r.lastID++
	id := r.lastID
	ts := r.now
	if ts.Before(r.hdr.LastTime) {
		ts = r.hdr.LastTime // timestamps never go backwards within an execution
	}
	r.hdr.LastTime = ts
	w := &r.ew
	w.r, w.id = r, id
	w.buf = make([]byte, 0, 160)
	w.buf = append(w.buf, `{"id":`...)
	w.buf = strconv.AppendInt(w.buf, id, 10)
	w.buf = append(w.buf, `,"previousEventId":`...)
	w.buf = strconv.AppendInt(w.buf, prev, 10)
	w.buf = append(w.buf, `,"timestamp":"`...)
	w.buf = ts.UTC().AppendFormat(w.buf, TimeFormat)
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

// end stores the event and returns its id.
func (w *eventWriter) end() int64 {
	w.buf = append(w.buf, '}')
	w.r.events = append(w.r.events, store.Event{ID: w.id, Data: w.buf})
	w.r.size += len(w.buf)
	return w.id
}
