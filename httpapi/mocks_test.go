package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
)

// TestStartWithTestCase: {"testCase": NAME} in the start body runs the
// execution with that test case of the server's mock configuration; the
// description and the history say so; an unknown or empty one is refused.
func TestStartWithTestCase(t *testing.T) {
	mocks, err := mockconfig.Parse([]byte(`{
		"StateMachines": {"order": {"TestCases": {"Declined": {"Charge": "Declined"}}}},
		"MockedResponses": {"Declined": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "insufficient funds"}}}}}`), "mocks.json")
	if err != nil {
		t.Fatal(err)
	}
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: testStore(t), Mocks: mocks})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine}))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	// Charge would call a handler nobody registered: only its mock answers.
	put(t, srv, "order", `{"StartAt":"Charge","States":{
		"Charge":{"Type":"Task","Resource":"handler:charge","Catch":[{"ErrorEquals":["Payment.Declined"],"ResultPath":"$.why","Next":"Cancel"}],"End":true},
		"Cancel":{"Type":"Pass","End":true}}}`)

	r := call(t, srv, http.MethodPost, "/v1/state-machines/order/executions?wait=10s", map[string]any{"name": "o1", "input": map[string]any{"id": 1}, "testCase": "Declined"})
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	ex := r.json(t)
	if ex["status"] != "SUCCEEDED" || ex["testCase"] != "Declined" {
		t.Fatalf("the mocked execution: %s", r.body)
	}
	if want := `{"id":1,"why":{"Error":"Payment.Declined","Cause":"insufficient funds"}}`; !strings.Contains(string(r.body), `"output":`+want) {
		t.Errorf("output: %s, want %s", r.body, want)
	}
	id := ex["executionId"].(string)
	d := call(t, srv, http.MethodGet, "/v1/executions/"+url.PathEscape(id), nil).json(t)
	if d["testCase"] != "Declined" {
		t.Errorf("GET says test case %v", d["testCase"])
	}
	h := call(t, srv, http.MethodGet, "/v1/executions/"+url.PathEscape(id)+"/history", nil)
	for _, want := range []string{`"testCase":"Declined"`, `"type":"TaskFailed"`, `"mockedResponse":"Declined"`} {
		if !strings.Contains(string(h.body), want) {
			t.Errorf("the history lacks %s: %s", want, h.body)
		}
	}

	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"testCase": "Approved"}), 400, "InvalidInput")
	wantError(t, call(t, srv, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"testCase": ""}), 400, "InvalidInput")
	bad := call(t, srv, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"testCase": "Approved"})
	if msg := bad.json(t)["message"].(string); !strings.Contains(msg, `state machine "order" has no test case "Approved" (it has "Declined")`) {
		t.Errorf("the refusal says %q", msg)
	}
	// A test case skips the calls it mocks while the others run for real:
	// only an admin may choose one.
	guarded := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, AuthTokens: map[string]httpapi.Role{"adm": httpapi.RoleAdmin, "op": httpapi.RoleOperator}}))
	t.Cleanup(guarded.Close)
	wantError(t, call(t, guarded, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"name": "o2", "testCase": "Declined"}, "Authorization", "Bearer op"), 403, "Forbidden")
	if r := call(t, guarded, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"name": "o3", "testCase": "Declined"}, "Authorization", "Bearer adm"); r.status != http.StatusAccepted && r.status != http.StatusOK {
		t.Errorf("an admin's mocked start: %d %s", r.status, r.body)
	}

	// A server without a mock configuration refuses any test case.
	plain := setup(t, nil)
	put(t, plain, "order", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	wantError(t, call(t, plain, http.MethodPost, "/v1/state-machines/order/executions", map[string]any{"testCase": "Declined"}), 400, "InvalidInput")
}
