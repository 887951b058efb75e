package httpapi_test

import (
	"bufio"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/httpapi"
)

var timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestStateMachines(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	r := call(t, srv, http.MethodPut, "/v1/state-machines/sm", passChain, "Content-Type", "application/yaml")
	if r.status != http.StatusCreated {
		t.Fatalf("first PUT: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["version"] != 1.0 || !timeRE.MatchString(m["createdAt"].(string)) {
		t.Fatalf("first PUT body %s", r.body)
	}
	if r = call(t, srv, http.MethodPut, "/v1/state-machines/sm", passChain); r.status != http.StatusOK || r.json(t)["version"] != 1.0 {
		t.Fatalf("same PUT: %d %s", r.status, r.body)
	}
	if r = call(t, srv, http.MethodPut, "/v1/state-machines/sm", waitDef); r.status != http.StatusOK || r.json(t)["version"] != 2.0 {
		t.Fatalf("changed PUT: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/state-machines/sm/versions/1", nil)
	if r.status != 200 || r.json(t)["definition"] == nil {
		t.Fatalf("GET version 1: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines/sm/versions/3", nil), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines/sm/versions/0", nil), 400, "InvalidInput")
	for _, f := range []string{"dot", "mermaid"} {
		if r = call(t, srv, http.MethodGet, "/v1/state-machines/sm/graph?format="+f, nil); r.status != 200 || !strings.Contains(string(r.body), "W (Wait)") {
			t.Fatalf("graph %s: %d %s", f, r.status, r.body)
		}
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines/sm/graph?format=png", nil), 400, "InvalidInput")

	bad := call(t, srv, http.MethodPut, "/v1/state-machines/bad", "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Nowhere\n")
	wantError(t, bad, 400, "ValidationError")
	details := bad.json(t)["details"].([]any)
	d := details[0].(map[string]any)
	if d["path"] != "/States/A/Next" || d["line"] != 5.0 {
		t.Fatalf("details %s", bad.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines/bad", nil), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodPut, "/v1/state-machines/big", strings.Repeat(" ", 1<<20+1)), 413, "PayloadTooLarge")
	wantError(t, call(t, srv, http.MethodPut, "/v1/state-machines/a.b", passChain), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPut, "/v1/state-machines/"+strings.Repeat("n", 81), passChain), 400, "InvalidInput")

	if r = call(t, srv, http.MethodPost, "/v1/validate", passChain); r.status != 200 || r.json(t)["valid"] != true {
		t.Fatalf("validate: %d %s", r.status, r.body)
	}
	put(t, srv, "sm2", passChain)
	put(t, srv, "sm3", passChain)
	r = call(t, srv, http.MethodGet, "/v1/state-machines?limit=2", nil)
	page := r.json(t)
	if len(page["stateMachines"].([]any)) != 2 || page["nextCursor"] == nil {
		t.Fatalf("page 1: %s", r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/state-machines?limit=2&cursor="+page["nextCursor"].(string), nil)
	if page = r.json(t); len(page["stateMachines"].([]any)) != 1 || page["nextCursor"] != nil {
		t.Fatalf("page 2: %s", r.body)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=!!"} {
		wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines?"+q, nil), 400, "InvalidInput")
	}
	if r = call(t, srv, http.MethodDelete, "/v1/state-machines/sm3", nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d", r.status)
	}
	wantError(t, call(t, srv, http.MethodDelete, "/v1/state-machines/sm3", nil), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines/sm3/executions", nil), 404, "NotFound")
}

func TestExecutions(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "chain", passChain)
	put(t, srv, "slow", waitDef)
	put(t, srv, "fail", failDef)

	r := call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"name": "one", "input": map[string]any{"x": 1}})
	if r.status != http.StatusAccepted || r.header.Get("Location") != "/v1/executions/chain:one" {
		t.Fatalf("start: %d %v %s", r.status, r.header, r.body)
	}
	r = call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions?wait=5s", map[string]any{"name": "one", "input": map[string]any{"x": 1}})
	if r.status != http.StatusOK || r.json(t)["status"] != "SUCCEEDED" {
		t.Fatalf("idempotent start: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(map[string]any{"x": 1.0, "a": 1.0, "b": 2.0}, r.json(t)["output"]); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"name": "one", "input": 2}), 409, "Conflict")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"bogus": 1}), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"version": 0}), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"version": 9}), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", `{"input":`), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", `{}`, "Content-Type", "text/plain"), 415, "UnsupportedMediaType")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions?wait=soon", nil), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions", map[string]any{"input": strings.Repeat("x", 300*1024)}), 413, "PayloadTooLarge")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/nosuch/executions", nil), 404, "NotFound")

	// history, pages and reverse
	r = call(t, srv, http.MethodGet, "/v1/executions/chain:one/history?limit=2", nil)
	h := r.json(t)
	if len(h["events"].([]any)) != 2 || h["nextCursor"] != "2" {
		t.Fatalf("history page: %s", r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/executions/chain:one/history?reverse=true&limit=1000", nil)
	evs := r.json(t)["events"].([]any)
	if evs[0].(map[string]any)["type"] != "ExecutionSucceeded" || r.json(t)["nextCursor"] != nil {
		t.Fatalf("reverse history: %s", r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/executions/chain:one/history?cursor=abc", nil), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodGet, "/v1/executions/nope/history", nil), 404, "NotFound")

	// ?wait= that runs out, stop without a body, redrive
	start := time.Now()
	r = call(t, srv, http.MethodPost, "/v1/state-machines/slow/executions?wait=300ms", nil)
	if r.status != http.StatusAccepted || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("wait that runs out: %d after %v", r.status, time.Since(start))
	}
	id := r.json(t)["executionId"].(string)
	wantError(t, call(t, srv, http.MethodPost, "/v1/executions/"+id+"/redrive", nil), 409, "Conflict")
	r = call(t, srv, http.MethodPost, "/v1/executions/"+id+"/stop", nil)
	if m := r.json(t); m["status"] != "ABORTED" || m["error"] != nil || m["cause"] != nil || !timeRE.MatchString(m["stoppedAt"].(string)) {
		t.Fatalf("stop: %s", r.body)
	}
	r = call(t, srv, http.MethodPost, "/v1/executions/"+id+"/redrive", nil)
	if m := r.json(t); r.status != 200 || m["status"] != "RUNNING" || m["redriveCount"] != 1.0 || m["stoppedAt"] != nil {
		t.Fatalf("redrive: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/executions?stateMachine=slow&status=RUNNING", nil)
	if got := r.json(t)["executions"].([]any); len(got) != 1 {
		t.Fatalf("list: %s", r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/executions?status=DONE", nil), 400, "InvalidInput")
	call(t, srv, http.MethodPost, "/v1/executions/"+id+"/stop", map[string]any{"error": "E", "cause": "C"})

	r = call(t, srv, http.MethodPost, "/v1/state-machines/fail/executions?wait=5s", nil)
	if m := r.json(t); m["status"] != "FAILED" || m["error"] != "E.Boom" || m["output"] != nil {
		t.Fatalf("fail: %s", r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/no-such", nil), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodPatch, "/v1/state-machines", nil), 405, "MethodNotAllowed")
}

func TestTasks(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "act", activityDef)
	start := time.Now()
	if r := call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=200ms", nil); r.status != http.StatusNoContent || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("empty poll: %d after %v", r.status, time.Since(start))
	}
	r := call(t, srv, http.MethodPost, "/v1/state-machines/act/executions", map[string]any{"input": map[string]any{"job": 7}})
	id := r.json(t)["executionId"].(string)
	r = call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=5s", map[string]any{"workerName": "w1"})
	if r.status != 200 {
		t.Fatalf("poll: %d %s", r.status, r.body)
	}
	task := r.json(t)
	tok := task["taskToken"].(string)
	if diff := cmp.Diff(map[string]any{"job": 7.0}, task["input"]); diff != "" {
		t.Fatalf("task input:\n%s", diff)
	}
	wantError(t, call(t, srv, http.MethodPost, "/v1/activities/work/poll", map[string]any{"worker": "x"}), 400, "InvalidInput")
	if r = call(t, srv, http.MethodPost, "/v1/tasks/heartbeat", map[string]any{"taskToken": tok}); r.status != 200 {
		t.Fatalf("heartbeat: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodPost, "/v1/tasks/success", map[string]any{"taskToken": tok, "output": strings.Repeat("x", 300*1024)}), 413, "PayloadTooLarge")
	if r = call(t, srv, http.MethodPost, "/v1/tasks/success", map[string]any{"taskToken": tok, "output": map[string]any{"ok": true}}); r.status != 200 {
		t.Fatalf("success: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodPost, "/v1/tasks/success", map[string]any{"taskToken": tok}), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodPost, "/v1/tasks/failure", map[string]any{"taskToken": "nope", "error": "E"}), 404, "NotFound")
	wantError(t, call(t, srv, http.MethodPost, "/v1/tasks/heartbeat", map[string]any{}), 400, "InvalidInput")

	// The whole history again as Server-Sent Events, then resumed.
	r = call(t, srv, http.MethodGet, "/v1/executions/"+id+"/events", nil)
	ids, types := sseEvents(t, string(r.body))
	if len(ids) == 0 || types[len(types)-1] != "ExecutionSucceeded" || ids[0] != "1" {
		t.Fatalf("events: %s", r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/executions/"+id+"/events", nil, "Last-Event-ID", ids[len(ids)-2])
	if got, _ := sseEvents(t, string(r.body)); len(got) != 1 || got[0] != ids[len(ids)-1] {
		t.Fatalf("resumed events: %s", r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, "/v1/executions/nope/events", nil), 404, "NotFound")
}

func TestEventsLive(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "act", activityDef)
	r := call(t, srv, http.MethodPost, "/v1/state-machines/act/executions", nil)
	id := r.json(t)["executionId"].(string)
	res, err := srv.Client().Get(srv.URL + "/v1/executions/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	go func() {
		p := call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=5s", nil)
		call(t, srv, http.MethodPost, "/v1/tasks/failure", map[string]any{"taskToken": p.json(t)["taskToken"], "error": "W.Boom"})
	}()
	sc := bufio.NewScanner(res.Body)
	last := ""
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			last = v
		}
	}
	if last != "ExecutionFailed" {
		t.Fatalf("the stream ended after %q", last)
	}
}

func sseEvents(t *testing.T, body string) (ids, types []string) {
	t.Helper()
	for _, msg := range strings.Split(strings.TrimSpace(body), "\n\n") {
		for _, line := range strings.Split(msg, "\n") {
			if v, ok := strings.CutPrefix(line, "id: "); ok {
				ids = append(ids, v)
			}
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				types = append(types, v)
			}
		}
	}
	return ids, types
}

func TestAuth(t *testing.T) {
	t.Parallel()
	tokens, err := httpapi.ParseTokens([]byte("# tokens\nadm admin\noperator op\nwrk worker\nrdr reader\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv := setup(t, tokens)
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"no token", "GET", "/v1/state-machines", "", nil, 401},
		{"unknown token", "GET", "/v1/state-machines", "zzz", nil, 401},
		{"reader reads", "GET", "/v1/state-machines", "rdr", nil, 200},
		{"reader may not put", "PUT", "/v1/state-machines/x", "rdr", passChain, 403},
		{"reader may not validate", "POST", "/v1/validate", "rdr", passChain, 403},
		{"operator may not put", "PUT", "/v1/state-machines/x", "op", passChain, 403},
		{"admin puts", "PUT", "/v1/state-machines/x", "adm", passChain, 201},
		{"operator starts", "POST", "/v1/state-machines/x/executions", "op", nil, 202},
		{"worker may not start", "POST", "/v1/state-machines/x/executions", "wrk", nil, 403},
		{"worker may not read", "GET", "/v1/state-machines", "wrk", nil, 403},
		{"worker polls", "POST", "/v1/activities/a/poll?wait=1ms", "wrk", nil, 204},
		{"operator may not poll", "POST", "/v1/activities/a/poll?wait=1ms", "op", nil, 403},
		{"healthz open", "GET", "/healthz", "", nil, 200},
		{"readyz open", "GET", "/readyz", "", nil, 200},
		{"metrics open", "GET", "/metrics", "", nil, 200},
	}
	for _, tc := range tests { // sequential: "admin puts" comes before "operator starts"
		var h []string
		if tc.token != "" {
			h = bearer(tc.token)
		}
		r := call(t, srv, tc.method, tc.path, tc.body, h...)
		if r.status != tc.want {
			t.Errorf("%s: %d (want %d) %s", tc.name, r.status, tc.want, r.body)
		}
	}
}

func TestOps(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	for _, p := range []string{"/healthz", "/readyz", "/openapi.json", "/v1/openapi.json", "/v1/schema"} {
		if r := call(t, srv, "GET", p, nil); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	r := call(t, srv, "GET", "/metrics", nil)
	if !strings.Contains(string(r.body), "sfn_http_requests_total") {
		t.Errorf("metrics lack sfn_http_requests_total")
	}
}
