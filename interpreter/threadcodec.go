package interpreter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
)

// A step re-encodes the threads it changed, and encoding/json's
// reflection over the thread struct was 5-7% of a node's CPU on task
// paths. appendThread writes the same bytes by hand for the fields every
// step carries, and leaves the rare nested ones (a Parallel's or Map's
// children, errors, what a redrive keeps) to encoding/json. The tests
// compare its output with json.Marshal's byte for byte.

// encodeThread encodes t as a record stores it.
func encodeThread(t *thread) ([]byte, error) { return appendThread(make([]byte, 0, 512), t) }

func appendThread(b []byte, t *thread) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(t.ID), 10)
	b = append(b, `,"parent":`...)
	b = strconv.AppendInt(b, int64(t.Parent), 10)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(t.Index), 10)
	if len(t.Scope) > 0 {
		b = append(b, `,"scope":`...)
		if b, err = appendMarshal(b, t.Scope); err != nil {
			return nil, err
		}
	}
	if t.Phase != "" {
		b = append(b, `,"phase":`...)
		b = appendGoString(b, string(t.Phase))
	}
	b = append(b, `,"state":`...)
	b = appendGoString(b, t.State)
	b = append(b, `,"input":`...)
	b = appendLazy(b, &t.Input)
	b = append(b, `,"entered":`...)
	b = strconv.AppendBool(b, t.Entered)
	b = append(b, `,"enteredId":`...)
	b = strconv.AppendInt(b, t.EnteredID, 10)
	b = append(b, `,"enteredAt":`...)
	if b, err = appendTime(b, t.EnteredAt); err != nil {
		return nil, err
	}
	b = append(b, `,"prev":`...)
	b = strconv.AppendInt(b, t.Prev, 10)
	if t.Attempts != 0 {
		b = append(b, `,"attempts":`...)
		b = strconv.AppendInt(b, int64(t.Attempts), 10)
	}
	if len(t.Retries) > 0 {
		b = append(b, `,"retries":[`...)
		for i, r := range t.Retries {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, r, 10)
		}
		b = append(b, ']')
	}
	if b, err = appendOmitZeroTime(b, `,"wakeAt":`, t.WakeAt); err != nil {
		return nil, err
	}
	b = append(b, `,"pending":`...)
	b = appendJV(b, t.Pending)
	if t.Task != nil {
		b = append(b, `,"task":`...)
		if b, err = appendTaskWait(b, t.Task); err != nil {
			return nil, err
		}
	}
	if t.Children != nil {
		b = append(b, `,"children":`...)
		if b, err = appendMarshal(b, t.Children); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"mapItem":`...)
	b = appendJV(b, t.MapItem)
	b = append(b, `,"result":`...)
	b = appendJV(b, t.Result)
	if t.Err != nil {
		b = append(b, `,"err":`...)
		if b, err = appendMarshal(b, t.Err); err != nil {
			return nil, err
		}
	}
	if t.Keep != nil {
		b = append(b, `,"keep":`...)
		if b, err = appendMarshal(b, t.Keep); err != nil {
			return nil, err
		}
	}
	if t.Vars != nil {
		b = append(b, `,"vars":`...)
		b = appendJV(b, *t.Vars)
	}
	return append(b, '}'), nil
}

func appendTaskWait(b []byte, w *taskWait) ([]byte, error) {
	var err error
	b = append(b, `{"scheduledId":`...)
	b = strconv.AppendInt(b, w.ScheduledID, 10)
	if b, err = appendOmitZeroTime(b, `,"scheduledAt":`, w.ScheduledAt); err != nil {
		return nil, err
	}
	b = append(b, `,"resource":`...)
	b = appendGoString(b, w.Resource)
	b = append(b, `,"params":`...)
	b = appendJV(b, w.Params)
	b = append(b, `,"secret":`...)
	b = appendGoString(b, w.Secret)
	if w.Started {
		b = append(b, `,"started":true`...)
	}
	if w.Worker != "" {
		b = append(b, `,"worker":`...)
		b = appendGoString(b, w.Worker)
	}
	if b, err = appendOmitZeroTime(b, `,"timeoutAt":`, w.TimeoutAt); err != nil {
		return nil, err
	}
	if b, err = appendOmitZeroTime(b, `,"heartbeatAt":`, w.HeartbeatAt); err != nil {
		return nil, err
	}
	if w.Heartbeat != 0 {
		b = append(b, `,"heartbeat":`...)
		b = strconv.AppendInt(b, w.Heartbeat, 10)
	}
	if w.Timeout != 0 {
		b = append(b, `,"timeout":`...)
		b = strconv.AppendInt(b, w.Timeout, 10)
	}
	if w.Events != "" {
		b = append(b, `,"events":`...)
		b = appendGoString(b, w.Events)
	}
	if w.Submitted {
		b = append(b, `,"submitted":true`...)
	}
	if w.Child != "" {
		b = append(b, `,"child":`...)
		b = appendGoString(b, w.Child)
	}
	if w.Mock != "" {
		b = append(b, `,"mock":`...)
		b = appendGoString(b, w.Mock)
	}
	if w.MockCall != 0 {
		b = append(b, `,"mockCall":`...)
		b = strconv.AppendInt(b, int64(w.MockCall), 10)
	}
	if b, err = appendOmitZeroTime(b, `,"limitWait":`, w.LimitWait); err != nil {
		return nil, err
	}
	if w.LimitKey != "" {
		b = append(b, `,"limitKey":`...)
		b = appendGoString(b, w.LimitKey)
	}
	if w.LimitWaited != 0 {
		b = append(b, `,"limitWaited":`...)
		b = strconv.AppendInt(b, w.LimitWaited, 10)
	}
	return append(b, '}'), nil
}

// appendMarshal appends encoding/json's encoding of v.
func appendMarshal(b []byte, v any) ([]byte, error) {
	enc, err := json.Marshal(v)
	return append(b, enc...), err
}

// appendGoString appends s as encoding/json writes a string: printable
// ASCII other than quote, backslash and the HTML characters it escapes
// is written as it is; anything else goes to encoding/json.
func appendGoString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendLazy appends a lazy value: its stored bytes while it is not
// decoded (they are this encoder's output already), else as appendJV.
func appendLazy(b []byte, l *lazyJV) []byte {
	if l.raw != nil {
		return append(b, l.raw...)
	}
	return appendJV(b, jv{l.v})
}

// appendJV appends a value as encoding/json writes a jv: its MarshalJSON
// (value.Marshal), with <, >, & and U+2028/U+2029 escaped as encoding/json
// escapes a Marshaler's output.
func appendJV(b []byte, j jv) []byte {
	start := len(b)
	b = value.Append(b, j.V)
	seg := b[start:]
	if bytes.IndexAny(seg, "<>&\u2028\u2029") < 0 {
		return b
	}
	var esc bytes.Buffer
	json.HTMLEscape(&esc, seg)
	return append(b[:start], esc.Bytes()...)
}

// appendOmitZeroTime appends field (`,"name":`) and t, unless t is zero:
// a time field tagged omitzero.
func appendOmitZeroTime(b []byte, field string, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return b, nil
	}
	return appendTime(append(b, field...), t)
}

// appendTime appends t as time.Time's MarshalJSON does.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if !jsonTime(t) {
		return appendMarshal(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
