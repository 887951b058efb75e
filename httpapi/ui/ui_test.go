package ui_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/ui"
	"github.com/sfn-project/sfn/internal/testenv"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store/memory"
)

var screenshot = flag.Bool("screenshot", false, "write the console screenshot to docs/console.png")

// The console's files must stay small: no framework, no build step.
const budget = 200 * 1024

func TestAssetsFitTheBudget(t *testing.T) {
	t.Parallel()
	total := 0
	for _, name := range []string{"index.html", "app.js", "graph.js", "style.css"} {
		data, err := fsRead(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		total += len(data)
		if strings.Contains(string(data), "http://") || strings.Contains(string(data), "https://") {
			if name != "graph.js" || strings.Count(string(data), "http") != strings.Count(string(data), "http://www.w3.org/2000/svg") {
				t.Errorf("%s refers to another site; the console must be self-contained", name)
			}
		}
	}
	if total > budget {
		t.Fatalf("console is %d bytes, over the %d budget", total, budget)
	}
	t.Logf("console: %d bytes", total)
}

func fsRead(name string) ([]byte, error) {
	f, err := ui.Assets().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// server is a real engine and API with two handlers: "flaky" fails every
// other call, "declined" always fails.
func server(t *testing.T, tokens map[string]httpapi.Role) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), TimerPoll: 50 * time.Millisecond})
	var calls atomic.Int64
	engine.RegisterHandler("flaky", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		if calls.Add(1)%2 == 1 {
			return nil, &failure.Error{Name: "Flaky.Outage", Cause: "try again"}
		}
		return json.RawMessage(`{"charged":true}`), nil
	})
	engine.RegisterHandler("declined", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &failure.Error{Name: "Card.Declined", Cause: "insufficient funds"}
	})
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

func do(t *testing.T, srv *httptest.Server, method, path, body string, header ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data, res.Header
}

func TestServedUnderUI(t *testing.T) {
	t.Parallel()
	srv := server(t, map[string]httpapi.Role{"secret": httpapi.RoleReader})
	tests := []struct {
		path, wantType string
		status         int
	}{
		{"/ui/", "text/html", 200},
		{"/ui/app.js", "text/javascript", 200},
		{"/ui/graph.js", "text/javascript", 200},
		{"/ui/style.css", "text/css", 200},
		{"/ui/nothing.js", "", 404},
		{"/uix", "application/json", 404},
	}
	for _, tc := range tests {
		status, _, h := do(t, srv, http.MethodGet, tc.path, "")
		if status != tc.status || !strings.HasPrefix(h.Get("Content-Type"), tc.wantType) {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, status, h.Get("Content-Type"), tc.status, tc.wantType)
		}
		if status == 200 && !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: no Content-Security-Policy", tc.path)
		}
	}
	if status, _, h := do(t, srv, http.MethodGet, "/ui", ""); status != http.StatusMovedPermanently || h.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d to %q, want a redirect to /ui/", status, h.Get("Location"))
	}
	// The files are open; the data behind them is not.
	if status, _, _ := do(t, srv, http.MethodGet, "/v1/state-machines", ""); status != http.StatusUnauthorized {
		t.Errorf("GET /v1/state-machines without a token: %d, want 401", status)
	}
}

// payment ends FAILED after going through every colour but "running":
// Refuse fails and is caught, Declined passes, Charge fails once and is
// retried, Boom fails the execution; Unused is never reached.
const payment = `{"Comment":"A payment that is declined, retried and finally fails.","StartAt":"Refuse","States":{
  "Refuse":{"Type":"Task","Resource":"handler:declined","Catch":[{"ErrorEquals":["Card.Declined"],"ResultPath":"$.error","Next":"Declined"}],"End":true},
  "Declined":{"Type":"Pass","Next":"Split"},
  "Split":{"Type":"Parallel","Branches":[
    {"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"handler:flaky","Retry":[{"ErrorEquals":["Flaky.Outage"],"IntervalSeconds":1,"MaxAttempts":2}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Unused"}],"End":true},
                                    "Unused":{"Type":"Pass","End":true}}},
    {"StartAt":"Note","States":{"Note":{"Type":"Pass","End":true}}}],
   "Next":"Boom"},
  "Boom":{"Type":"Fail","Error":"Payment.Failed","Cause":"gave up"}}}`

// chromium finds the browser, or skips (fails under CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testenv.Missing(t, "chromium, for the browser test (apt-get install -y chromium)", "/usr/bin/chromium and /usr/bin/chromium-browser")
	return ""
}

// browse runs headless Chromium on url until the page settles; extra
// flags choose what it produces (--dump-dom on stdout, --screenshot=FILE).
func browse(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000", "--window-size=1280,900"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return string(out)
}

func TestConsoleInChromium(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	srv := server(t, nil)
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/payment", payment); status >= 300 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	status, body, _ := do(t, srv, http.MethodPost, "/v1/state-machines/payment/executions?wait=20s", `{"name":"order-42","input":{"orderId":"o-42","amount":31.5}}`)
	var ex struct{ ExecutionID, Status string }
	if err := json.Unmarshal(body, &ex); err != nil || status != 200 || ex.Status != "FAILED" {
		t.Fatalf("execution: %d %s", status, body)
	}
	_, body, _ = do(t, srv, http.MethodGet, "/v1/executions/"+ex.ExecutionID+"/history?limit=1000", "")
	var hist struct{ Events []struct{ Type string } }
	if err := json.Unmarshal(body, &hist); err != nil {
		t.Fatal(err)
	}

	dom := browse(t, bin, srv.URL+"/ui/#/exec/"+ex.ExecutionID, "--dump-dom")
	want := map[string]string{
		"Refuse": "st-caught", "Declined": "st-succeeded", "Split": "st-succeeded", "Charge": "st-retried",
		"Note": "st-succeeded", "Unused": "st-notreached", "Boom": "st-failed",
	}
	for state, class := range want {
		re := regexp.MustCompile(`<g class="([^"]*)"[^>]*data-state="` + regexp.QuoteMeta(state) + `"`)
		m := re.FindStringSubmatch(dom)
		switch {
		case m == nil:
			t.Errorf("graph node %s missing", state)
		case !strings.Contains(" "+m[1]+" ", " node-state ") || !strings.Contains(" "+m[1]+" ", " "+class+" "):
			t.Errorf("graph node %s has classes %q, want %s", state, m[1], class)
		}
	}
	rows := regexp.MustCompile(`<tr class="ev[^"]*" data-event-id="\d+" data-type="([A-Za-z]+)"`).FindAllStringSubmatch(dom, -1)
	if len(rows) != len(hist.Events) {
		t.Errorf("history table has %d rows, the history %d events", len(rows), len(hist.Events))
	}
	for i := range min(len(rows), len(hist.Events)) {
		if rows[i][1] != hist.Events[i].Type {
			t.Errorf("history row %d is %s, want %s", i+1, rows[i][1], hist.Events[i].Type)
		}
	}
	for _, s := range []string{"order-42", "Payment.Failed", "gave up", `class="badge b-failed"`} {
		if !strings.Contains(dom, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	// The list pages render too.
	home := browse(t, bin, srv.URL+"/ui/", "--dump-dom")
	for _, s := range []string{`href="#/sm/payment"`, `href="#/exec/` + ex.ExecutionID + `"`} {
		if !strings.Contains(home, s) {
			t.Errorf("home page lacks %s", s)
		}
	}

	shot := filepath.Join(t.TempDir(), "console.png")
	if *screenshot {
		shot = filepath.Join("..", "..", "docs", "console.png")
	}
	browse(t, bin, srv.URL+"/ui/#/exec/"+ex.ExecutionID, "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}

func TestConsoleAsksForAToken(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	srv := server(t, map[string]httpapi.Role{"secret": httpapi.RoleReader})
	dom := browse(t, bin, srv.URL+"/ui/", "--dump-dom")
	if !strings.Contains(dom, `name="token"`) || !strings.Contains(dom, "Access token") {
		t.Fatalf("without a token the console should ask for one:\n%s", dom)
	}
}

// fanOut is a distributed Map whose children wait, one at a time at first:
// its Map Run stays RUNNING with one child running and two pending.
const fanOut = `{"StartAt":"Fan","States":{"Fan":{"Type":"Map","Label":"Each","MaxConcurrency":1,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Hold",
  "States":{"Hold":{"Type":"Wait","Seconds":600,"End":true}}},"End":true}}}`

// untilJSON GETs path until ok accepts its answer: a Map Run's record and
// children are written in the background after the step that starts them.
func untilJSON(t *testing.T, srv *httptest.Server, path string, v any, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body, _ := do(t, srv, http.MethodGet, path, "")
		if status == http.StatusOK && json.Unmarshal(body, v) == nil && ok() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		time.Sleep(10 * time.Millisecond) // the writes have no notice to wait for
	}
}

// The console shows an execution's Map Runs with their counts, a Map Run
// with its children, and a child with a link to its parent and the
// processor it runs drawn.
func TestConsoleMapRunsInChromium(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	srv := server(t, nil)
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/fan", fanOut); status >= 300 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if status, body, _ := do(t, srv, http.MethodPost, "/v1/state-machines/fan/executions", `{"name":"n1","input":[1,2,3]}`); status != http.StatusAccepted {
		t.Fatalf("start: %d %s", status, body)
	}
	var runs struct{ MapRuns []struct{ ID string } }
	untilJSON(t, srv, "/v1/executions/fan:n1/map-runs", &runs, func() bool { return len(runs.MapRuns) == 1 })
	run := runs.MapRuns[0].ID
	var kids struct {
		Executions []struct{ ExecutionID string }
	}
	untilJSON(t, srv, "/v1/map-runs/"+run+"/executions", &kids, func() bool { return len(kids.Executions) == 1 })
	kid := kids.Executions[0].ExecutionID // fan/Each:<uuid>
	kidLink := `href="#/exec/` + strings.Replace(kid, "/", "%2F", 1) + `"`

	check := func(page string, wants ...string) {
		t.Helper()
		dom := browse(t, bin, srv.URL+"/ui/#/"+page, "--dump-dom")
		for _, w := range wants {
			if !strings.Contains(dom, w) {
				t.Errorf("%s lacks %s", page, w)
			}
		}
		if t.Failed() {
			t.Logf("DOM of %s:\n%s", page, dom)
		}
	}
	counts := []string{`data-count="running">1<`, `data-count="pending">2<`, `data-count="total">3<`}
	check("exec/fan:n1", append([]string{`data-map-run="` + run + `"`, `href="#/maprun/` + run + `"`, "Map Runs"}, counts...)...)
	check("maprun/"+run, append([]string{"Map Run ", "Each", `href="#/exec/fan:n1"`, kidLink, "Child executions"}, counts...)...)
	check("exec/"+strings.Replace(kid, "/", "%2F", 1), "Started by", `href="#/exec/fan:n1"`, `href="#/maprun/`+run+`"`,
		`data-state="Hold"`, "WaitStateEntered")
}

// TestConsoleShowsMockedExecution: an execution started with a test case
// of the mock configuration says so on its page, above everything else.
func TestConsoleShowsMockedExecution(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	mocks, err := mockconfig.Parse([]byte(`{"StateMachines":{"order":{"TestCases":{"Declined":{"Charge":"Declined"}}}},
		"MockedResponses":{"Declined":{"0":{"Throw":{"Error":"Payment.Declined","Cause":"insufficient funds"}}}}}`), "mocks.json")
	if err != nil {
		t.Fatal(err)
	}
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New(), Mocks: mocks})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine}))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/order",
		`{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"handler:charge","End":true}}}`); status >= 300 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	status, body, _ := do(t, srv, http.MethodPost, "/v1/state-machines/order/executions?wait=20s", `{"name":"o-1","testCase":"Declined"}`)
	if status != 200 || !strings.Contains(string(body), `"testCase":"Declined"`) {
		t.Fatalf("start: %d %s", status, body)
	}
	dom := browse(t, bin, srv.URL+"/ui/#/exec/order:o-1", "--dump-dom")
	if !regexp.MustCompile(`<p class="mocked">Mocked: test case <b>Declined</b>`).MatchString(dom) {
		t.Errorf("the page does not say the execution is mocked:\n%s", dom)
	}
	// A real execution's page does not.
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/plain", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`); status >= 300 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if status, body, _ := do(t, srv, http.MethodPost, "/v1/state-machines/plain/executions?wait=20s", `{"name":"p-1"}`); status != 200 {
		t.Fatalf("start: %d %s", status, body)
	}
	if dom := browse(t, bin, srv.URL+"/ui/#/exec/plain:p-1", "--dump-dom"); strings.Contains(dom, `class="mocked"`) || !strings.Contains(dom, "p-1") {
		t.Errorf("a real execution's page: mocked note present or page not drawn:\n%s", dom)
	}
}
