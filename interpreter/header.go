package interpreter

import (
	"encoding/json"
	"strconv"
	"time"
)

// The header is encoded and decoded on every step. encoding/json spends a
// few microseconds on it through reflection (measured: 3% of a node's CPU
// on the HTTP-task path), so the header has its own codec. It writes
// exactly the bytes json.Marshal writes (the tests compare them), and its
// reader takes exactly that shape; anything else (an earlier or later
// release's field order, spaces, escapes) goes to encoding/json.

// appendHeader appends h's JSON encoding to b.
func appendHeader(b []byte, h *header) ([]byte, error) {
	if h.Parent != nil || h.Notified || h.Mock != nil {
		// A child execution's or a mocked one's header: rare enough for
		// encoding/json, whose output the fast reader does not take (it
		// goes to json.Unmarshal).
		j, err := json.Marshal(h)
		return append(b, j...), err
	}
	var err error
	b = append(b, `{"enc":`...)
	b = strconv.AppendInt(b, int64(h.Enc), 10)
	b = append(b, `,"lastTime":`...)
	if b, err = appendTime(b, h.LastTime); err != nil {
		return nil, err
	}
	b = append(b, `,"nextThread":`...)
	b = strconv.AppendInt(b, int64(h.NextThread), 10)
	if b, err = appendOmitZeroTime(b, `,"timeoutAt":`, h.TimeoutAt); err != nil {
		return nil, err
	}
	if h.RedriveCount != 0 {
		b = append(b, `,"redriveCount":`...)
		b = strconv.AppendInt(b, int64(h.RedriveCount), 10)
	}
	if h.Failed != 0 {
		b = append(b, `,"failed":`...)
		b = strconv.AppendInt(b, int64(h.Failed), 10)
	}
	if h.ARNIDs {
		b = append(b, `,"arnIds":true`...)
	}
	return append(b, '}'), nil
}

// jsonTime reports whether time.Time's MarshalJSON writes t as
// AppendFormat(RFC3339Nano) does: a four-digit year and a zone offset
// of whole minutes.
func jsonTime(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off%60 == 0 && off > -24*3600 && off < 24*3600
}

// decodeHeader decodes b into h.
func decodeHeader(b []byte, h *header) error {
	if fastHeader(b, h) {
		return nil
	}
	*h = header{}
	return json.Unmarshal(b, h)
}

// fastHeader reads the shape appendHeader writes, in its order, and
// reports false (h then holds garbage) for anything else.
func fastHeader(b []byte, h *header) bool {
	*h = header{}
	p := headerReader{b: b}
	if !p.lit(`{"enc":`) || !p.int(&h.Enc) ||
		!p.lit(`,"lastTime":`) || !p.time(&h.LastTime) ||
		!p.lit(`,"nextThread":`) || !p.int(&h.NextThread) {
		return false
	}
	if p.lit(`,"timeoutAt":`) && (!p.time(&h.TimeoutAt) || h.TimeoutAt.IsZero()) {
		return false
	}
	if p.lit(`,"redriveCount":`) && (!p.int(&h.RedriveCount) || h.RedriveCount == 0) {
		return false
	}
	if p.lit(`,"failed":`) && (!p.int(&h.Failed) || h.Failed == 0) {
		return false
	}
	h.ARNIDs = p.lit(`,"arnIds":true`)
	return p.lit(`}`) && len(p.b) == 0
}

type headerReader struct{ b []byte }

func (p *headerReader) lit(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// int reads a JSON integer as encoding/json writes it: an optional minus,
// no leading zeros, at most 18 digits (no overflow).
func (p *headerReader) int(v *int) bool {
	i, neg := 0, false
	if len(p.b) > 0 && p.b[0] == '-' {
		neg, i = true, 1
	}
	start := i
	n := 0
	for i < len(p.b) && p.b[i] >= '0' && p.b[i] <= '9' {
		n = n*10 + int(p.b[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (digits > 1 && p.b[start] == '0') || (neg && n == 0) {
		return false
	}
	if neg {
		n = -n
	}
	*v = n
	p.b = p.b[i:]
	return true
}

// time reads a quoted RFC 3339 time without escapes, as time.Time's
// UnmarshalJSON would.
func (p *headerReader) time(t *time.Time) bool {
	if len(p.b) < 2 || p.b[0] != '"' {
		return false
	}
	for i := 1; i < len(p.b); i++ {
		switch c := p.b[i]; {
		case c == '\\' || c < 0x20:
			return false
		case c == '"':
			var err error
			// time.Time's UnmarshalJSON, for the same validation.
			if err = t.UnmarshalJSON(p.b[:i+1]); err != nil {
				return false
			}
			p.b = p.b[i+1:]
			return true
		}
	}
	return false
}
