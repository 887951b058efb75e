package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// threeSteps runs three activity tasks in a row, so that the test decides
// when each part of the history is written.
const threeSteps = `{"StartAt":"One","States":{
 "One":{"Type":"Task","Resource":"activity:steps","Next":"Two"},
 "Two":{"Type":"Task","Resource":"activity:steps","Next":"Three"},
 "Three":{"Type":"Task","Resource":"activity:steps","End":true}}}`

// TestEventsAcrossRestart reads an execution's event stream from node A,
// stops A midway, and resumes on node B with Last-Event-ID: the two parts
// together must be the whole history, each event once, in order, ending with
// ExecutionSucceeded (issue 7).
func TestEventsAcrossRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stores func(t *testing.T) (a, b store.Store)
	}{
		{"memory with leases", func(*testing.T) (store.Store, store.Store) {
			s := memory.WithLeases(memory.New(), 16)
			return s, s
		}},
		{"redis", func(t *testing.T) (store.Store, store.Store) {
			url := redistest.URL(t)
			// One key prefix for both nodes, its own for this test.
			prefix := "sse-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			open := func() store.Store {
				s, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: prefix})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
			a := open()
			return a, open()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stA, stB := tt.stores(t)
			nodeA, stopA := node(t, stA, "a")
			nodeB, _ := node(t, stB, "b")

			put(t, nodeA, "steps", threeSteps)
			r := call(t, nodeA, http.MethodPost, "/v1/state-machines/steps/executions", map[string]any{"input": map[string]any{"n": 1}})
			if r.status != http.StatusAccepted {
				t.Fatalf("start: %d %s", r.status, r.body)
			}
			id := r.json(t)["executionId"].(string)

			// Part one, on A: the start and step One.
			streamA := openStream(t, nodeA, id, "")
			answer(t, nodeA)
			var got []sseEvent
			got = append(got, streamA.until(t, "TaskStateEntered", "Two")...)

			// A goes away with the stream open; Two is answered while no
			// client is connected, so B must send it from the history.
			stopA()
			streamA.drain()
			answer(t, nodeB)

			// Part two, on B, from the last event the client saw.
			streamB := openStream(t, nodeB, id, strconv.FormatInt(got[len(got)-1].id, 10))
			answer(t, nodeB)
			got = append(got, streamB.rest(t)...)

			if last := got[len(got)-1]; last.typ != "ExecutionSucceeded" {
				t.Fatalf("the stream ended with %s, want ExecutionSucceeded", last.typ)
			}
			want := historyIDs(t, nodeB, id)
			if diff := cmp.Diff(want, ids(got)); diff != "" {
				t.Fatalf("event ids over both nodes differ from the history (-history +stream):\n%s", diff)
			}
		})
	}
}

// node starts one sfn node on st behind a real listener; stop ends it as a
// crash would, cutting open streams, and is also run at cleanup.
func node(t *testing.T, st store.Store, name string) (*httptest.Server, func()) {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: name})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine}))
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.CloseClientConnections()
		srv.Close()
		engine.Stop()
	}
	t.Cleanup(stop)
	return srv, stop
}

// answer polls one task of activity steps on srv and reports its success.
func answer(t *testing.T, srv *httptest.Server) {
	t.Helper()
	p := call(t, srv, http.MethodPost, "/v1/activities/steps/poll?wait=10s", map[string]any{"workerName": "w"})
	if p.status != http.StatusOK {
		t.Fatalf("poll: %d %s", p.status, p.body)
	}
	r := call(t, srv, http.MethodPost, "/v1/tasks/success", map[string]any{"taskToken": p.json(t)["taskToken"], "output": map[string]any{"ok": true}})
	if r.status != http.StatusOK {
		t.Fatalf("success: %d %s", r.status, r.body)
	}
}

type sseEvent struct {
	id   int64
	typ  string
	data string
}

// stream reads complete SSE messages from a response in the background; a
// message cut by the connection closing is never delivered, as a browser's
// EventSource would not deliver it either.
type stream struct {
	res    *http.Response
	events chan sseEvent
	done   chan error
}

func openStream(t *testing.T, srv *httptest.Server, id, lastEventID string) *stream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/executions/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{res: res, events: make(chan sseEvent, 1000), done: make(chan error, 1)}
	t.Cleanup(func() { res.Body.Close() })
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		var cur sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.typ != "" {
					cur.data = strings.Join(data, "\n")
					s.events <- cur
				}
				cur, data = sseEvent{}, nil
			case strings.HasPrefix(line, "id: "):
				cur.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				cur.typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
		close(s.events)
		s.done <- sc.Err()
	}()
	return s
}

// until returns the events up to and including the first of type typ
// whose data names state.
func (s *stream) until(t *testing.T, typ, state string) []sseEvent {
	t.Helper()
	var got []sseEvent
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended before %s of %s; got %v", typ, state, types(got))
			}
			got = append(got, e)
			if e.typ == typ && strings.Contains(e.data, `"`+state+`"`) {
				return got
			}
		case <-timeout:
			t.Fatalf("no %s of %s within 20s; got %v", typ, state, types(got))
		}
	}
}

// drain waits until the cut stream has ended; nothing may arrive after the
// point until returned, since nothing was committed meanwhile.
func (s *stream) drain() {
	for range s.events {
	}
}

// rest returns every event until the server closes the stream.
func (s *stream) rest(t *testing.T) []sseEvent {
	t.Helper()
	var got []sseEvent
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				if err := <-s.done; err != nil {
					t.Fatalf("stream: %v", err)
				}
				return got
			}
			got = append(got, e)
		case <-timeout:
			t.Fatalf("the stream did not end within 20s; got %v", types(got))
		}
	}
}

func historyIDs(t *testing.T, srv *httptest.Server, id string) []int64 {
	t.Helper()
	r := call(t, srv, http.MethodGet, "/v1/executions/"+id+"/history?limit=1000", nil)
	var out []int64
	for _, e := range r.json(t)["events"].([]any) {
		out = append(out, int64(e.(map[string]any)["id"].(float64)))
	}
	return out
}

func ids(es []sseEvent) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

func types(es []sseEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.typ
	}
	return out
}
