package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// shortPages is a notification service whose log holds n entries, each an
// event, and whose reads return at most 3 of them, as Redis's do when the
// entries crowd into one partition; cursors are "c<k>".
type shortPages struct {
	notify.Service // the methods the stream does not use panic
	n              int
	trimmed        bool
}

func (p *shortPages) Read(_ context.Context, cursor string, _ notify.Filter, _ int) ([]notify.StreamEvent, string, int, error) {
	if p.trimmed {
		return nil, "", 0, &store.TrimmedError{Cursor: cursor, Resume: "c9"}
	}
	k, _ := strconv.Atoi(strings.TrimPrefix(cursor, "c"))
	var out []notify.StreamEvent
	for i := k + 1; i <= p.n && len(out) < 3; i++ {
		out = append(out, notify.StreamEvent{Cursor: fmt.Sprint("c", i), ID: fmt.Sprint(i), Data: []byte(fmt.Sprintf(`{"id":"%d"}`, i))})
	}
	next := cursor
	if len(out) > 0 {
		next = out[len(out)-1].Cursor
	}
	return out, next, len(out), nil
}

func (p *shortPages) Watch(context.Context) (<-chan struct{}, func())  { return nil, func() {} }
func (p *shortPages) Now(context.Context) (string, error)              { return "c0", nil }
func (p *shortPages) Since(context.Context, time.Time) (string, error) { return "c0", nil }

func shortPagesServer(t *testing.T, p *shortPages) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{Store: memory.New(), Node: "n"})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, Notifications: p, KeepAlive: time.Minute}))
	t.Cleanup(srv.Close)
	return srv
}

// A poll reads on past short pages until a read finds nothing, and the
// stream sends its starting id first, so that a client that reconnects
// before any event resumes there (review 19b M3, M4).
func TestAllEventsShortPages(t *testing.T) {
	t.Parallel()
	srv := shortPagesServer(t, &shortPages{n: 10})
	r := call(t, srv, http.MethodGet, "/v1/events?follow=false", nil)
	if r.status != http.StatusOK {
		t.Fatalf("poll: %d %s", r.status, r.body)
	}
	var ids, data []string
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			ids = append(ids, v)
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, v)
		}
	}
	if len(data) != 10 {
		t.Errorf("poll sent %d events, want all 10 (%q)", len(data), r.body)
	}
	if len(ids) == 0 || ids[0] != "c0" || ids[len(ids)-1] != "c10" {
		t.Errorf("ids %v: want the starting c0 first and c10 last", ids)
	}
	// Following: the first message is the starting id, before any event.
	s := openAllEvents(t, srv, "", "", "")
	select {
	case ev := <-s.events:
		if ev.id != "c0" || ev.event.ID != "" {
			t.Errorf("first message %+v, want the id-only c0", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no first message")
	}
}

// A Last-Event-ID older than what the log keeps is refused, not resumed
// past the trimmed changes in silence (review 19b M7).
func TestAllEventsTrimmedCursor(t *testing.T) {
	t.Parallel()
	srv := shortPagesServer(t, &shortPages{n: 10, trimmed: true})
	wantError(t, call(t, srv, http.MethodGet, "/v1/events?follow=false&after=c1", nil), http.StatusBadRequest, "InvalidInput")
}

// A node that shuts down ends the notification stream with a retry: hint,
// as it does an execution's event stream, so clients reconnect elsewhere.
func TestAllEventsEndsWithRetryWhenDraining(t *testing.T) {
	t.Parallel()
	engine := interpreter.New(interpreter.Config{Store: memory.New(), Node: "n"})
	draining := make(chan struct{})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, Notifications: &shortPages{n: 2}, KeepAlive: time.Minute, Draining: draining}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	sawLast := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == "id: c2" && !sawLast {
			sawLast = true
			close(draining) // what is logged is out: now drain
		}
	}
	if !sawLast {
		t.Fatalf("stream ended before the last event: %q", lines)
	}
	if got := strings.Join(lines, "\n"); !strings.HasSuffix(strings.TrimSpace(got), "retry: 500") {
		t.Errorf("the stream ended without a retry: hint:\n%s", got)
	}
}
