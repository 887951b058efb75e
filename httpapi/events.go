package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/store"
)

// events streams an execution's history as Server-Sent Events: what is
// there, then each event as it commits (woken by the store's commit
// notices), closing after the final Execution… event.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	id, err := s.executionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || after < 0 {
			s.writeError(w, r, errf(codeInvalidInput, "Last-Event-ID must be an event id"))
			return
		}
	}
	ctx := r.Context()
	// Watch before the first read, so no commit falls between the two.
	notices, cancel := s.engine.Store().Watch(ctx, id)
	defer cancel()
	if _, err := s.engine.GetExecution(ctx, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	st := s.startStream(w)
	defer st.stop()
	bw := st.bw
	for {
		// Read the status first: when it has ended, the history read
		// after it holds the final event.
		ex, err := s.engine.GetExecution(ctx, id)
		if err != nil {
			return
		}
		ended := ex.Status != store.StatusRunning
		for {
			page, err := s.engine.History(ctx, store.HistoryQuery{ID: id, After: after, Limit: 1000})
			if err != nil {
				return
			}
			for _, e := range page {
				writeEvent(bw, e)
				after = e.ID
			}
			if len(page) < 1000 {
				break
			}
		}
		if st.flush() != nil || ended || !st.wait(ctx, notices, nil, nil) {
			return
		}
	}
}

// eventStream is a Server-Sent Events response under way: the events
// route's and the notifications' (allEvents).
type eventStream struct {
	bw        *bufio.Writer
	rc        *http.ResponseController
	draining  <-chan struct{}
	keepAlive *time.Ticker
}

// startStream answers 200 with the event stream's headers. No write
// deadline: guard cleared it for these long routes. The caller stops it.
func (s *server) startStream(w http.ResponseWriter) *eventStream {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &eventStream{bw: bufio.NewWriter(w), rc: http.NewResponseController(w), draining: s.cfg.Draining,
		keepAlive: time.NewTicker(s.cfg.KeepAlive)}
}

func (st *eventStream) stop() { st.keepAlive.Stop() }

// flush sends what is written to the client.
func (st *eventStream) flush() error {
	if err := st.bw.Flush(); err != nil {
		return err
	}
	return st.rc.Flush()
}

// wait blocks until there may be more to send: a notice, a tick of recheck
// (nil for none), or the keep-alive tick, on which it calls beforeKeepAlive
// (when not nil) and writes a keep-alive comment. It returns false when the
// stream is to end: the request is gone, or this node is going away, when
// it tells the client to come back soon, to whichever node answers, from
// the last id it has.
func (st *eventStream) wait(ctx context.Context, notices <-chan struct{}, recheck <-chan time.Time, beforeKeepAlive func()) bool {
	select {
	case <-ctx.Done():
		return false
	case <-st.draining:
		_, _ = st.bw.WriteString("retry: 500\n\n")
		_ = st.flush()
		return false
	case <-notices:
	case <-recheck:
	case <-st.keepAlive.C:
		if beforeKeepAlive != nil {
			beforeKeepAlive()
		}
		_, _ = st.bw.WriteString(": keep-alive\n\n")
	}
	return true
}

func writeEvent(bw *bufio.Writer, e store.Event) {
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(e.Data, &head)
	bw.WriteString("id: ")
	bw.WriteString(strconv.FormatInt(e.ID, 10))
	bw.WriteString("\nevent: ")
	bw.WriteString(head.Type)
	bw.WriteString("\ndata: ")
	// Stored events are compact JSON on one line; a newline inside would
	// break the SSE framing, so each line gets its own data: field.
	bw.WriteString(strings.ReplaceAll(string(e.Data), "\n", "\ndata: "))
	bw.WriteString("\n\n")
}
