package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store/memory"
)

// setupTestState serves the API over an engine whose HTTP Tasks use hc
// (nil: the engine's default client).
func setupTestState(t *testing.T, tokens map[string]httpapi.Role, hc *httptask.Client) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), HTTP: hc})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, AuthTokens: tokens}))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	return srv
}

// testState POSTs body (a string as it is, else as JSON) to /v1/test-state.
func testState(t *testing.T, srv *httptest.Server, body any, header ...string) response {
	t.Helper()
	if s, ok := body.(string); ok {
		return call(t, srv, http.MethodPost, "/v1/test-state", s, append([]string{"Content-Type", "application/json"}, header...)...)
	}
	return call(t, srv, http.MethodPost, "/v1/test-state", body, header...)
}

// answerOf decodes a TestState answer with its JSON text fields (output,
// the data-flow stages) decoded too, so that they compare as values.
func answerOf(t *testing.T, r response) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	decode := func(obj map[string]any, keys ...string) {
		for _, k := range keys {
			s, ok := obj[k].(string)
			if !ok {
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				t.Fatalf("%s %q is not JSON text: %v", k, s, err)
			}
			obj[k] = v
		}
	}
	decode(m, "output")
	if d, ok := m["inspectionData"].(map[string]any); ok {
		decode(d, "input", "afterInputPath", "afterParameters", "afterArguments", "result", "afterResultSelector", "afterResultPath", "variables")
	}
	return m
}

// checkout's states: a Pass with every data-flow field, and a Task with a
// Retrier, a Catcher and a ResultSelector.
const checkoutDef = `{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","InputPath":"$.order","Parameters":{"id.$":"$.id","total.$":"$.amount"},"ResultPath":"$.prepared","OutputPath":"$.prepared","Next":"Charge"},
  "Charge":{"Type":"Task","Resource":"handler:charge",
    "Retry":[{"ErrorEquals":["Flaky.Outage"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
    "Catch":[{"ErrorEquals":["Card.Declined"],"ResultPath":"$.error","Next":"Declined"}],
    "ResultSelector":{"ok.$":"$.charged"},"ResultPath":"$.charge","End":true},
  "Declined":{"Type":"Fail","Error":"Payment.Declined"}}}`

func TestTestStateAccess(t *testing.T) {
	t.Parallel()
	srv := setupTestState(t, map[string]httpapi.Role{"a": httpapi.RoleAdmin, "o": httpapi.RoleOperator, "w": httpapi.RoleWorker, "r": httpapi.RoleReader}, nil)
	body := map[string]any{"definition": `{"Type":"Pass","End":true}`}
	for _, c := range []struct {
		token  string
		status int
		code   string
	}{
		{"", http.StatusUnauthorized, "Unauthorized"},
		{"nope", http.StatusUnauthorized, "Unauthorized"},
		{"r", http.StatusForbidden, "Forbidden"},
		{"w", http.StatusForbidden, "Forbidden"},
		{"o", http.StatusForbidden, "Forbidden"},
		{"a", http.StatusOK, ""},
	} {
		var header []string
		if c.token != "" {
			header = []string{"Authorization", "Bearer " + c.token}
		}
		r := testState(t, srv, body, header...)
		if c.code == "" {
			if got := answerOf(t, r)["status"]; got != "SUCCEEDED" {
				t.Errorf("token %q: status %v, want SUCCEEDED", c.token, got)
			}
			continue
		}
		wantError(t, r, c.status, c.code)
	}
}

func TestTestStateRefusals(t *testing.T) {
	t.Parallel()
	srv := setupTestState(t, nil, nil)
	pass := `{"Type":"Pass","End":true}`
	for _, c := range []struct {
		name   string
		body   any
		ctype  string
		status int
		code   string
		msg    string // in the message
	}{
		{"empty body", "", "", 400, "InvalidInput", "the request body is empty"},
		{"not JSON", "{", "", 400, "InvalidInput", "malformed JSON body"},
		{"not an object", "[1]", "", 400, "InvalidInput", "must be a JSON object"},
		{"unknown field", map[string]any{"definition": pass, "inputs": "{}"}, "", 400, "InvalidInput", `unknown field "inputs"`},
		{"no definition", map[string]any{"input": "{}"}, "", 400, "InvalidInput", `field "definition" is required`},
		{"wrong type", map[string]any{"definition": pass, "revealSecrets": "yes"}, "", 400, "InvalidInput", `"revealSecrets"`},
		{"text/plain", pass, "text/plain", 415, "UnsupportedMediaType", "send application/json"},
		{"bad definition", map[string]any{"definition": `{"Type":"Pass","Nxt":"B"}`}, "", 400, "ValidationError", "definition"},
		{"input not JSON", map[string]any{"definition": pass, "input": "{"}, "", 400, "InvalidInput", "input"},
		{"unknown state", map[string]any{"definition": checkoutDef, "stateName": "Nowhere"}, "", 400, "InvalidInput", "stateName"},
		{"bad inspection level", map[string]any{"definition": pass, "inspectionLevel": "LOUD"}, "", 400, "InvalidInput", "inspectionLevel"},
		{"activity without a mock", map[string]any{"definition": `{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}`},
			"", 400, "InvalidInput", "mock"},
		{"input over 256 KiB", map[string]any{"definition": pass, "input": `"` + strings.Repeat("x", 256*1024) + `"`},
			"", 413, "PayloadTooLarge", `field "input" is 262146 bytes, over the limit of 262144`},
		{"body over the limit", map[string]any{"definition": pass, "context": strings.Repeat(" ", 2<<20)},
			"", 413, "PayloadTooLarge", "the request body exceeds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.ctype != "" {
				r = call(t, srv, http.MethodPost, "/v1/test-state", c.body.(string), "Content-Type", c.ctype)
			} else {
				r = testState(t, srv, c.body)
			}
			wantError(t, r, c.status, c.code)
			if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, c.msg) {
				t.Errorf("message %q lacks %q", msg, c.msg)
			}
		})
	}
}

// TestTestStateAnswers checks whole answers, field by field, for a Pass at
// each inspection level and for a Task whose work is mocked: a result, an
// error a Retrier retries, an error a Catcher catches, one nothing handles.
func TestTestStateAnswers(t *testing.T) {
	t.Parallel()
	srv := setupTestState(t, nil, nil)
	order := `{"order":{"id":"o-1","amount":12},"user":"u-7"}`
	prepared := map[string]any{"id": "o-1", "total": 12.0}
	for _, c := range []struct {
		name string
		req  map[string]any
		want map[string]any
	}{
		{"pass at INFO", map[string]any{"definition": checkoutDef, "stateName": "Prepare", "input": order},
			map[string]any{"status": "SUCCEEDED", "nextState": "Charge", "output": prepared}},
		{"pass at DEBUG", map[string]any{"definition": checkoutDef, "stateName": "Prepare", "input": order, "inspectionLevel": "DEBUG"},
			map[string]any{"status": "SUCCEEDED", "nextState": "Charge", "output": prepared,
				"inspectionData": map[string]any{
					"input":               map[string]any{"order": map[string]any{"id": "o-1", "amount": 12.0}, "user": "u-7"},
					"afterInputPath":      map[string]any{"id": "o-1", "amount": 12.0},
					"afterParameters":     prepared,
					"afterResultSelector": prepared, // a Pass has no result of work: its effective input goes on
					"afterResultPath":     map[string]any{"order": map[string]any{"id": "o-1", "amount": 12.0}, "user": "u-7", "prepared": prepared},
				}}},
		{"mocked result", map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":1}`, "inspectionLevel": "DEBUG",
			"mock": map[string]any{"result": `{"charged":true,"id":"ch-1"}`}},
			map[string]any{"status": "SUCCEEDED", "output": map[string]any{"n": 1.0, "charge": map[string]any{"ok": true}},
				"inspectionData": map[string]any{
					"input":               map[string]any{"n": 1.0},
					"afterInputPath":      map[string]any{"n": 1.0},
					"afterParameters":     map[string]any{"n": 1.0},
					"result":              map[string]any{"charged": true, "id": "ch-1"},
					"afterResultSelector": map[string]any{"ok": true},
					"afterResultPath":     map[string]any{"n": 1.0, "charge": map[string]any{"ok": true}},
				}}},
		{"mocked error retried", map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":1}`,
			"mock": map[string]any{"errorOutput": map[string]any{"error": "Flaky.Outage", "cause": "try later"}}, "stateConfiguration": map[string]any{"retrierRetryCount": 1},
			"inspectionLevel": "DEBUG"},
			map[string]any{"status": "RETRIABLE", "error": "Flaky.Outage", "cause": "try later",
				"inspectionData": map[string]any{"input": map[string]any{"n": 1.0}, "afterInputPath": map[string]any{"n": 1.0}, "afterParameters": map[string]any{"n": 1.0},
					"errorDetails": map[string]any{"retryIndex": 0.0, "retryBackoffIntervalSeconds": 4.0}}}}, // 2 s × 2¹
		{"mocked error retried at INFO", map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":1}`,
			"mock": map[string]any{"errorOutput": map[string]any{"error": "Flaky.Outage", "cause": "try later"}}},
			map[string]any{"status": "RETRIABLE", "error": "Flaky.Outage", "cause": "try later"}},
		{"mocked error caught", map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":1}`, "inspectionLevel": "DEBUG",
			"mock": map[string]any{"errorOutput": map[string]any{"error": "Card.Declined", "cause": "no funds"}}},
			map[string]any{"status": "CAUGHT_ERROR", "nextState": "Declined", "error": "Card.Declined", "cause": "no funds",
				"output": map[string]any{"n": 1.0, "error": map[string]any{"Error": "Card.Declined", "Cause": "no funds"}},
				"inspectionData": map[string]any{"input": map[string]any{"n": 1.0}, "afterInputPath": map[string]any{"n": 1.0}, "afterParameters": map[string]any{"n": 1.0},
					"errorDetails": map[string]any{"catchIndex": 0.0}}}},
		{"mocked error unhandled", map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":1}`,
			"mock": map[string]any{"errorOutput": map[string]any{"error": "Other.Error", "cause": "boom"}}},
			map[string]any{"status": "FAILED", "error": "Other.Error", "cause": "boom"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := answerOf(t, testState(t, srv, c.req))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTestStateJSONValues: the JSON documents may be given as JSON values;
// the answer is the one for the same documents as JSON text.
func TestTestStateJSONValues(t *testing.T) {
	t.Parallel()
	srv := setupTestState(t, nil, nil)
	asText := testState(t, srv, map[string]any{"definition": checkoutDef, "stateName": "Charge", "input": `{"n":[1,2]}`,
		"inspectionLevel": "DEBUG", "mock": map[string]any{"result": `{"charged":false}`}})
	var def any
	if err := json.Unmarshal([]byte(checkoutDef), &def); err != nil {
		t.Fatal(err)
	}
	asValues := testState(t, srv, map[string]any{"definition": def, "stateName": "Charge", "input": map[string]any{"n": []int{1, 2}},
		"inspectionLevel": "DEBUG", "mock": map[string]any{"result": map[string]any{"charged": false}}})
	if diff := cmp.Diff(answerOf(t, asText), answerOf(t, asValues)); diff != "" {
		t.Errorf("answers differ (-as text +as values):\n%s", diff)
	}
	if got := answerOf(t, asValues)["output"]; !cmp.Equal(got, map[string]any{"n": []any{1.0, 2.0}, "charge": map[string]any{"ok": false}}) {
		t.Errorf("output %v", got)
	}
}

// TestTestStateHTTPTask: an unmocked HTTP Task makes its call with the
// engine's client (its connections and allow-list); at TRACE the answer
// shows the request and the response, with what the connection added
// redacted unless revealSecrets.
func TestTestStateHTTPTask(t *testing.T) {
	t.Parallel()
	const secret = "k-3f9a-secret"
	var mu sync.Mutex
	var keys []string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("X-Api-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(append([]byte(`{"received":`), body...), '}'))
	}))
	t.Cleanup(svc.Close)
	hc, err := httptask.New(httptask.Config{Connections: map[string]httptask.Connection{
		"shop": {APIKeyName: "X-Api-Key", APIKeyValue: secret, Endpoints: []string{"127.0.0.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := setupTestState(t, nil, hc)
	def := `{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"` + svc.URL + `/orders","Method":"POST",
		"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/shop/0b1c"},"RequestBody":{"n.$":"$.n"}},
		"ResultSelector":{"body.$":"$.ResponseBody","status.$":"$.StatusCode"},"End":true}`
	for _, c := range []struct {
		name   string
		reveal bool
	}{{"redacted", false}, {"revealed", true}} {
		t.Run(c.name, func(t *testing.T) {
			a := answerOf(t, testState(t, srv, map[string]any{"definition": def, "input": `{"n":5}`, "inspectionLevel": "TRACE", "revealSecrets": c.reveal}))
			if diff := cmp.Diff(map[string]any{"body": map[string]any{"received": map[string]any{"n": 5.0}}, "status": 200.0}, a["output"]); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			d, _ := a["inspectionData"].(map[string]any)
			req, _ := d["request"].(map[string]any)
			res, _ := d["response"].(map[string]any)
			if req["method"] != "POST" || req["url"] != svc.URL+"/orders" || !strings.Contains(req["body"].(string), `"n":5`) {
				t.Errorf("request %v", req)
			}
			if res["statusCode"] != "200" || !strings.Contains(res["body"].(string), `"received"`) {
				t.Errorf("response %v", res)
			}
			headers, _ := req["headers"].(string)
			if !strings.Contains(strings.ToLower(headers), "x-api-key") {
				t.Errorf("request headers %s lack the connection's X-Api-Key", headers)
			}
			if got := strings.Contains(headers, secret); got != c.reveal {
				t.Errorf("the key shown in the request headers: %v, want %v (%s)", got, c.reveal, headers)
			}
		})
	}
	mu.Lock()
	if len(keys) != 2 || keys[0] != secret || keys[1] != secret {
		t.Errorf("the service received the keys %q, want the connection's twice", keys)
	}
	mu.Unlock()

	// The engine's allow-list applies: a client that allows another host
	// makes no call.
	strict, err := httptask.New(httptask.Config{Allow: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	a := answerOf(t, testState(t, setupTestState(t, nil, strict), map[string]any{"definition": strings.Replace(def,
		`"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/shop/0b1c"},`, "", 1), "input": `{"n":5}`}))
	if a["status"] != "FAILED" || !strings.Contains(a["cause"].(string), "127.0.0.1") {
		t.Errorf("a call the allow-list refuses: %v", a)
	}
	mu.Lock()
	if len(keys) != 2 {
		t.Errorf("the service was called although the allow-list refuses it")
	}
	mu.Unlock()
}

// TestTestStateOpenAPI: the answers, an error's too, match the OpenAPI
// document, and so do the requests.
func TestTestStateOpenAPI(t *testing.T) {
	t.Parallel()
	srv := setupTestState(t, nil, nil)
	bodies := []string{
		`{"definition":"{\"Type\":\"Pass\",\"End\":true}","input":"{\"a\":1}","inspectionLevel":"DEBUG"}`,
		`{"definition":{"Type":"Pass","Next":"B"},"input":{"a":1},"variables":{"v":2}}`,
		`{"definition":"{\"Type\":\"Task\",\"Resource\":\"handler:x\",\"Retry\":[{\"ErrorEquals\":[\"E\"]}],\"End\":true}","mock":{"errorOutput":{"error":"E"}}}`,
		`{"definition":"{\"Type\":\"Nope\"}"}`,
		`{"definition":"{\"Type\":\"Pass\",\"End\":true}","input":"{"}`,
	}
	steps := make([]docStep, 0, len(bodies))
	for _, body := range bodies {
		steps = append(steps, docStep{http.MethodPost, "/v1/test-state", body, "application/json"})
	}
	checkAnswersAgainstDoc(t, srv, steps)
	doc := loadDoc(t)
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/test-state", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("POST /v1/test-state is not in the document: %v", err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("request %s does not match the document: %v", body, err)
		}
	}
}
