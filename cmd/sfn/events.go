package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// eventHead is what the CLI reads from every history event; the rest it shows as details.
type eventHead struct {
	ID              int64  `json:"id"`
	PreviousEventID int64  `json:"previousEventId"`
	Timestamp       string `json:"timestamp"`
	Type            string `json:"type"`
	Name            string `json:"name,omitempty"`
	Error           string `json:"error,omitempty"`
	Cause           string `json:"cause,omitempty"`
}

func isFinalEvent(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
		return true
	}
	return false
}

// follow reads GET /v1/executions/{id}/events (Server-Sent Events) and calls
// fn with each event until the execution's final event. A stream that breaks
// before it is resumed after the last event seen (Last-Event-ID).
func (c *client) follow(ctx context.Context, id string, fn func(json.RawMessage) error) error {
	var last int64
	failures := 0
	for {
		done, err := c.followOnce(ctx, id, &last, fn)
		if done || ctx.Err() != nil {
			if err == nil {
				err = ctx.Err()
			}
			return err
		}
		var ae *apiError
		if errors.As(err, &ae) {
			return err
		}
		failures++
		if failures > 5 {
			if err == nil {
				err = errors.New("the event stream keeps closing before the execution ends")
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(failures) * 200 * time.Millisecond):
		}
	}
}

func (c *client) followOnce(ctx context.Context, id string, last *int64, fn func(json.RawMessage) error) (bool, error) {
	h := http.Header{"Accept": {"text/event-stream"}}
	if *last > 0 {
		h.Set("Last-Event-ID", strconv.FormatInt(*last, 10))
	}
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/v1/executions/" + pathEscape(id) + "/events", long: true, header: h})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var buf [4096]byte
		n, _ := resp.Body.Read(buf[:])
		return false, decodeAPIError(resp.StatusCode, buf[:n])
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			raw := json.RawMessage(data.String())
			data.Reset()
			var head eventHead
			if err := json.Unmarshal(raw, &head); err != nil {
				return false, fmt.Errorf("event stream: %w", err)
			}
			if head.ID <= *last {
				continue // already seen (a resumed stream may repeat)
			}
			*last = head.ID
			if err := fn(raw); err != nil {
				return true, err
			}
			if isFinalEvent(head.Type) {
				return true, nil
			}
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		default:
			// id:, event:, retry: and comments (keep-alives) need nothing here.
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return false, &unreachableError{server: c.base, err: err}
	}
	return false, nil
}
