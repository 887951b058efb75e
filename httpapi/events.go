package httpapi

import (
	"bufio"
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
	// No write deadline: guard cleared it for this long route.
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
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
		if bw.Flush() != nil || rc.Flush() != nil {
			return
		}
		if ended {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Draining:
			// This node is going away: tell the client to come back soon,
			// to whichever node answers, from the last event it has.
			_, _ = bw.WriteString("retry: 500\n\n")
			_ = bw.Flush()
			_ = rc.Flush()
			return
		case <-notices:
		case <-keepAlive.C:
			_, _ = bw.WriteString(": keep-alive\n\n")
		}
	}
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
