package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery, besides Content-Type (application/json),
// User-Agent (sfn-webhook) and Idempotency-Key (the event's id).
const (
	// HeaderEventID is the event's id (also the body's "id").
	HeaderEventID = "X-Sfn-Event-Id"
	// HeaderTimestamp is when the delivery was signed, in Unix seconds.
	HeaderTimestamp = "X-Sfn-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the
	// endpoint's secret, of the timestamp, a dot and the body as sent. It
	// is absent when the endpoint has no secret.
	HeaderSignature = "X-Sfn-Signature"
)

// Sign returns the X-Sfn-Signature value of body signed at timestamp.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no v1 signature")
	ErrBadSignature = errors.New("the signature does not match")
	ErrStale        = errors.New("the timestamp is too far from now")
)

// Verify checks a delivery as its receiver would: signature is the
// X-Sfn-Signature header, timestamp the X-Sfn-Timestamp header, body the
// request's body as received; a timestamp more than tolerance away from now
// is refused (a replayed request). The comparison takes constant time.
func Verify(secret, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := Sign(secret, ts, body)
	found := false
	for _, part := range strings.Split(signature, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "v1=") {
			continue
		}
		found = true
		if hmac.Equal([]byte(part), []byte(want)) {
			return nil
		}
	}
	if !found {
		return ErrNoSignature
	}
	return ErrBadSignature
}
