package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
)

// mapRunDef is a distributed Map whose children each wait for a worker of
// the activity mrwork: a Map Run stays RUNNING until the test answers.
const mapRunDef = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":1,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P",
  "States":{"P":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:mrwork","End":true}}},"End":true}}}`

// mapRunJSON is the REST Map Run as the tests read it.
type mapRunJSON struct {
	ID                         string  `json:"id"`
	ARN                        string  `json:"arn"`
	Label                      string  `json:"label"`
	ExecutionID                string  `json:"executionId"`
	ExecutionARN               string  `json:"executionArn"`
	StateMachine               string  `json:"stateMachine"`
	ChildStateMachine          string  `json:"childStateMachine"`
	Status                     string  `json:"status"`
	StartedAt                  string  `json:"startedAt"`
	StoppedAt                  string  `json:"stoppedAt"`
	MaxConcurrency             int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64   `json:"toleratedFailureCount"`
	ExecutionCounts            counts  `json:"executionCounts"`
	ItemCounts                 counts  `json:"itemCounts"`
}

type counts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total int
}

func decodeInto(t *testing.T, r response, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (want %d): %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
}

// pollTask waits for a task of activity mrwork: a Map Run child started.
func pollTask(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	r := call(t, srv, http.MethodPost, "/v1/activities/mrwork/poll?wait=20s", nil)
	var task struct{ TaskToken string }
	decodeInto(t, r, http.StatusOK, &task)
	return task.TaskToken
}

// mapRunsOf lists an execution's Map Runs, until there are want: a Map
// Run's record is written in the background after the step that starts it
// (interpreter.recordMapRunLater), so it may lag the run's first children.
func mapRunsOf(t *testing.T, srv *httptest.Server, execution string, want int) []mapRunJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var a struct{ MapRuns []mapRunJSON }
		decodeInto(t, call(t, srv, http.MethodGet, "/v1/executions/"+url.PathEscape(execution)+"/map-runs", nil), http.StatusOK, &a)
		if len(a.MapRuns) >= want || time.Now().After(deadline) {
			if len(a.MapRuns) != want {
				t.Fatalf("execution %s has %d Map Runs, want %d", execution, len(a.MapRuns), want)
			}
			return a.MapRuns
		}
		time.Sleep(10 * time.Millisecond) // the record's write has no notice to wait for
	}
}

// mapRunEnded reads a Map Run once its end is recorded: the record of a
// run's end is written in the background after the step that ends it, so
// it may lag the parent's end.
func mapRunEnded(t *testing.T, srv *httptest.Server, id string) mapRunJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var m mapRunJSON
		decodeInto(t, call(t, srv, http.MethodGet, "/v1/map-runs/"+url.PathEscape(id), nil), http.StatusOK, &m)
		if m.Status != "RUNNING" || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond) // the record's write has no notice to wait for
	}
}

// children lists a Map Run's child executions (all pages).
func children(t *testing.T, srv *httptest.Server, run string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Executions []struct{ ExecutionID, StateMachine, Status string }
			NextCursor string
		}
		decodeInto(t, call(t, srv, http.MethodGet, "/v1/map-runs/"+url.PathEscape(run)+"/executions?"+q.Encode(), nil), http.StatusOK, &page)
		for _, ex := range page.Executions {
			if ex.StateMachine != "dm/L" {
				t.Errorf("child %s runs state machine %q, want dm/L", ex.ExecutionID, ex.StateMachine)
			}
			ids = append(ids, ex.ExecutionID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

// followToEnd reads an execution's event stream to its end, which is the
// execution's end.
func followToEnd(t *testing.T, srv *httptest.Server, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/executions/"+url.PathEscape(id)+"/events", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatalf("events of %s: %v", id, err)
	}
}

func TestMapRunRoutes(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "dm", mapRunDef)
	if r := call(t, srv, http.MethodPost, "/v1/state-machines/dm/executions", map[string]any{"name": "p1", "input": []int{1, 2, 3}}); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	tokens := []string{pollTask(t, srv)} // child 0 runs; 1 and 2 wait (MaxConcurrency 1)

	run := mapRunsOf(t, srv, "dm:p1", 1)[0]
	const prefix = "arn:aws:states:us-east-1:123456789012:"
	if run.ARN != prefix+"mapRun:dm/L:"+run.ID || run.Label != "L" || run.ExecutionID != "dm:p1" ||
		run.ExecutionARN != prefix+"execution:dm:p1" || run.StateMachine != "dm" || run.ChildStateMachine != "dm/L" ||
		run.Status != "RUNNING" || run.StartedAt == "" || run.StoppedAt != "" || run.MaxConcurrency != 1 {
		t.Fatalf("Map Run %+v", run)
	}
	if want := (counts{Running: 1, Pending: 2, Total: 3}); run.ExecutionCounts != want || run.ItemCounts != want {
		t.Fatalf("counts %+v and %+v, want %+v", run.ExecutionCounts, run.ItemCounts, want)
	}
	// By id and by (URL-encoded) ARN alike.
	for _, ref := range []string{run.ID, url.PathEscape(run.ARN), url.QueryEscape(run.ARN)} {
		var got mapRunJSON
		decodeInto(t, call(t, srv, http.MethodGet, "/v1/map-runs/"+ref, nil), http.StatusOK, &got)
		if got.ID != run.ID || got.ARN != run.ARN || got.ExecutionCounts.Total != 3 {
			t.Errorf("GET /v1/map-runs/%s: %+v", ref, got)
		}
	}

	// The child is an execution like any other, by id or by ARN, with
	// "/" in both: every execution route takes it URL-encoded.
	kids := children(t, srv, run.ID)
	if len(kids) != 1 || !strings.HasPrefix(kids[0], "dm/L:") {
		t.Fatalf("children %q, want one dm/L:<uuid>", kids)
	}
	kid := kids[0]
	kidARN := prefix + "execution:" + kid
	for _, ref := range []string{url.PathEscape(kid), strings.ReplaceAll(kid, "/", "%2F"), url.PathEscape(kidARN), strings.ReplaceAll(kidARN, "/", "%2F")} {
		r := call(t, srv, http.MethodGet, "/v1/executions/"+ref, nil)
		var ex struct {
			ExecutionID, StateMachine, Status                string
			ParentExecutionID, ParentExecutionArn, MapRunArn string
		}
		decodeInto(t, r, http.StatusOK, &ex)
		if ex.ExecutionID != kid || ex.StateMachine != "dm/L" || ex.Status != "RUNNING" || ex.ParentExecutionID != "dm:p1" ||
			ex.ParentExecutionArn != prefix+"execution:dm:p1" || ex.MapRunArn != run.ARN {
			t.Errorf("GET /v1/executions/%s: %s", ref, r.body)
		}
		var h struct{ Events []struct{ Type string } }
		decodeInto(t, call(t, srv, http.MethodGet, "/v1/executions/"+ref+"/history", nil), http.StatusOK, &h)
		if len(h.Events) == 0 || h.Events[0].Type != "ExecutionStarted" {
			t.Errorf("history of %s: %+v", ref, h.Events)
		}
	}
	if m := call(t, srv, http.MethodGet, "/v1/executions/dm:p1", nil).json(t); m["parentExecutionId"] != nil || m["mapRunArn"] != nil {
		t.Errorf("the parent names a parent: %v", m)
	}

	// PATCH checks what it is given.
	for _, tc := range []struct {
		body, want string
	}{
		{`{}`, "nothing to change"},
		{`{"maxConcurrency":-1}`, `"maxConcurrency" is -1`},
		{`{"maxConcurrency":1.5}`, `"maxConcurrency" must be an integer`},
		{`{"toleratedFailurePercentage":100.5}`, `"toleratedFailurePercentage" is 100.5`},
		{`{"toleratedFailurePercentage":-1}`, `"toleratedFailurePercentage" is -1`},
		{`{"toleratedFailureCount":-2}`, `"toleratedFailureCount" is -2`},
		{`{"maxConcurrency":2,"label":"x"}`, `unknown field "label"`},
	} {
		r := call(t, srv, http.MethodPatch, "/v1/map-runs/"+run.ID, tc.body, "Content-Type", "application/json")
		wantError(t, r, http.StatusBadRequest, "InvalidInput")
		if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, tc.want) {
			t.Errorf("PATCH %s: message %q lacks %q", tc.body, msg, tc.want)
		}
	}
	// A higher concurrency starts the waiting children at once; a
	// tolerance of one failure lets the run survive a stopped child.
	var up mapRunJSON
	decodeInto(t, call(t, srv, http.MethodPatch, "/v1/map-runs/"+url.PathEscape(run.ARN),
		map[string]any{"maxConcurrency": 3, "toleratedFailureCount": 1, "toleratedFailurePercentage": 50}), http.StatusOK, &up)
	if up.MaxConcurrency != 3 || up.ToleratedFailureCount != 1 || up.ToleratedFailurePercentage != 50 ||
		up.ExecutionCounts != (counts{Running: 3, Total: 3}) || up.Status != "RUNNING" {
		t.Fatalf("after PATCH: %+v", up)
	}
	tokens = append(tokens, pollTask(t, srv), pollTask(t, srv))
	kids = children(t, srv, run.ID)
	if len(kids) != 3 || kids[0] != kid {
		t.Fatalf("children %q, want 3 starting with %s", kids, kid)
	}

	// Stop one child by its ARN, redrive it by its id, "/" as %2F.
	stopped := kids[1]
	var ex struct{ Status string }
	decodeInto(t, call(t, srv, http.MethodPost, "/v1/executions/"+url.PathEscape(prefix+"execution:"+stopped)+"/stop", nil), http.StatusOK, &ex)
	if ex.Status != "ABORTED" {
		t.Fatalf("stopped child is %s", ex.Status)
	}
	var redriven struct {
		Status       string
		RedriveCount int
	}
	decodeInto(t, call(t, srv, http.MethodPost, "/v1/executions/"+strings.ReplaceAll(stopped, "/", "%2F")+"/redrive", nil), http.StatusOK, &redriven)
	if redriven.Status != "RUNNING" || redriven.RedriveCount != 1 {
		t.Fatalf("redriven child: %+v", redriven)
	}
	tokens = append(tokens, pollTask(t, srv)) // the redriven child's new task
	for _, tok := range tokens {
		// The stopped child's first task is gone (404); the others end.
		r := call(t, srv, http.MethodPost, "/v1/tasks/success", map[string]any{"taskToken": tok, "output": "done"})
		if r.status != http.StatusOK && r.status != http.StatusNotFound {
			t.Fatalf("task success: %d %s", r.status, r.body)
		}
	}
	followToEnd(t, srv, "dm:p1")
	if st := call(t, srv, http.MethodGet, "/v1/executions/dm:p1", nil).json(t)["status"]; st != "SUCCEEDED" {
		t.Fatalf("parent ended %v, want SUCCEEDED (one failure tolerated)", st)
	}

	// Ended: its record, and no more changes.
	end := mapRunEnded(t, srv, run.ID)
	if end.Status != "SUCCEEDED" || end.StoppedAt == "" || end.ExecutionCounts != (counts{Succeeded: 2, Aborted: 1, Total: 3}) {
		t.Fatalf("ended Map Run: %+v", end)
	}
	r := call(t, srv, http.MethodPatch, "/v1/map-runs/"+run.ID, map[string]any{"maxConcurrency": 5})
	wantError(t, r, http.StatusConflict, "Conflict")
	if msg := r.json(t)["message"].(string); !strings.Contains(msg, "SUCCEEDED") || !strings.Contains(msg, "only a RUNNING Map Run") {
		t.Errorf("409 message %q", msg)
	}
}

func TestMapRunRefusals(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "chain", passChain)
	if r := call(t, srv, http.MethodPost, "/v1/state-machines/chain/executions?wait=5s", map[string]any{"name": "x"}); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	const unknown = "00000000-0000-0000-0000-000000000000"
	tests := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v1/map-runs/" + unknown, nil, 404, "NotFound"},
		{"GET", "/v1/map-runs/" + unknown + "/executions", nil, 404, "NotFound"},
		{"PATCH", "/v1/map-runs/" + unknown, map[string]any{"maxConcurrency": 2}, 404, "NotFound"},
		{"GET", "/v1/map-runs/" + url.PathEscape("arn:aws:states:us-east-1:123456789012:mapRun:dm/L:"+unknown), nil, 404, "NotFound"},
		{"GET", "/v1/map-runs/" + url.PathEscape("arn:aws:states:eu-west-1:123456789012:mapRun:dm/L:"+unknown), nil, 404, "NotFound"},
		{"GET", "/v1/map-runs/" + url.PathEscape("arn:aws:states:us-east-1:123456789012:execution:chain:x"), nil, 400, "InvalidInput"},
		{"GET", "/v1/map-runs/not%20an%20id", nil, 400, "InvalidInput"},
		{"GET", "/v1/map-runs/" + unknown + "/executions?cursor=abc", nil, 400, "InvalidInput"},
		{"GET", "/v1/executions/chain:nosuch/map-runs", nil, 404, "NotFound"},
		{"DELETE", "/v1/map-runs/" + unknown, nil, 405, "MethodNotAllowed"},
	}
	for _, tc := range tests {
		wantError(t, call(t, srv, tc.method, tc.path, tc.body), tc.status, tc.code)
	}
	// An execution without a distributed Map has no Map Runs.
	var a struct{ MapRuns []mapRunJSON }
	decodeInto(t, call(t, srv, http.MethodGet, "/v1/executions/chain:x/map-runs", nil), http.StatusOK, &a)
	if a.MapRuns == nil || len(a.MapRuns) != 0 {
		t.Errorf("map-runs of a plain execution: %+v, want []", a)
	}
}

// Reading a Map Run takes a reader, changing it an operator.
func TestMapRunRoles(t *testing.T) {
	t.Parallel()
	srv := setup(t, map[string]httpapi.Role{"r": httpapi.RoleReader, "o": httpapi.RoleOperator, "w": httpapi.RoleWorker})
	const run = "/v1/map-runs/00000000-0000-0000-0000-000000000000"
	patch := map[string]any{"maxConcurrency": 2}
	tests := []struct {
		method, path, token string
		body                any
		status              int
	}{
		{"GET", run, "r", nil, 404},
		{"GET", run + "/executions", "r", nil, 404},
		{"GET", "/v1/executions/a:b/map-runs", "r", nil, 404},
		{"PATCH", run, "r", patch, 403},
		{"PATCH", run, "w", patch, 403},
		{"GET", run, "w", nil, 403},
		{"PATCH", run, "o", patch, 404},
		{"PATCH", run, "", patch, 401},
	}
	for _, tc := range tests {
		var hdr []string
		if tc.token != "" {
			hdr = []string{"Authorization", "Bearer " + tc.token}
		}
		if r := call(t, srv, tc.method, tc.path, tc.body, hdr...); r.status != tc.status {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.token, r.status, r.body, tc.status)
		}
	}
}

// The Map Run routes answer as the OpenAPI document says.
func TestOpenAPIMapRunResponses(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "dm", mapRunDef)
	call(t, srv, http.MethodPost, "/v1/state-machines/dm/executions", map[string]any{"name": "p1", "input": []int{1, 2}})
	pollTask(t, srv)
	run := mapRunsOf(t, srv, "dm:p1", 1)[0]
	kid := children(t, srv, run.ID)[0]
	steps := []docStep{
		{"GET", "/v1/executions/dm:p1/map-runs", "", ""},
		{"GET", "/v1/map-runs/" + run.ID, "", ""},
		{"GET", "/v1/map-runs/" + url.PathEscape(run.ARN), "", ""},
		{"GET", "/v1/map-runs/" + run.ID + "/executions?limit=1", "", ""},
		{"GET", "/v1/executions/" + url.PathEscape(kid), "", ""},
		{"PATCH", "/v1/map-runs/" + run.ID, `{"maxConcurrency":0,"toleratedFailurePercentage":12.5}`, "application/json"},
		{"PATCH", "/v1/map-runs/" + run.ID, `{"maxConcurrency":-1}`, "application/json"},
		{"GET", "/v1/map-runs/00000000-0000-0000-0000-000000000000", "", ""},
		{"POST", "/v1/executions/dm:p1/stop", "", ""},
		{"GET", "/v1/map-runs/" + run.ID, "", ""},
		{"PATCH", "/v1/map-runs/" + run.ID, `{"maxConcurrency":3}`, "application/json"},
	}
	checkAnswersAgainstDoc(t, srv, steps)
}

// A startExecution task's child names its parent, and no Map Run.
func TestChildExecutionNamesItsParent(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "chain", passChain)
	put(t, srv, "parent", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
	 "Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:chain","Input":{"x":1}},"End":true}}}`)
	r := call(t, srv, http.MethodPost, "/v1/state-machines/parent/executions?wait=10s", map[string]any{"name": "p"})
	var p struct{ Status string }
	decodeInto(t, r, http.StatusOK, &p)
	if p.Status != "SUCCEEDED" {
		t.Fatalf("parent: %s", r.body)
	}
	var h struct {
		Events []struct {
			Type   string
			Output struct{ ExecutionArn string }
		}
	}
	decodeInto(t, call(t, srv, http.MethodGet, "/v1/executions/parent:p/history", nil), http.StatusOK, &h)
	child := ""
	for _, e := range h.Events {
		if e.Type == "TaskSubmitted" {
			child = e.Output.ExecutionArn
		}
	}
	if child == "" {
		t.Fatalf("no TaskSubmitted with the child's ARN: %+v", h.Events)
	}
	m := call(t, srv, http.MethodGet, "/v1/executions/"+url.PathEscape(child), nil).json(t)
	if m["parentExecutionId"] != "parent:p" || m["parentExecutionArn"] != "arn:aws:states:us-east-1:123456789012:execution:parent:p" ||
		m["mapRunArn"] != nil || m["stateMachine"] != "chain" {
		t.Fatalf("child: %v", m)
	}
}
