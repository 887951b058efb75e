package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// notifyNode is one sfn node with notifications, behind a real listener;
// stop ends it as a crash would (open streams cut), and runs at cleanup.
func notifyNode(t *testing.T, st store.Store, name string, tokens map[string]httpapi.Role) (*httptest.Server, func()) {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: name})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := notify.New(notify.Config{Engine: engine, Rescan: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, Notifications: svc, AuthTokens: tokens, KeepAlive: 50 * time.Millisecond}))
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.CloseClientConnections()
		srv.Close()
		svc.Stop()
		engine.Stop()
	}
	t.Cleanup(stop)
	return srv, stop
}

func TestNotificationEndpointsAPI(t *testing.T) {
	t.Parallel()
	srv, _ := notifyNode(t, testStore(t), "n", nil)
	const path = "/v1/notification-endpoints/orders"
	r := call(t, srv, http.MethodPut, path, map[string]any{"url": "https://hooks.example.com/sfn",
		"statuses": []string{"FAILED", "SUCCEEDED", "FAILED"}, "stateMachines": []string{"orders"}, "secret": "0123456789abcdef-secret"})
	if r.status != http.StatusCreated || r.header.Get("Location") != path {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "0123456789abcdef") || strings.Contains(string(r.body), `"secret"`) {
		t.Fatalf("the secret is in the answer: %s", r.body)
	}
	got := r.json(t)
	for k, want := range map[string]any{"name": "orders", "url": "https://hooks.example.com/sfn", "secretSet": true, "enabled": true} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if d := cmp.Diff([]any{"FAILED", "SUCCEEDED"}, got["statuses"]); d != "" {
		t.Errorf("statuses, each once, sorted (-want +got):\n%s", d)
	}
	// Replaced without a secret: the secret stays; then removed with "".
	r = call(t, srv, http.MethodPut, path, map[string]any{"url": "https://hooks.example.com/v2", "enabled": false})
	if r.status != http.StatusOK || r.json(t)["secretSet"] != true || r.json(t)["enabled"] != false {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodGet, path, nil)
	if r.status != http.StatusOK || r.json(t)["secretSet"] != true || r.json(t)["delivery"] == nil {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodPut, path, map[string]any{"url": "https://hooks.example.com/v2", "secret": ""})
	if r.status != http.StatusOK || r.json(t)["secretSet"] != false || r.json(t)["enabled"] != false {
		t.Fatalf("secret removed: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/notification-endpoints", nil)
	if eps, _ := r.json(t)["endpoints"].([]any); r.status != http.StatusOK || len(eps) != 1 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodGet, path+"/dead-letters", nil)
	if dl, ok := r.json(t)["deadLetters"].([]any); r.status != http.StatusOK || !ok || len(dl) != 0 {
		t.Fatalf("dead letters: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodPost, path+"/dead-letters/redeliver", map[string]any{"ids": []string{"0000000000001-x"}})
	if r.status != http.StatusOK || len(r.json(t)["notFound"].([]any)) != 1 {
		t.Fatalf("redeliver: %d %s", r.status, r.body)
	}
	if r = call(t, srv, http.MethodDelete, path, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, path, nil), http.StatusNotFound, "NotFound")
	wantError(t, call(t, srv, http.MethodDelete, path, nil), http.StatusNotFound, "NotFound")
	wantError(t, call(t, srv, http.MethodGet, path+"/dead-letters", nil), http.StatusNotFound, "NotFound")
}

func TestNotificationEndpointRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := notifyNode(t, memory.New(), "n", nil)
	cases := []struct {
		name, path string
		body       any
		says       string
	}{
		{"no url", "/v1/notification-endpoints/a", map[string]any{}, "url"},
		{"not http", "/v1/notification-endpoints/a", map[string]any{"url": "file:///etc/passwd"}, "url"},
		{"credentials", "/v1/notification-endpoints/a", map[string]any{"url": "https://u:p@x.example"}, "credentials"},
		{"status", "/v1/notification-endpoints/a", map[string]any{"url": "https://x.example", "statuses": []string{"DONE"}}, "statuses[0]"},
		{"state machine", "/v1/notification-endpoints/a", map[string]any{"url": "https://x.example", "stateMachines": []string{"a b"}}, "stateMachines[0]"},
		{"short secret", "/v1/notification-endpoints/a", map[string]any{"url": "https://x.example", "secret": "abc"}, "secret"},
		{"unknown field", "/v1/notification-endpoints/a", map[string]any{"url": "https://x.example", "retries": 3}, "retries"},
		{"wrong type", "/v1/notification-endpoints/a", map[string]any{"url": "https://x.example", "enabled": "yes"}, "enabled"},
		{"bad name", "/v1/notification-endpoints/a%20b", map[string]any{"url": "https://x.example"}, "name"},
		{"not JSON", "/v1/notification-endpoints/a", "{", "malformed"},
	}
	for _, c := range cases {
		r := call(t, srv, http.MethodPut, c.path, c.body)
		wantError(t, r, http.StatusBadRequest, "InvalidInput")
		if !strings.Contains(string(r.body), c.says) {
			t.Errorf("%s: %s does not name %q", c.name, r.body, c.says)
		}
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/events?status=DONE", nil), http.StatusBadRequest, "InvalidInput")
	wantError(t, call(t, srv, http.MethodGet, "/v1/events", nil, "Last-Event-ID", "nonsense"), http.StatusBadRequest, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/notification-endpoints/a/dead-letters/redeliver", map[string]any{"ids": []string{"x/y"}}),
		http.StatusBadRequest, "InvalidInput")
}

// Endpoints are the admin's; the stream is anyone's who reads.
func TestNotificationRoles(t *testing.T) {
	t.Parallel()
	srv, _ := notifyNode(t, memory.New(), "n", map[string]httpapi.Role{"a": httpapi.RoleAdmin, "o": httpapi.RoleOperator, "r": httpapi.RoleReader})
	body := map[string]any{"url": "https://x.example"}
	for _, tok := range []string{"o", "r"} {
		wantError(t, call(t, srv, http.MethodPut, "/v1/notification-endpoints/a", body, "Authorization", "Bearer "+tok), http.StatusForbidden, "Forbidden")
		wantError(t, call(t, srv, http.MethodGet, "/v1/notification-endpoints", nil, "Authorization", "Bearer "+tok), http.StatusForbidden, "Forbidden")
	}
	if r := call(t, srv, http.MethodPut, "/v1/notification-endpoints/a", body, "Authorization", "Bearer a"); r.status != http.StatusCreated {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/events", nil), http.StatusUnauthorized, "Unauthorized")
	s := openAllEvents(t, srv, "?status=SUCCEEDED", "", "Bearer r")
	s.res.Body.Close()
}

// allStream reads the stream of all status changes.
type allStream struct {
	res    *http.Response
	events chan allEvent
}

type allEvent struct {
	id    string
	event notify.Event // zero for an id-only message
}

func openAllEvents(t *testing.T, srv *httptest.Server, query, lastEventID, auth string) *allStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		res.Body.Close()
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &allStream{res: res, events: make(chan allEvent, 1000)}
	t.Cleanup(func() { res.Body.Close() })
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		var cur allEvent
		var data string
		hasID := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data != "" {
					if err := json.Unmarshal([]byte(data), &cur.event); err != nil {
						t.Errorf("data %q: %v", data, err)
						return
					}
				}
				if data != "" || hasID {
					s.events <- cur
				}
				cur, data, hasID = allEvent{}, "", false
			case strings.HasPrefix(line, "id: "):
				cur.id, hasID = strings.TrimPrefix(line, "id: "), true
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

// next returns the next message with data.
func (s *allStream) next(t *testing.T) allEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.event.ID != "" {
				return ev
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no event on the stream")
		}
	}
}

func startExec(t *testing.T, srv *httptest.Server, sm, name string) string {
	t.Helper()
	r := call(t, srv, http.MethodPost, "/v1/state-machines/"+sm+"/executions?wait=10s", map[string]any{"name": name, "input": map[string]any{"n": name}})
	if r.status != http.StatusOK && r.status != http.StatusAccepted && r.status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	return r.json(t)["executionId"].(string)
}

// The stream filters by state machine and status, and carries the event
// webhooks get.
func TestAllEventsStream(t *testing.T) {
	t.Parallel()
	srv, _ := notifyNode(t, testStore(t), "n", nil)
	put(t, srv, "pass", passChain)
	put(t, srv, "boom", failDef)
	put(t, srv, "other", passChain)
	s := openAllEvents(t, srv, "?stateMachine=pass,boom&status=SUCCEEDED&status=FAILED", "", "")
	startExec(t, srv, "other", "o1")
	startExec(t, srv, "pass", "p1")
	startExec(t, srv, "boom", "b1")
	var got []string
	for range 2 {
		ev := s.next(t)
		if ev.id == "" {
			t.Errorf("event %s without an id", ev.event.ID)
		}
		got = append(got, ev.event.Detail.Name+" "+ev.event.Detail.Status)
		if ev.event.DetailType != notify.DetailType || ev.event.Source != "aws.states" {
			t.Errorf("event %+v", ev.event)
		}
	}
	if d := cmp.Diff([]string{"p1 SUCCEEDED", "b1 FAILED"}, got); d != "" {
		t.Errorf("stream (-want +got):\n%s", d)
	}
}

// Resumable across nodes and restarts: node A's stream is cut, node B (a
// new engine on the same Redis) resumes from the last id the client saw
// and sends what happened meanwhile, nothing twice.
func TestAllEventsResumeAcrossRestart(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	prefix := "allsse-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	open := func() store.Store {
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: prefix, Partitions: 16})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, stopA := notifyNode(t, open(), "a", nil)
	put(t, a, "pass", passChain)
	sa := openAllEvents(t, a, "", "", "")
	startExec(t, a, "pass", "first")
	var seen []string
	var last string
	for range 2 { // RUNNING, SUCCEEDED of one entry
		ev := sa.next(t)
		seen = append(seen, ev.event.Detail.Name+" "+ev.event.Detail.Status)
		if ev.id != "" {
			last = ev.id
		}
	}
	stopA()
	b, _ := notifyNode(t, open(), "b", nil)
	startExec(t, b, "pass", "second") // while no client listens
	sb := openAllEvents(t, b, "", last, "")
	for range 2 {
		ev := sb.next(t)
		seen = append(seen, ev.event.Detail.Name+" "+ev.event.Detail.Status)
	}
	want := []string{"first RUNNING", "first SUCCEEDED", "second RUNNING", "second SUCCEEDED"}
	if d := cmp.Diff(want, seen); d != "" {
		t.Errorf("over both nodes (-want +got):\n%s", d)
	}
}

// ?since= starts the stream at a time instead of now, and ?follow=false
// ends it once what is logged is sent, with the id to resume from: a poll.
func TestAllEventsPoll(t *testing.T) {
	t.Parallel()
	srv, _ := notifyNode(t, testStore(t), "n", nil)
	put(t, srv, "pass", passChain)
	before := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	startExec(t, srv, "pass", "p1")
	startExec(t, srv, "pass", "p2")
	poll := func(query string) (names []string, last string) {
		t.Helper()
		r := call(t, srv, http.MethodGet, "/v1/events"+query, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /v1/events%s: %d %s", query, r.status, r.body)
		}
		for _, line := range strings.Split(string(r.body), "\n") {
			switch {
			case strings.HasPrefix(line, "id: "):
				last = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				var ev notify.Event
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
					t.Fatal(err)
				}
				names = append(names, ev.Detail.Name+" "+ev.Detail.Status)
			}
		}
		return names, last
	}
	got, last := poll("?stateMachine=pass&status=SUCCEEDED&follow=false&since=" + url.QueryEscape(before))
	// Two executions' changes come in the order the store logged them; in
	// the same millisecond on two partitions, either may come first.
	slices.Sort(got)
	if d := cmp.Diff([]string{"p1 SUCCEEDED", "p2 SUCCEEDED"}, got); d != "" || last == "" {
		t.Fatalf("first poll (-want +got):\n%s (last id %q)", d, last)
	}
	startExec(t, srv, "pass", "p3")
	got, _ = poll("?stateMachine=pass&status=SUCCEEDED&follow=false&after=" + url.QueryEscape(last))
	if d := cmp.Diff([]string{"p3 SUCCEEDED"}, got); d != "" {
		t.Errorf("the next poll resumes where the first ended (-want +got):\n%s", d)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/events?follow=maybe", nil), http.StatusBadRequest, "InvalidInput")
	wantError(t, call(t, srv, http.MethodGet, "/v1/events?since=yesterday", nil), http.StatusBadRequest, "InvalidInput")
}
