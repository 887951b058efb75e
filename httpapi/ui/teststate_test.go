package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

// checkout is the state machine whose states the console tests: a Pass
// with the data-flow fields, a Task with a Retrier, a Catcher and a
// ResultSelector, a Fail, a Pass inside a Parallel's branch, and an HTTP
// Task calling SERVICE.
const checkout = `{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","InputPath":"$.order","Parameters":{"id.$":"$.id","total.$":"$.amount"},"ResultPath":"$.prepared","Next":"Charge"},
  "Charge":{"Type":"Task","Resource":"handler:charge",
    "Retry":[{"ErrorEquals":["Flaky.Outage"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
    "Catch":[{"ErrorEquals":["Card.Declined"],"ResultPath":"$.error","Next":"Declined"}],
    "ResultSelector":{"ok.$":"$.charged"},"ResultPath":"$.charge","Next":"Split"},
  "Declined":{"Type":"Fail","Error":"Payment.Declined"},
  "Split":{"Type":"Parallel","Branches":[{"StartAt":"Note","States":{"Note":{"Type":"Pass","Result":"noted","End":true}}}],"Next":"Notify"},
  "Notify":{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"SERVICE/notify","Method":"POST","RequestBody":{"order.$":"$.id"}},"End":true}}}`

// testCase is one test the harness makes through the panel's form.
type testCase struct {
	Name      string `json:"name"`
	State     string `json:"state"`
	Input     string `json:"input"`
	Level     string `json:"level,omitempty"`
	Mock      string `json:"mock,omitempty"` // "", "result" or "error"
	Result    string `json:"result,omitempty"`
	Error     string `json:"error,omitempty"`
	Cause     string `json:"cause,omitempty"`
	Retries   int    `json:"retries,omitempty"`
	Variables string `json:"variables,omitempty"`
}

// harnessJS fills the panel's form for each case, submits it, and keeps a
// copy of the answer shown, in <section id="harness"> for the DOM dump.
const harnessJS = `'use strict';
(async () => {
  const out = document.createElement('section');
  out.id = 'harness';
  document.body.appendChild(out);
  const pause = () => new Promise((r) => setTimeout(r, 20));
  async function until(f) {
    for (let i = 0; i < 500; i++) { const v = f(); if (v) return v; await pause(); }
    throw new Error('timed out');
  }
  try {
    const form = await until(() => document.querySelector('#test-state form'));
    const box = document.querySelector('#test-state .test-result');
    const el = form.elements;
    for (const c of CASES) {
      el.state.value = c.state;
      el.input.value = c.input;
      el.inspectionLevel.value = c.level || 'DEBUG';
      el.variables.value = c.variables || '';
      el.mock.value = c.mock || '';
      el.mock.dispatchEvent(new Event('change'));
      el.mockResult.value = c.result || '';
      el.mockError.value = c.error || '';
      el.mockCause.value = c.cause || '';
      el.retrierRetryCount.value = String(c.retries || 0);
      form.querySelector('button[type=submit]').click();
      await until(() => box.dataset.status);
      const copy = document.createElement('div');
      copy.setAttribute('data-case', c.name);
      copy.setAttribute('data-shown-status', box.dataset.status);
      copy.appendChild(box.cloneNode(true));
      out.appendChild(copy);
    }
    out.setAttribute('data-done', 'yes');
  } catch (err) {
    out.setAttribute('data-failed', String(err));
  }
})();
`

// harness serves the console as the API does, plus harness.html (the
// console's index.html with harness.js after app.js) and harness.js.
func harness(t *testing.T, cases []testCase) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Stop) // after the listener closes (cleanups run last first)
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	return withHarness(t, httpapi.New(httpapi.Config{Engine: engine}), "const CASES = "+string(data)+";\n"+harnessJS)
}

// withHarness serves api behind a real listener, with /ui/harness.html
// (the console's index.html running script after app.js) and
// /ui/harness.js.
func withHarness(t *testing.T, api http.Handler, script string) *httptest.Server {
	t.Helper()
	index, err := fsRead("index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := bytes.Replace(index, []byte("</body>"), []byte(`<script src="harness.js"></script>`+"\n</body>"), 1)
	if bytes.Equal(page, index) {
		t.Fatal("index.html has no </body> to put the harness before")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/harness.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /ui/harness.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(w, script)
	})
	mux.Handle("/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestConsoleTestsAState drives the "Test a state" panel of a state
// machine's page in Chromium: each case fills the form and submits it, and
// the answer shown (status, next state, error, output, the data-flow
// stages, the Retrier's or Catcher's details, a refusal) is checked.
func TestConsoleTestsAState(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	cases := []struct {
		testCase
		want    []string // in the case's copy of the answer
		notWant []string
	}{
		{testCase{Name: "pass", State: "Prepare", Input: `{"order":{"id":"o-1","amount":12}}`},
			[]string{`data-shown-status="SUCCEEDED"`, `class="badge b-succeeded"`, `<b class="next-state">Charge</b>`,
				`data-stage="input"`, `data-stage="afterInputPath"`, `data-stage="afterParameters"`, `data-stage="afterResultPath"`,
				`"total": 12`, `"prepared": {`},
			[]string{`class="exec-error`}},
		{testCase{Name: "info", State: "Prepare", Input: `{"order":{"id":"o-2","amount":1}}`, Level: "INFO"},
			[]string{`data-shown-status="SUCCEEDED"`, `"id": "o-2"`},
			[]string{`data-stage=`}},
		{testCase{Name: "mocked", State: "Charge", Input: `{"n":1}`, Mock: "result", Result: `{"charged":true}`},
			[]string{`data-shown-status="SUCCEEDED"`, `<b class="next-state">Split</b>`, `data-stage="result"`,
				`data-stage="afterResultSelector"`, `"ok": true`, `"charge": {`}, nil},
		{testCase{Name: "caught", State: "Charge", Input: `{"n":1}`, Mock: "error", Error: "Card.Declined", Cause: "insufficient funds"},
			[]string{`data-shown-status="CAUGHT_ERROR"`, `class="badge b-caught_error"`, `<b class="next-state">Declined</b>`,
				`<b class="test-error">Card.Declined</b>`, `<span class="test-cause">insufficient funds</span>`, "<b>catcher</b> #0"}, nil},
		{testCase{Name: "retried", State: "Charge", Input: `{"n":1}`, Mock: "error", Error: "Flaky.Outage", Retries: 1},
			[]string{`data-shown-status="RETRIABLE"`, `class="badge b-retriable"`, "<b>retrier</b> #0", "<b>next retry after</b> 4 s"}, nil},
		{testCase{Name: "nested", State: "Note", Input: `{}`},
			[]string{`data-shown-status="SUCCEEDED"`, `"noted"`}, nil},
		{testCase{Name: "http", State: "Notify", Input: `{"id":"o-9"}`, Level: "TRACE"},
			[]string{`data-shown-status="SUCCEEDED"`, `data-http="request"`, `data-http="response"`, "<p>POST SERVICE/notify HTTP/1.1</p>",
				"<p>HTTP/1.1 200 OK</p>", `"order": "o-9"`, `"notified": true`}, nil},
		{testCase{Name: "refused", State: "Prepare", Input: `{"order":`},
			[]string{`data-shown-status="refused"`, `class="exec-error test-refused"`, "input"}, nil},
	}
	var all []testCase
	for _, c := range cases {
		all = append(all, c.testCase)
	}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"notified":true}`)
	}))
	t.Cleanup(svc.Close)
	for i := range cases {
		for j, w := range cases[i].want {
			cases[i].want[j] = strings.ReplaceAll(w, "SERVICE", svc.URL)
		}
	}
	srv := harness(t, all)
	def := strings.ReplaceAll(checkout, "SERVICE", svc.URL)
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/checkout", def); status >= 300 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	dom := browse(t, bin, srv.URL+"/ui/harness.html#/sm/checkout", "--dump-dom")
	if !strings.Contains(dom, `data-done="yes"`) {
		t.Fatalf("the harness did not finish:\n%s", dom)
	}
	// The panel lists every state, nested ones too.
	for _, s := range []string{"Prepare", "Charge", "Declined", "Split", "Note", "Notify"} {
		if !strings.Contains(dom, `<option value="`+s+`"`) {
			t.Errorf("the state list lacks %s", s)
		}
	}
	// Each copy runs from its data-case to the next one's.
	copies := map[string]string{}
	_, shown, _ := strings.Cut(dom, `id="harness"`)
	for _, part := range strings.Split(shown, `<div data-case="`)[1:] {
		name, rest, _ := strings.Cut(part, `"`)
		copies[name] = rest
	}
	for _, c := range cases {
		got, ok := copies[c.Name]
		if !ok {
			t.Errorf("%s: no answer shown", c.Name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the answer shown lacks %s", c.Name, w)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%s: the answer shown has %s", c.Name, w)
			}
		}
		if t.Failed() {
			t.Logf("%s:\n%s", c.Name, got)
		}
	}
}
