package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// setupWith starts an engine on st behind a real listener with cfg (its
// Engine is filled in).
func setupWith(t *testing.T, st store.Store, cfg httpapi.Config) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Engine = engine
	srv := httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	return srv
}

// Any token is an HTTP method; as a label value each would be a series of
// its own, kept forever.
func TestMetricsMethodLabelsAreClosed(t *testing.T) {
	srv := setup(t, nil)
	for i := range 200 {
		call(t, srv, fmt.Sprintf("M%04dX", i), "/healthz", nil)
	}
	call(t, srv, http.MethodGet, "/healthz", nil)
	m := call(t, srv, http.MethodGet, "/metrics", nil)
	text := string(m.body)
	if strings.Contains(text, `method="M0`) {
		t.Fatalf("/metrics holds an invented method as a label value")
	}
	if !strings.Contains(text, `method="other"`) || !strings.Contains(text, `method="GET"`) {
		t.Fatalf("/metrics lacks method=\"other\" or method=\"GET\":\n%s", grepLines(text, "sfn_http_requests_total"))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// hostCall makes one request with the given Host header.
func hostCall(t *testing.T, srv *httptest.Server, host string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/state-machines", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// A name rebound to sfn's address carries the attacker's name in Host.
func TestHostCheck(t *testing.T) {
	open := setupWith(t, testStore(t), httpapi.Config{AllowedHosts: []string{"sfn.example.com", "*.corp.example"}})
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:8080", 200},
		{"[::1]:8080", 200},
		{"10.1.2.3", 200},
		{"localhost:8080", 200},
		{"LocalHost.:8080", 200},
		{"console.localhost", 200},
		{"sync-localhost:8080", 200},
		{"sync-127.0.0.1:8080", 200},
		{"sfn.example.com", 200},
		{"sync-sfn.example.com:443", 200},
		{"a.corp.example", 200},
		{"evil.example:8080", 403},
		{"sfn.example.com.evil.example", 403},
		{"corp.example", 403},
		{"sync-evil.example", 403},
	} {
		r := hostCall(t, open, tc.host)
		if r.status != tc.want {
			t.Errorf("Host %q: %d %s, want %d", tc.host, r.status, r.body, tc.want)
		}
		if tc.want == 403 {
			wantError(t, r, 403, "Forbidden")
		}
	}

	// An open API with no names configured still refuses unknown names.
	bare := setupWith(t, testStore(t), httpapi.Config{})
	if r := hostCall(t, bare, "rebound.example"); r.status != 403 {
		t.Errorf("open API, no names: Host rebound.example: %d, want 403", r.status)
	}
	// With tokens and no names configured, any Host is answered (a rebound
	// page has no token).
	guarded := setupWith(t, testStore(t), httpapi.Config{AuthTokens: map[string]httpapi.Role{"tok": httpapi.RoleAdmin}})
	if r := hostCall(t, guarded, "anything.example", "Authorization", "Bearer tok"); r.status != 200 {
		t.Errorf("with tokens: Host anything.example: %d %s, want 200", r.status, r.body)
	}
	if err := httpapi.CheckConfig(httpapi.Config{AllowedHosts: []string{"a.*.example"}}); err == nil ||
		!strings.Contains(err.Error(), "a.*.example") {
		t.Errorf("CheckConfig(a.*.example) = %v, want an error naming it", err)
	}
	if err := httpapi.CheckConfig(httpapi.Config{TrustedOrigins: []string{"not an origin"}}); err == nil {
		t.Errorf("CheckConfig(trusted origin 'not an origin') accepted it")
	}
}

// A page of another origin may not write; programs without browser headers
// keep the content sniffing of the contract.
func TestBrowserWrites(t *testing.T) {
	srv := setupWith(t, testStore(t), httpapi.Config{TrustedOrigins: []string{"https://console.example.com"}})
	put(t, srv, "b", passChain)
	start := "/v1/state-machines/b/executions"
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		header []string
		want   int
	}{
		{"foreign Origin", "POST", start, `{}`, []string{"Content-Type", "application/json", "Origin", "http://evil.example"}, 403},
		{"cross-site fetch", "POST", start, `{}`, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site"}, 403},
		{"same-site other port", "POST", start, `{}`, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-site"}, 403},
		{"foreign Origin, no content type", "POST", start, `{}`, []string{"Origin", "http://evil.example"}, 403},
		{"same origin, text/plain", "POST", start, `{}`, []string{"Content-Type", "text/plain", "Sec-Fetch-Site", "same-origin"}, 415},
		{"same origin, no content type", "POST", start, `{}`, []string{"Sec-Fetch-Site", "same-origin"}, 415},
		{"same origin, JSON", "POST", start, `{}`, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-origin"}, 202},
		{"trusted origin, JSON", "POST", start, `{}`, []string{"Content-Type", "application/json", "Origin", "https://console.example.com"}, 202},
		{"foreign Origin, GET", "GET", "/v1/state-machines", "", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 200},
		{"program, no content type", "PUT", "/v1/state-machines/sniffed", passChain, nil, 201},
		{"program, JSON", "POST", start, `{}`, []string{"Content-Type", "application/json"}, 202},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := call(t, srv, tc.method, tc.path, body, tc.header...)
		if r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
			continue
		}
		if tc.want >= 400 {
			wantError(t, r, tc.want, map[int]string{403: "Forbidden", 415: "UnsupportedMediaType"}[tc.want])
		}
	}
}

// rawRequest writes head (and no body) on a fresh connection and returns
// the answer read within limit, or an error when none came.
func rawRequest(t *testing.T, srv *httptest.Server, head string, limit time.Duration) (*http.Response, error) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(limit))
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	_, _ = io.ReadAll(res.Body)
	return res, nil
}

// A request that is refused is answered before its body arrives (Go's
// server would otherwise read the body first), and a trickled body is cut
// off at the body deadline.
func TestBodiesDoNotHoldAnswers(t *testing.T) {
	srv := setupWith(t, testStore(t), httpapi.Config{AuthTokens: map[string]httpapi.Role{"tok": httpapi.RoleAdmin},
		BodyTimeout: 300 * time.Millisecond})
	head := "POST /v1/state-machines/x/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
		"Content-Length: 100000\r\n"

	res, err := rawRequest(t, srv, head+"\r\n{", 10*time.Second)
	if err != nil {
		t.Fatalf("unauthorized request with a body still to come: no answer: %v", err)
	}
	if res.StatusCode != 401 || !res.Close {
		t.Fatalf("unauthorized request: %d close=%v, want 401 and the connection closed", res.StatusCode, res.Close)
	}

	began := time.Now()
	res, err = rawRequest(t, srv, head+"Authorization: Bearer tok\r\n\r\n{", 10*time.Second)
	if err != nil {
		t.Fatalf("authorized request whose body never comes: no answer within 10 s: %v", err)
	}
	if res.StatusCode != 400 || !res.Close {
		t.Fatalf("trickled body: %d close=%v, want 400 and the connection closed", res.StatusCode, res.Close)
	}
	t.Logf("trickled body answered after %v (body deadline 300ms)", time.Since(began))

	// Unknown routes and methods answer at once too.
	for _, h := range []string{
		"POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{",
		"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{",
	} {
		res, err := rawRequest(t, srv, h, 10*time.Second)
		if err != nil || res.StatusCode < 400 || !res.Close {
			t.Fatalf("%q: %v %v, want an error answer that closes the connection", strings.SplitN(h, "\r", 2)[0], res, err)
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	srv := setup(t, map[string]httpapi.Role{"tok": httpapi.RoleReader})
	for _, h := range []string{"Bearer tok", "bearer tok", "BEARER tok", "Bearer  tok"} {
		if r := call(t, srv, http.MethodGet, "/v1/state-machines", nil, "Authorization", h); r.status != 200 {
			t.Errorf("Authorization %q: %d %s, want 200", h, r.status, r.body)
		}
	}
	for _, h := range []string{"Basic tok", "Bearertok", "Bearer", "tok"} {
		wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines", nil, "Authorization", h), 401, "Unauthorized")
	}
}

func TestStateMachineCursors(t *testing.T) {
	srv := setup(t, nil)
	put(t, srv, "c1", passChain)
	put(t, srv, "c2", passChain)
	page := call(t, srv, http.MethodGet, "/v1/state-machines?limit=1", nil).json(t)
	next, _ := page["nextCursor"].(string)
	if next == "" {
		t.Fatalf("no nextCursor: %v", page)
	}
	if r := call(t, srv, http.MethodGet, "/v1/state-machines?limit=1&cursor="+next, nil); r.status != 200 {
		t.Fatalf("a cursor handed out: %d %s", r.status, r.body)
	}
	for _, c := range []string{"garbage", "%25%25", "AAAA", "YQ==", "YQ"[:1]} {
		wantError(t, call(t, srv, http.MethodGet, "/v1/state-machines?cursor="+c, nil), 400, "InvalidInput")
	}
}

func TestUnknownConsoleFilesAnswerJSON(t *testing.T) {
	srv := setup(t, nil)
	for _, p := range []string{"/ui/", "/ui/index.html", "/ui/app.js"} {
		if r := call(t, srv, http.MethodGet, p, nil); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	for _, p := range []string{"/ui/nope.js", "/ui/a/b/c", "/ui/..%2f..%2fetc/passwd"} {
		wantError(t, call(t, srv, http.MethodGet, p, nil), 404, "NotFound")
	}
}

// slowReads makes GetExecution, once armed, wait for its caller's deadline
// and then fail with a network timeout, as a Redis read does when the
// deadline passes while it is on the wire (the error is no context error).
type slowReads struct {
	store.Store
	armed atomic.Bool
}

var errIOTimeout = errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout")

func (s *slowReads) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	if s.armed.Load() {
		<-ctx.Done()
		return nil, errIOTimeout
	}
	return s.Store.GetExecution(ctx, id)
}

// A ?wait= that runs out answers 202 with what is known, whatever error
// the read racing the deadline ended with.
func TestWaitThatRunsOutAnswers202(t *testing.T) {
	st := &slowReads{Store: testStore(t)}
	srv := setupWith(t, st, httpapi.Config{})
	put(t, srv, "w", waitDef)
	st.armed.Store(true)
	r := call(t, srv, http.MethodPost, "/v1/state-machines/w/executions?wait=300ms", map[string]any{"input": map[string]any{}})
	if r.status != http.StatusAccepted {
		t.Fatalf("wait ran out: %d %s, want 202", r.status, r.body)
	}
	if m := r.json(t); m["status"] != "RUNNING" {
		t.Fatalf("wait ran out: %s, want status RUNNING", r.body)
	}
}

// JSON nested past the data limit is bad input wherever it enters: 400
// naming the limit, never 500.
func TestDeepJSONIsBadInput(t *testing.T) {
	srv := setup(t, nil)
	put(t, srv, "p", passChain)
	put(t, srv, "act", activityDef)
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, n := range []int{513, 10000} {
		r := call(t, srv, http.MethodPost, "/v1/state-machines/p/executions", `{"input":`+deep(n)+`}`, "Content-Type", "application/json")
		wantError(t, r, 400, "InvalidInput")
		if !strings.Contains(string(r.body), "512") {
			t.Errorf("input nested %d deep: %s, want the limit (512) named", n, r.body)
		}
	}
	if r := call(t, srv, http.MethodPost, "/v1/state-machines/p/executions", `{"input":`+deep(500)+`}`, "Content-Type", "application/json"); r.status != 202 {
		t.Errorf("input nested 500 deep: %d %s, want 202", r.status, r.body)
	}
	// A task answer nested too deep.
	call(t, srv, http.MethodPost, "/v1/state-machines/act/executions", map[string]any{"input": map[string]any{}})
	poll := call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=5s", map[string]any{"workerName": "w"}).json(t)
	token, _ := poll["taskToken"].(string)
	if token == "" {
		t.Fatalf("no task polled: %v", poll)
	}
	r := call(t, srv, http.MethodPost, "/v1/tasks/success", `{"taskToken":"`+token+`","output":`+deep(600)+`}`, "Content-Type", "application/json")
	wantError(t, r, 400, "InvalidInput")
	// A definition nested too deep is a validation problem with its place.
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":` + deep(600) + `,"End":true}}}`
	wantError(t, call(t, srv, http.MethodPut, "/v1/state-machines/deep", def, "Content-Type", "application/json"), 400, "ValidationError")
}
