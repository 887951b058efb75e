package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTestState runs sfn test-state in-process on the example definitions.
func TestTestState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	single := write("greet.json", `{"QueryLanguage":"JSONata","Type":"Pass","Assign":{"greeted":"{% $states.input.name %}"},"Output":{"text":"{% 'Hello, ' & $states.input.name & ' from ' & $city %}"},"Next":"Done"}`)
	bad := write("bad.yaml", "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n")
	retryCatch := defs + "retry-catch.yaml"
	order := `{"orderId": "o-42", "amount": 31.5}`
	for _, tc := range []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string
		wantErr  string // a substring of standard error
	}{
		{
			name: "mocked result, DEBUG",
			args: []string{"test-state", retryCatch, "--input", order, "--mock-result", `{"chargeId":"ch-1"}`, "--inspection-level", "debug"},
			wantOut: `status:  SUCCEEDED
output:  {"orderId":"o-42","amount":31.5,"charge":{"chargeId":"ch-1"}}

input:                {"orderId":"o-42","amount":31.5}
afterInputPath:       {"orderId":"o-42","amount":31.5}
afterParameters:      {"orderId":"o-42","amount":31.5}
result:               {"chargeId":"ch-1"}
afterResultSelector:  {"chargeId":"ch-1"}
afterResultPath:      {"orderId":"o-42","amount":31.5,"charge":{"chargeId":"ch-1"}}
`,
		},
		{
			name: "a retried error",
			args: []string{"test-state", retryCatch, "--state", "Charge", "--input", order, "--mock-error", "Payment.ProviderUnavailable", "--mock-cause", "down", "--retrier-retry-count", "2", "--inspection-level", "DEBUG"},
			wantOut: `status:   RETRIABLE
error:    Payment.ProviderUnavailable
cause:    down
retrier:  Retry #0, next attempt in 4 s

input:            {"orderId":"o-42","amount":31.5}
afterInputPath:   {"orderId":"o-42","amount":31.5}
afterParameters:  {"orderId":"o-42","amount":31.5}
`,
		},
		{
			name: "retries used up, then caught",
			args: []string{"test-state", retryCatch, "--input", order, "--mock-error", "Payment.ProviderUnavailable", "--mock-cause", "down", "--retrier-retry-count", "3"},
			wantOut: `status:      CAUGHT_ERROR
error:       Payment.ProviderUnavailable
cause:       down
next state:  GiveUp
output:      {"orderId":"o-42","amount":31.5,"error":{"Error":"Payment.ProviderUnavailable","Cause":"down"}}
`,
		},
		{
			name:  "JSON answer, input from standard input",
			args:  []string{"test-state", retryCatch, "--state", "Declined", "--input", "@-", "--format", "json"},
			stdin: order,
			wantOut: `{
  "output": "{\"orderId\":\"o-42\",\"amount\":31.5,\"status\":\"declined\"}",
  "status": "SUCCEEDED"
}
`,
		},
		{
			name:     "a Fail state exits 1",
			args:     []string{"test-state", retryCatch, "--state", "GiveUp"},
			wantCode: 1,
			wantOut: `status:  FAILED
error:   Payment.Failed
cause:   The payment could not be charged, even after retrying.
`,
		},
		{
			name: "a single JSONata state with variables",
			args: []string{"test-state", single, "--input", `{"name":"Ada"}`, "--variables", `{"city":"London"}`, "--inspection-level", "TRACE"},
			wantOut: `status:      SUCCEEDED
next state:  Done
output:      {"text":"Hello, Ada from London"}

input:      {"name":"Ada"}
variables:  {"city":"London","greeted":"Ada"}
`,
		},
		{name: "an invalid definition", args: []string{"test-state", bad}, wantCode: 1, wantErr: bad + ":5:11: MISSING_TRANSITION_TARGET"},
		{name: "an unknown state", args: []string{"test-state", retryCatch, "--state", "Nope"}, wantCode: 2, wantErr: `sfn: --state: the state machine has no state named "Nope"`},
		{name: "a handler needs a mock", args: []string{"test-state", retryCatch}, wantCode: 2, wantErr: "sfn: --mock-result/--mock-error: the Task state \"Charge\" (handler:charge-payment) calls an in-process handler"},
		{name: "a mock on a Pass", args: []string{"test-state", retryCatch, "--state", "Declined", "--mock-result", "1"}, wantCode: 2, wantErr: "State type 'Pass' is not supported when a mock is specified"},
		{name: "result and error", args: []string{"test-state", retryCatch, "--mock-result", "1", "--mock-error", "E"}, wantCode: 2, wantErr: "exclusive"},
		{name: "input not JSON", args: []string{"test-state", retryCatch, "--input", "{", "--mock-result", "{}"}, wantCode: 2, wantErr: "sfn: --input: is not valid JSON"},
		{name: "bad level", args: []string{"test-state", retryCatch, "--mock-result", "{}", "--inspection-level", "ALL"}, wantCode: 2, wantErr: `sfn: --inspection-level: "ALL" is not one of INFO, DEBUG, TRACE`},
		{name: "bad retry count", args: []string{"test-state", retryCatch, "--mock-result", "{}", "--retrier-retry-count", "-1"}, wantCode: 2, wantErr: "sfn: --retrier-retry-count: must be 0 or more"},
		{name: "no file", args: []string{"test-state", filepath.Join(dir, "none.json")}, wantCode: 2, wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, tc.stdin, tc.args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.wantCode, r.out, r.errOut)
			}
			if tc.wantOut != "" || tc.wantErr == "" {
				if diff := cmp.Diff(tc.wantOut, r.out); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if !strings.Contains(r.errOut, tc.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", r.errOut, tc.wantErr)
			}
		})
	}
}

// TestTestStateHTTP: an unmocked HTTP Task makes its real call, through
// --connections; TRACE shows the request with the connection's key
// redacted, unless --reveal-secrets.
func TestTestStateHTTP(t *testing.T) {
	t.Parallel()
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("X-Api-Key")) // the test's requests are sequential
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"inStock":true}`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	conns := filepath.Join(dir, "connections.json")
	if err := os.WriteFile(conns, []byte(`{"shop":{"apiKeyName":"X-Api-Key","apiKeyValue":"env:SHOP_KEY","endpoints":["127.0.0.1"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(dir, "stock.json")
	if err := os.WriteFile(def, []byte(`{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"`+srv.URL+`/stock","Method":"GET",
		"Authentication":{"ConnectionArn":"shop"},"QueryParameters":{"sku.$":"$.sku"}},"ResultSelector":{"inStock.$":"$.ResponseBody.inStock"},"End":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SHOP_KEY": "s3cret"}
	for _, tc := range []struct {
		name    string
		extra   []string
		wantKey string
	}{
		{"redacted", nil, "[REDACTED]"},
		{"revealed", []string{"--reveal-secrets"}, "s3cret"},
	} {
		r := sfn(t, env, "", append([]string{"test-state", def, "--input", `{"sku":"A-1"}`, "--connections", conns, "--inspection-level", "TRACE", "--format", "json"}, tc.extra...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tc.name, r.code, r.out, r.errOut)
		}
		var ans struct {
			Output         string
			Status         string
			InspectionData struct {
				Request  struct{ Method, URL, Headers string }
				Response struct{ StatusCode, Body string }
			}
		}
		if err := json.Unmarshal([]byte(r.out), &ans); err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, r.out)
		}
		req, resp := ans.InspectionData.Request, ans.InspectionData.Response
		if ans.Status != "SUCCEEDED" || ans.Output != `{"inStock":true}` {
			t.Errorf("%s: status %s, output %s", tc.name, ans.Status, ans.Output)
		}
		if req.Method != "GET" || req.URL != srv.URL+"/stock?sku=A-1" || !strings.Contains(req.Headers, "X-Api-Key: "+tc.wantKey) {
			t.Errorf("%s: request %+v, want GET /stock?sku=A-1 with X-Api-Key: %s", tc.name, req, tc.wantKey)
		}
		if resp.StatusCode != "200" || resp.Body != `{"inStock":true}` {
			t.Errorf("%s: response %+v", tc.name, resp)
		}
	}
	if diff := cmp.Diff([]string{"s3cret", "s3cret"}, keys); diff != "" {
		t.Errorf("keys the server received (-want +got):\n%s", diff)
	}
	// --http-allow applies as for sfn serve.
	r := sfn(t, env, "", "test-state", def, "--input", `{"sku":"A-1"}`, "--connections", conns, "--http-allow", "example.com")
	if r.code != 1 || !strings.Contains(r.out, "States.TaskFailed") {
		t.Errorf("a destination outside --http-allow: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}
