package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// apiError is an answer of the server with a status that is not the one
// asked for, with the contract's error body when it had one.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("sfn answered %d", e.Status)
	}
	return fmt.Sprintf("sfn answered %d %s: %s", e.Status, e.Code, e.Message)
}

// retryable reports whether err may pass when tried again: the server or
// the network failed, or it asked to slow down. A 4xx answer other than 429
// will not change by itself.
func retryable(err error) bool {
	if ae, ok := err.(*apiError); ok {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests
	}
	return true // transport errors: refused, reset, timed out
}

// fatal reports whether err means the worker cannot work at all: a wrong
// token or a role without access, or a poll the server refuses outright.
func fatal(err error) bool {
	ae, ok := err.(*apiError)
	return ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusTooManyRequests &&
		ae.Status != http.StatusRequestTimeout
}

func statusIs(err error, status int) bool {
	ae, ok := err.(*apiError)
	return ok && ae.Status == status
}

// maxAnswer bounds what is read of an answer: a task is at most 256 KiB.
const maxAnswer = 1 << 20

// post sends body as JSON to path and returns the answer's body when its
// status is want (or 204 for polls).
func (w *Worker) post(ctx context.Context, path string, body any) (int, []byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.base+path, bytes.NewReader(data))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if w.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.cfg.Token)
	}
	res, err := w.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return 0, nil, err
	}
	if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusNoContent {
		return res.StatusCode, out, nil
	}
	ae := &apiError{Status: res.StatusCode}
	var eb struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(out, &eb) == nil {
		ae.Code, ae.Message = eb.Error, eb.Message
	}
	return res.StatusCode, nil, ae
}

// backoff computes waits after failures: doubling from min to max, each
// drawn from its upper half so that many workers do not retry in step.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	half := b.cur / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends; it reports whether the wait ran out.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
