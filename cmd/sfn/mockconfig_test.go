package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const mockDir = "testdata/mockconfig/"

// endpoint is an HTTP server that answers every call with body and counts
// the calls.
func endpoint(t *testing.T, body string) (url string, calls *atomic.Int64) {
	t.Helper()
	calls = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// TestRunMockConfigAWSExample runs the test cases of AWS's mock
// configuration example, its Lambda and SQS calls made http:invoke tasks,
// with the outcomes AWS's page gives: HappyPath and RetryPath end with the
// mocked SQS answer (RetryPath after three failed Lambda calls and a
// fourth that succeeds), HybridPath calls the real queue.
func TestRunMockConfigAWSExample(t *testing.T) {
	t.Parallel()
	const sqsMocked = `{"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`
	tests := []struct {
		testCase       string
		wantOutput     string // "" for the real call's result
		wantLambdaTask int    // TaskScheduled events of LambdaState
	}{
		{"HappyPath", sqsMocked, 1},
		{"RetryPath", sqsMocked, 4},
		{"HybridPath", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.testCase, func(t *testing.T) {
			t.Parallel()
			lambda, lambdaCalls := endpoint(t, `{"from": "the real lambda"}`)
			sqs, sqsCalls := endpoint(t, `{"MessageId": "real-1"}`)
			input := `{"order": {"id": "o-1"}, "lambdaEndpoint": "` + lambda + `", "sqsEndpoint": "` + sqs + `"}`
			r, got := runJSON(t, mockDir+"LambdaSQSIntegration.json", "--input", input,
				"--mock-config", mockDir+"MockConfigFile.json", "--test-case", tt.testCase, "--fast-time", "--history")
			if r.code != 0 || got.Status != "SUCCEEDED" {
				t.Fatalf("exit %d status %s: %s %s\n%s", r.code, got.Status, got.Error, got.Cause, r.errOut)
			}
			if n := lambdaCalls.Load(); n != 0 {
				t.Errorf("the mocked Lambda endpoint was called %d times", n)
			}
			var out map[string]any
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if tt.wantOutput == "" {
				if n := sqsCalls.Load(); n != 1 {
					t.Errorf("the real queue was called %d times, want 1", n)
				}
				if diff := cmp.Diff(map[string]any{"MessageId": "real-1"}, out["ResponseBody"]); diff != "" {
					t.Errorf("ResponseBody (-want +got):\n%s", diff)
				}
			} else {
				if n := sqsCalls.Load(); n != 0 {
					t.Errorf("the mocked queue was called %d times", n)
				}
				var want map[string]any
				_ = json.Unmarshal([]byte(tt.wantOutput), &want)
				if diff := cmp.Diff(want, out); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
			}
			if n := countScheduled(t, got.Events, "LambdaState"); n != tt.wantLambdaTask {
				t.Errorf("LambdaState was scheduled %d times, want %d", n, tt.wantLambdaTask)
			}
		})
	}
}

// countScheduled counts the TaskScheduled events of a state: its attempts.
func countScheduled(t *testing.T, events []json.RawMessage, state string) int {
	t.Helper()
	current, n := "", 0
	for _, raw := range events {
		var e historyEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case "TaskStateEntered":
			current = e.Name
		case "TaskScheduled":
			if current == state {
				n++
			}
		}
	}
	return n
}

// TestRunMockConfigRetryCatch: a retry consumes a call number (call 0
// throws, call 1 returns), a Throw is caught by a Catch, retries run out
// when every call throws, a call with no answer fails the execution, and
// Notify, in no test case, makes its real call.
func TestRunMockConfigRetryCatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		testCase    string
		wantCode    int
		wantStatus  string
		wantError   string
		wantCause   string // "" to skip
		wantOutput  string
		wantNotifed int64
	}{
		{testCase: "RetryThenCharge", wantStatus: "SUCCEEDED", wantNotifed: 1,
			wantOutput: `{"charge": {"chargeId": "ch-1", "status": "APPROVED"}, "notify": {"status": 200, "body": {"ok": true}}}`},
		{testCase: "Declined", wantStatus: "SUCCEEDED",
			wantOutput: `{"error": {"Error": "Payment.Declined", "Cause": "insufficient funds"}, "status": "declined"}`},
		{testCase: "AlwaysUnavailable", wantCode: 1, wantStatus: "FAILED", wantError: "Payment.Unavailable"},
		// Call 1, the retry, has no answer: the execution fails.
		{testCase: "NoAnswerForTheRetry", wantCode: 1, wantStatus: "FAILED", wantError: "States.Runtime",
			wantCause: `mocked response "ChargeUnavailableOnce" of test case "NoAnswerForTheRetry" has no answer for call 1 of state "Charge" (calls count from 0, retries included)`},
	}
	for _, tt := range tests {
		t.Run(tt.testCase, func(t *testing.T) {
			t.Parallel()
			notify, calls := endpoint(t, `{"ok": true}`)
			r, got := runJSON(t, mockDir+"order-retry.yaml", "--input", `{"notifyEndpoint": "`+notify+`"}`,
				"--mock-config", mockDir+"MockConfigFile.json", "--test-case", tt.testCase, "--fast-time")
			if r.code != tt.wantCode || got.Status != tt.wantStatus || got.Error != tt.wantError {
				t.Fatalf("exit %d status %s error %q (%s); want %d %s %q\n%s", r.code, got.Status, got.Error, got.Cause,
					tt.wantCode, tt.wantStatus, tt.wantError, r.errOut)
			}
			if tt.wantCause != "" && got.Cause != tt.wantCause {
				t.Errorf("cause %q, want %q", got.Cause, tt.wantCause)
			}
			if n := calls.Load(); n != tt.wantNotifed {
				t.Errorf("Notify called its endpoint %d times, want %d", n, tt.wantNotifed)
			}
			if tt.wantOutput == "" {
				return
			}
			var want, have map[string]any
			_ = json.Unmarshal([]byte(tt.wantOutput), &want)
			_ = json.Unmarshal(got.Output, &have)
			delete(have, "notifyEndpoint")
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunMockConfigUsage: wrong combinations and names are usage errors
// (exit 2) that say what is known.
func TestRunMockConfigUsage(t *testing.T) {
	t.Parallel()
	def := mockDir + "order-retry.yaml"
	cfg := mockDir + "MockConfigFile.json"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"with --mock", []string{def, "--mock-config", cfg, "--test-case", "Declined", "--mock", "testdata/mocks/charge-declined.yaml"},
			"--mock and --mock-config cannot be used together"},
		{"no test case", []string{def, "--mock-config", cfg}, "--mock-config needs --test-case NAME"},
		{"test case without file", []string{def, "--test-case", "Declined"}, "--test-case and --state-machine go with --mock-config"},
		{"unknown test case", []string{def, "--mock-config", cfg, "--test-case", "Nope"},
			`state machine "order-retry" has no test case "Nope" (it has "AlwaysUnavailable", "Declined", "NoAnswerForTheRetry", "RetryThenCharge")`},
		{"unknown state machine", []string{def, "--mock-config", cfg, "--test-case", "Declined", "--state-machine", "orders"},
			`the mock configuration has no state machine "orders" (it has "LambdaSQSIntegration", "order-retry")`},
		{"state not in the definition", []string{def, "--mock-config", cfg, "--test-case", "HappyPath", "--state-machine", "LambdaSQSIntegration"},
			`test case "HappyPath" mocks "LambdaState", which is not a Task state of the definition`},
		{"missing file", []string{def, "--mock-config", mockDir + "nope.json", "--test-case", "Declined"}, "nope.json"},
		{"invalid file", []string{def, "--mock-config", def, "--test-case", "Declined"},
			"order-retry.yaml:3:1: /StartAt: unknown field \"StartAt\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sfn(t, nil, "", append([]string{"run"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.errOut, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.errOut, tt.want)
			}
		})
	}
}

// TestServeMockConfig: sfn serve --mock-config answers the mocked calls of
// executions started with a test case, AWS's example again (its HappyPath
// and HybridPath: RetryPath's back-off takes 14 s of real time on a
// server, and the engine's tests cover it on a fast clock); an execution
// started without a test case makes every call.
func TestServeMockConfig(t *testing.T) {
	t.Parallel()
	addr := startServer(t, "--mock-config", mockDir+"MockConfigFile.json")
	base := "http://" + addr
	def, err := os.ReadFile(mockDir + "LambdaSQSIntegration.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, base+"/v1/state-machines/LambdaSQSIntegration", bytes.NewReader(def))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT the definition: %s", resp.Status)
	}
	tests := []struct {
		testCase              string
		lambdaCalls, sqsCalls int64
		status, wantMessageID string
	}{
		{"HappyPath", 0, 0, "SUCCEEDED", "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"},
		{"HybridPath", 0, 1, "SUCCEEDED", "real-1"},
		// Not mocked: the real Lambda endpoint is called, and its answer
		// (an http:invoke result, without the Lambda's Payload) fails
		// SQSState's parameters.
		{"", 1, 0, "FAILED", ""},
	}
	for _, tt := range tests {
		lambda, lambdaCalls := endpoint(t, `{"Payload": {"from": "the real lambda"}}`)
		sqs, sqsCalls := endpoint(t, `{"MessageId": "real-1"}`)
		body := map[string]any{"input": map[string]any{"order": map[string]any{"id": "o-1"}, "lambdaEndpoint": lambda, "sqsEndpoint": sqs}}
		if tt.testCase != "" {
			body["testCase"] = tt.testCase
		}
		data, _ := json.Marshal(body)
		resp, err := http.Post(base+"/v1/state-machines/LambdaSQSIntegration/executions?wait=10s", "application/json", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var ex struct {
			Status, TestCase string
			Output           json.RawMessage
		}
		err = json.NewDecoder(resp.Body).Decode(&ex)
		resp.Body.Close()
		if err != nil || ex.Status != tt.status || ex.TestCase != tt.testCase {
			t.Fatalf("%q: %s %+v %v", tt.testCase, resp.Status, ex, err)
		}
		if !strings.Contains(string(ex.Output), tt.wantMessageID) {
			t.Errorf("%q: output %s, want the message id %s", tt.testCase, ex.Output, tt.wantMessageID)
		}
		if lambdaCalls.Load() != tt.lambdaCalls || sqsCalls.Load() != tt.sqsCalls {
			t.Errorf("%q: %d Lambda and %d SQS calls, want %d and %d", tt.testCase, lambdaCalls.Load(), sqsCalls.Load(), tt.lambdaCalls, tt.sqsCalls)
		}
	}

	// The CLI's start takes the test case too, and shows it.
	lambda, lambdaCalls := endpoint(t, `{}`)
	input := `{"order": {"id": "o-2"}, "lambdaEndpoint": "` + lambda + `", "sqsEndpoint": "` + lambda + `"}`
	r := mustRun(t, map[string]string{"SFN_SERVER": base}, 0, "start", "LambdaSQSIntegration", "--test-case", "HappyPath", "--input", input, "--wait")
	contains(t, "start --test-case", r.out, "SUCCEEDED", "Test case:", "HappyPath")
	if n := lambdaCalls.Load(); n != 0 {
		t.Errorf("sfn start --test-case HappyPath made %d calls", n)
	}
}

// TestServeMockConfigInvalid: a mock configuration with problems stops
// sfn serve before it listens, with each problem's place in the file.
func TestServeMockConfigInvalid(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "mocks.json")
	if err := os.WriteFile(bad, []byte(`{"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}},
"MockedResponses": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sfn(t, nil, "", "serve", "--addr", "256.0.0.1:1", "--mock-config", bad)
	if r.code != exitUsage || !strings.Contains(r.errOut, bad+`:1:51: /StateMachines/M/TestCases/T/S: unknown mocked response "Nope"`) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.errOut)
	}
	r = sfn(t, map[string]string{"SFN_MOCK_CONFIG": filepath.Join(t.TempDir(), "missing.json")}, "", "serve", "--addr", "256.0.0.1:1")
	if r.code != exitUsage || !strings.Contains(r.errOut, "--mock-config") || !strings.Contains(r.errOut, "missing.json") {
		t.Errorf("a missing file: exit %d, stderr:\n%s", r.code, r.errOut)
	}
}

// TestRunMockConfigDelay: a mocked answer's Delay passes on sfn run's fast
// clock, so a slow answer takes no real time, and one slower than the
// state's heartbeat loses to it as the real one would.
func TestRunMockConfigDelay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	def := filepath.Join(dir, "confirm.json")
	mocks := filepath.Join(dir, "mocks.json")
	if err := os.WriteFile(def, []byte(`{"StartAt":"Confirm","States":{"Confirm":{"Type":"Task",
		"Resource":"http:invoke.waitForTaskToken","HeartbeatSeconds":300,
		"Parameters":{"ApiEndpoint":"https://restaurant.example.com/orders","Method":"POST"},"End":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mocks, []byte(`{"StateMachines":{"confirm":{"TestCases":{
		"Slow":{"Confirm":"InTenMinutes"},"Quick":{"Confirm":"InFourMinutes"}}}},
		"MockedResponses":{
			"InTenMinutes":{"0":{"Return":{"accepted":true},"Delay":600}},
			"InFourMinutes":{"0":{"Return":{"accepted":true},"Delay":240}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		testCase, status, errName string
	}{
		{"Quick", "SUCCEEDED", ""},
		{"Slow", "FAILED", "States.Timeout"}, // a missed heartbeat, as sfn names it
	}
	for _, tt := range tests {
		start := time.Now()
		r, got := runJSON(t, def, "--mock-config", mocks, "--test-case", tt.testCase, "--fast-time")
		if got.Status != tt.status || got.Error != tt.errName {
			t.Errorf("%s: ended %s %s %q (exit %d)\n%s", tt.testCase, got.Status, got.Error, got.Cause, r.code, r.errOut)
		}
		// A bound that only turns a clock that does not jump into a
		// failure: the delays are minutes.
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %v of real time", tt.testCase, d)
		}
	}
}
