package httptask

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// seen is one request as the test server received it.
type seen struct {
	Method, Path, RawQuery, Body string
	Query                        url.Values
	Header                       http.Header
}

// recorder is a loopback server that records requests and answers 200 {}.
func recorder(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Body: string(b), Header: r.Header.Clone()})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func params(t *testing.T, js string) value.Value {
	t.Helper()
	v, err := value.Decode([]byte(js))
	if err != nil {
		t.Fatalf("parameters %s: %v", js, err)
	}
	return v
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestBuilding(t *testing.T) {
	t.Parallel()
	srv, _ := recorder(t)
	for _, tc := range []struct {
		name       string
		params     string // {{URL}} is the server
		method     string
		query      url.Values
		rawQuery   string // checked when set
		body       string
		ctype      string
		header     map[string]string
		formValues url.Values // the body parsed as a form, when set
	}{
		{name: "GET without body", params: `{"ApiEndpoint":"{{URL}}/p","Method":"GET"}`, method: "GET", query: url.Values{}},
		{name: "method is case-insensitive", params: `{"ApiEndpoint":"{{URL}}/p","Method":"delete"}`, method: "DELETE", query: url.Values{}},
		{name: "a body on GET is not sent", params: `{"ApiEndpoint":"{{URL}}/p","Method":"GET","RequestBody":{"a":1}}`, method: "GET", query: url.Values{}},
		{name: "JSON body", params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"a":1,"b":[true,null],"c":{"d":"é"}}}`,
			method: "POST", query: url.Values{}, body: `{"a":1,"b":[true,null],"c":{"d":"é"}}`, ctype: "application/json; charset=UTF-8"},
		{name: "JSON array body on PUT", params: `{"ApiEndpoint":"{{URL}}/p","Method":"PUT","RequestBody":[1,2]}`,
			method: "PUT", query: url.Values{}, body: `[1,2]`, ctype: "application/json; charset=UTF-8"},
		{name: "string body", params: `{"ApiEndpoint":"{{URL}}/p","Method":"PATCH","RequestBody":"plain text"}`,
			method: "PATCH", query: url.Values{}, body: "plain text", ctype: "text/plain; charset=UTF-8"},
		{name: "Content-Type from Headers wins", params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":"<a/>","Headers":{"Content-Type":"application/xml"}}`,
			method: "POST", query: url.Values{}, body: "<a/>", ctype: "application/xml"},
		{name: "headers, numbers as text",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"GET","Headers":{"X-Custom":"abc","X-Number":12,"User-Agent":"mine/1"}}`,
			method: "GET", query: url.Values{}, header: map[string]string{"X-Custom": "abc", "X-Number": "12", "User-Agent": "mine/1"}},
		{name: "query parameters, arrays repeat the key, merged with the URL's own",
			params: `{"ApiEndpoint":"{{URL}}/p?fixed=1","Method":"GET","QueryParameters":{"q":"a b&c","ids":["x","y"],"n":5,"flag":true}}`,
			method: "GET", query: url.Values{"fixed": {"1"}, "q": {"a b&c"}, "ids": {"x", "y"}, "n": {"5"}, "flag": {"true"}}},
		{name: "URL_ENCODED, default ArrayFormat INDICES",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"array":["a","b"],"s":"x y","o":{"k":"v"}},"Transform":{"RequestBodyEncoding":"URL_ENCODED"}}`,
			method: "POST", query: url.Values{}, ctype: "application/x-www-form-urlencoded",
			formValues: url.Values{"array[0]": {"a"}, "array[1]": {"b"}, "s": {"x y"}, "o[k]": {"v"}}},
		{name: "URL_ENCODED, BRACKETS",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"array":["a","b","c"]},"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"BRACKETS"}}}`,
			method: "POST", query: url.Values{}, ctype: "application/x-www-form-urlencoded", body: "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c",
			formValues: url.Values{"array[]": {"a", "b", "c"}}},
		{name: "URL_ENCODED, REPEAT",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"array":["a","b","c"]},"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"REPEAT"}}}`,
			method: "POST", query: url.Values{}, ctype: "application/x-www-form-urlencoded", body: "array=a&array=b&array=c",
			formValues: url.Values{"array": {"a", "b", "c"}}},
		{name: "URL_ENCODED, COMMAS",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"array":["a","b","c"]},"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"COMMAS"}}}`,
			method: "POST", query: url.Values{}, ctype: "application/x-www-form-urlencoded",
			formValues: url.Values{"array": {"a,b,c"}}},
		{name: "URL_ENCODED, INDICES",
			params: `{"ApiEndpoint":"{{URL}}/p","Method":"POST","RequestBody":{"array":["a","b"]},"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"INDICES"}}}`,
			method: "POST", query: url.Values{}, ctype: "application/x-www-form-urlencoded", body: "array%5B0%5D=a&array%5B1%5D=b",
			formValues: url.Values{"array[0]": {"a"}, "array[1]": {"b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Body: string(b), Header: r.Header.Clone()}
			}))
			defer srv.Close()
			c := newClient(t, Config{})
			_, ferr := c.Invoke(context.Background(), Request{Parameters: params(t, strings.ReplaceAll(tc.params, "{{URL}}", srv.URL)), IdempotencyKey: "sm:e/3"})
			if ferr != nil {
				t.Fatalf("Invoke: %v", ferr)
			}
			if got.Method != tc.method || got.Path != "/p" {
				t.Errorf("request %s %s, want %s /p", got.Method, got.Path, tc.method)
			}
			if diff := cmp.Diff(tc.query, got.Query); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if tc.formValues != nil {
				form, err := url.ParseQuery(got.Body)
				if err != nil {
					t.Fatalf("form body %q: %v", got.Body, err)
				}
				if diff := cmp.Diff(tc.formValues, form); diff != "" {
					t.Errorf("form body %q (-want +got):\n%s", got.Body, diff)
				}
			}
			if tc.body != "" && got.Body != tc.body {
				t.Errorf("body %q, want %q", got.Body, tc.body)
			}
			if tc.body == "" && tc.formValues == nil && got.Body != "" {
				t.Errorf("body %q, want none", got.Body)
			}
			if ct := got.Header.Get("Content-Type"); ct != tc.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			for k, v := range tc.header {
				if got.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, got.Header.Get(k), v)
				}
			}
		})
	}
	_ = srv
}

func TestBadParametersAreRuntimeErrors(t *testing.T) {
	t.Parallel()
	srv, calls := recorder(t)
	c := newClient(t, Config{})
	for name, p := range map[string]string{
		"not an object":         `"x"`,
		"no endpoint":           `{"Method":"GET"}`,
		"no method":             `{"ApiEndpoint":"{{URL}}"}`,
		"unknown method":        `{"ApiEndpoint":"{{URL}}","Method":"TRACE"}`,
		"not http":              `{"ApiEndpoint":"ftp://example.com/x","Method":"GET"}`,
		"headers not an object": `{"ApiEndpoint":"{{URL}}","Method":"GET","Headers":[1]}`,
		"query not an object":   `{"ApiEndpoint":"{{URL}}","Method":"GET","QueryParameters":"a=b"}`,
		"form body not object":  `{"ApiEndpoint":"{{URL}}","Method":"POST","RequestBody":"a=b","Transform":{"RequestBodyEncoding":"URL_ENCODED"}}`,
		"unknown connection":    `{"ApiEndpoint":"{{URL}}","Method":"GET","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:1:connection/nope/1"}}`,
		"authentication no arn": `{"ApiEndpoint":"{{URL}}","Method":"GET","Authentication":{}}`,
	} {
		_, ferr := c.Invoke(context.Background(), Request{Parameters: params(t, strings.ReplaceAll(p, "{{URL}}", srv.URL))})
		if ferr == nil || ferr.Name != failure.Runtime || ferr.Cause == "" {
			t.Errorf("%s: %v, want States.Runtime with a cause", name, ferr)
		}
	}
	if n := len(calls()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// awsForbidden is AWS's documented list of headers an HTTP Task may not
// set (Call HTTPS APIs, "Headers"), plus the prefixes it names.
var awsForbidden = []string{"A-IM", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Cache-Control", "Connection",
	"Content-Encoding", "Content-MD5", "Date", "Expect", "Forwarded", "From", "Host", "HTTP2-Settings", "If-Match",
	"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Origin", "Pragma",
	"Proxy-Authorization", "Referer", "Server", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Via", "Warning",
	"X-Forwarded-For", "x-amz-date", "X-Amzn-Trace-Id"}

func TestForbiddenHeaders(t *testing.T) {
	t.Parallel()
	srv, calls := recorder(t)
	c := newClient(t, Config{})
	// Authorization (credentials come from connections) and the headers sfn
	// sets itself are refused too.
	for _, h := range append(awsForbidden, "Authorization", "idempotency-key", "Traceparent", "cache-control") {
		p := value.ObjectOf("ApiEndpoint", srv.URL, "Method", "GET", "Headers", value.ObjectOf(h, "x"))
		_, ferr := c.Invoke(context.Background(), Request{Parameters: p})
		if ferr == nil || ferr.Name != failure.Runtime || !strings.Contains(ferr.Cause, h) {
			t.Errorf("header %s: %v, want States.Runtime naming it", h, ferr)
		}
	}
	if n := len(calls()); n != 0 {
		t.Errorf("%d requests with forbidden headers were sent", n)
	}
	for _, h := range []string{"User-Agent", "Accept", "Content-Type", "X-Custom", "X-Amzfoo", "Range"} {
		p := value.ObjectOf("ApiEndpoint", srv.URL, "Method", "GET", "Headers", value.ObjectOf(h, "x"))
		if _, ferr := c.Invoke(context.Background(), Request{Parameters: p}); ferr != nil {
			t.Errorf("header %s refused: %v", h, ferr)
		}
	}
}

func TestResultShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		want              string // ResponseBody as JSON
	}{
		{name: "JSON parsed", ctype: "application/json", body: `{"a":[1,2.50,"x"]}`, status: 200, want: `{"a":[1,2.50,"x"]}`},
		{name: "JSON with charset and +json", ctype: "application/problem+json; charset=utf-8", body: `[true]`, status: 201, want: `[true]`},
		{name: "text kept as string", ctype: "text/plain", body: `{"looks":"like json"}`, status: 200, want: `"{\"looks\":\"like json\"}"`},
		{name: "invalid JSON kept as string", ctype: "application/json", body: `{nope`, status: 200, want: `"{nope"`},
		{name: "empty body", ctype: "application/json", body: ``, status: 204, want: `""`},
		{name: "HTML as string", ctype: "text/html", body: `<p>hi</p>`, status: 200, want: `"<p>hi</p>"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.Header().Add("X-Multi", "one")
				w.Header().Add("X-Multi", "two")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			out, ferr := newClient(t, Config{}).Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", srv.URL, "Method", "GET")})
			if ferr != nil {
				t.Fatal(ferr)
			}
			o := out.(*value.Object)
			var keys []string
			for _, m := range o.Members() {
				keys = append(keys, m.Key)
			}
			if diff := cmp.Diff([]string{"Headers", "ResponseBody", "StatusCode", "StatusText"}, keys); diff != "" {
				t.Errorf("result keys (-want +got):\n%s", diff)
			}
			body, _ := o.Get("ResponseBody")
			if got := value.MarshalString(body); got != tc.want {
				t.Errorf("ResponseBody %s, want %s", got, tc.want)
			}
			code, _ := o.Get("StatusCode")
			if value.MarshalString(code) != json.Number(itoa(tc.status)).String() {
				t.Errorf("StatusCode %s, want %d", value.MarshalString(code), tc.status)
			}
			text, _ := o.Get("StatusText")
			if text != http.StatusText(tc.status) {
				t.Errorf("StatusText %v, want %q", text, http.StatusText(tc.status))
			}
			h, _ := o.Get("Headers")
			multi, _ := h.(*value.Object).Get("x-multi")
			if value.MarshalString(multi) != `["one","two"]` {
				t.Errorf("Headers.x-multi %s; headers are lower-case names with arrays of values", value.MarshalString(multi))
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := map[string]int{"/404": 404, "/500": 500, "/503": 503, "/429": 429, "/418": 418}[r.URL.Path]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"secret-ish":"body not kept"}`)
	}))
	defer srv.Close()
	c := newClient(t, Config{})
	for path, want := range map[string]failure.Error{
		"/404": {Name: "States.Http.StatusCode.404", Cause: "Not Found"},
		"/500": {Name: "States.Http.StatusCode.500", Cause: "Internal Server Error"},
		"/503": {Name: "States.Http.StatusCode.503", Cause: "Service Unavailable"},
		"/429": {Name: "States.Http.StatusCode.429", Cause: "Too Many Requests"},
		"/418": {Name: "States.Http.StatusCode.418", Cause: "I'm a teapot"},
	} {
		out, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", srv.URL+path, "Method", "GET")})
		if out != nil || ferr == nil || ferr.Name != want.Name || ferr.Cause != want.Cause {
			t.Errorf("%s: %v %v, want %s %q", path, out, ferr, want.Name, want.Cause)
		}
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	// A server that answers with something that is not HTTP.
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	go func() {
		for {
			conn, err := garbage.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Read(make([]byte, 4096)) // the request
			_, _ = io.WriteString(conn, "SMTP ready\r\n\r\n")
			conn.Close()
		}
	}()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Repeat("x", MaxResponse+1))
	}))
	defer big.Close()
	exact := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Repeat("x", MaxResponse))
	}))
	defer exact.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()

	c := newClient(t, Config{})
	for _, tc := range []struct {
		name, url, errName, causeHas string
		timeout                      time.Duration
	}{
		{name: "connection refused", url: closed, errName: failure.TaskFailed, causeHas: "connection refused"},
		{name: "not HTTP", url: "http://" + garbage.Addr().String(), errName: failure.TaskFailed, causeHas: "malformed HTTP"},
		{name: "response over 256 KiB", url: big.URL, errName: failure.TaskFailed, causeHas: "larger than 262144 bytes"},
		{name: "deadline", url: slow.URL, errName: failure.Timeout, causeHas: "in time", timeout: 100 * time.Millisecond},
	} {
		ctx := context.Background()
		if tc.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tc.timeout)
			defer cancel()
		}
		_, ferr := c.Invoke(ctx, Request{Parameters: value.ObjectOf("ApiEndpoint", tc.url, "Method", "GET")})
		if ferr == nil || ferr.Name != tc.errName || !strings.Contains(ferr.Cause, tc.causeHas) {
			t.Errorf("%s: %v, want %s with %q in the cause", tc.name, ferr, tc.errName, tc.causeHas)
		}
	}
	if _, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", exact.URL, "Method", "GET")}); ferr != nil {
		t.Errorf("a response of exactly 256 KiB: %v", ferr)
	}
}

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

func TestIdempotencyKeyAndTraceparent(t *testing.T) {
	t.Parallel()
	srv, calls := recorder(t)
	c := newClient(t, Config{})
	for _, key := range []string{"sm:run/3", "sm:run/7", "sm:other/3", "sm:run/3"} {
		if _, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", srv.URL, "Method", "POST"), IdempotencyKey: key}); ferr != nil {
			t.Fatal(ferr)
		}
	}
	got := calls()
	var traces, spans []string
	for i, want := range []string{"sm:run/3", "sm:run/7", "sm:other/3", "sm:run/3"} {
		if k := got[i].Header.Get("Idempotency-Key"); k != want {
			t.Errorf("call %d Idempotency-Key %q, want %q", i, k, want)
		}
		m := traceparentRE.FindStringSubmatch(got[i].Header.Get("Traceparent"))
		if m == nil || m[1] == strings.Repeat("0", 32) || m[2] == strings.Repeat("0", 16) {
			t.Fatalf("call %d traceparent %q is not a valid W3C traceparent", i, got[i].Header.Get("Traceparent"))
		}
		traces, spans = append(traces, m[1]), append(spans, m[2])
	}
	if traces[0] != traces[1] || traces[0] == traces[2] {
		t.Errorf("trace ids %v: one trace per execution", traces)
	}
	if spans[0] == spans[1] || spans[0] != spans[3] || traces[0] != traces[3] {
		t.Errorf("span ids %v: one per attempt, the same when an attempt is replayed", spans)
	}
}

func TestDestinationPolicy(t *testing.T) {
	t.Parallel()
	srv, _ := recorder(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	local := func(host string) string { return "http://" + net.JoinHostPort(host, itoa(port)) + "/" }
	// Redirects to a denied place.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	rport := redirect.Listener.Addr().(*net.TCPAddr).Port
	via := func(to string) string {
		return "http://" + net.JoinHostPort("localhost", itoa(rport)) + "/?to=" + url.QueryEscape(to)
	}

	for _, tc := range []struct {
		name  string
		cfg   Config
		url   string
		allow bool
	}{
		{name: "default allows loopback", url: local("127.0.0.1"), allow: true},
		{name: "default allows localhost", url: local("localhost"), allow: true},
		{name: "default refuses the metadata address", url: "http://169.254.169.254/latest/meta-data/", allow: false},
		{name: "default refuses link-local", url: "http://169.254.1.2/", allow: false},
		{name: "default refuses the IPv6 metadata address", url: "http://[fd00:ec2::254]/", allow: false},
		{name: "an allow-list does not open the metadata address", cfg: Config{Allow: []string{"169.254.0.0/16"}}, url: "http://169.254.169.254/", allow: false},
		{name: "allowed name", cfg: Config{Allow: []string{"localhost"}}, url: local("localhost"), allow: true},
		{name: "allowed wildcard does not match the bare name", cfg: Config{Allow: []string{"*.localhost"}}, url: local("localhost"), allow: false},
		{name: "name not in the list", cfg: Config{Allow: []string{"example.com"}}, url: local("localhost"), allow: false},
		{name: "IP literal not in the name list", cfg: Config{Allow: []string{"localhost"}}, url: local("127.0.0.1"), allow: false},
		{name: "CIDR allows the resolved address", cfg: Config{Allow: []string{"127.0.0.0/8"}}, url: local("localhost"), allow: true},
		{name: "CIDR allows the literal", cfg: Config{Allow: []string{"127.0.0.1"}}, url: local("127.0.0.1"), allow: true},
		{name: "CIDR refuses other addresses", cfg: Config{Allow: []string{"10.0.0.0/8"}}, url: local("localhost"), allow: false},
		{name: "names and CIDRs: neither matches", cfg: Config{Allow: []string{"example.com", "10.0.0.0/8"}}, url: local("localhost"), allow: false},
		{name: "names and CIDRs: the name matches", cfg: Config{Allow: []string{"localhost", "10.0.0.0/8"}}, url: local("localhost"), allow: true},
		{name: "denied name", cfg: Config{Deny: []string{"localhost"}}, url: local("localhost"), allow: false},
		{name: "a denied name's addresses are denied too", cfg: Config{Deny: []string{"localhost"}}, url: local("127.0.0.1"), allow: false},
		{name: "denied CIDR reached by name", cfg: Config{Deny: []string{"127.0.0.0/8"}}, url: local("localhost"), allow: false},
		{name: "redirect to the metadata address", url: via("http://169.254.169.254/latest/"), allow: false},
		{name: "redirect to a destination outside the list", cfg: Config{Allow: []string{"localhost"}}, url: via(local("127.0.0.1")), allow: false},
		{name: "redirect to a destination in the list", cfg: Config{Allow: []string{"localhost"}}, url: via(local("localhost")), allow: true},
		{name: "redirect inside the list", url: via(local("localhost")), allow: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, tc.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, ferr := c.Invoke(ctx, Request{Parameters: value.ObjectOf("ApiEndpoint", tc.url, "Method", "GET")})
			if tc.allow && ferr != nil {
				t.Errorf("refused: %v", ferr)
			}
			if !tc.allow && (ferr == nil || ferr.Name != failure.TaskFailed || !strings.Contains(ferr.Cause, "not")) {
				t.Errorf("got %v, want States.TaskFailed saying the destination is not allowed", ferr)
			}
		})
	}
}

// TestPolicyAfterResolution: a name the operator allowed, or any name by
// default, that resolves to the metadata address is still refused when
// the connection is made.
func TestPolicyAfterResolution(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{}, {Allow: []string{"metadata.example"}}} {
		c := newClient(t, cfg)
		for _, addr := range []string{"169.254.169.254:80", "[fd00:ec2::254]:80", "[::ffff:169.254.169.254]:80"} {
			if err := c.control(addr, true); err == nil {
				t.Errorf("%v: a name resolving to %s was let through", cfg.Allow, addr)
			}
		}
		if err := c.control("127.0.0.1:80", true); err != nil {
			t.Errorf("%v: loopback by an allowed name: %v", cfg.Allow, err)
		}
	}
}

// TestMetadataRefusedByDefault: the cloud metadata endpoints of every
// provider that documents one are refused without --http-allow and even
// when an allow-list covers them, by address (also in IPv4-mapped and
// NAT64 form) and by name, without a DNS lookup.
func TestMetadataRefusedByDefault(t *testing.T) {
	t.Parallel()
	hosts := []string{
		"169.254.169.254",      // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack…
		"169.254.170.2",        // AWS ECS task credentials
		"169.254.170.23",       // AWS EKS Pod Identity Agent
		"169.254.0.23",         // Tencent Cloud
		"100.100.100.200",      // Alibaba Cloud
		"168.63.129.16",        // Azure WireServer
		"192.0.0.192",          // Oracle Cloud Classic
		"[fd00:ec2::254]",      // AWS (IPv6)
		"[fd00:ec2::23]",       // AWS EKS Pod Identity Agent (IPv6)
		"[fd20:ce::254]",       // Google Cloud (IPv6)
		"[fd00:c1::a9fe:a9fe]", // Oracle Cloud Infrastructure (IPv6)
		"[fd00:a9fe:a9fe::1]",  // Akamai/Linode (IPv6)
		"[fd00:42::42]",        // Scaleway (IPv6)
		"[fe80::a9fe:a9fe]",    // OpenStack (IPv6 link-local)
		"[::ffff:100.100.100.200]",
		"[::ffff:168.63.129.16]",
		"[64:ff9b::a9fe:a9fe]", // NAT64 forms of 169.254.169.254
		"[64:ff9b::6464:64c8]", // and 100.100.100.200
		"metadata.google.internal",
		"METADATA.google.internal.",
		"metadata.goog",
		"metadata.tencentyun.com",
		"api.metadata.cloud.ibm.com",
		"instance-data.ec2.internal",
	}
	wide := Config{Allow: []string{"0.0.0.0/0", "::/0", "100.64.0.0/10", "168.63.0.0/16", "192.0.0.0/24", "fd00::/8",
		"metadata.google.internal", "*.internal"}}
	for _, cfg := range []Config{{}, wide} {
		c := newClient(t, cfg)
		for _, h := range hosts {
			for _, u := range []string{"http://" + h + "/latest/meta-data/", "https://" + h + ":8443/"} {
				_, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", u, "Method", "GET")})
				if ferr == nil || ferr.Name != failure.TaskFailed || !strings.Contains(ferr.Cause, "is not allowed") {
					t.Errorf("allow %v: %s: %v, want States.TaskFailed saying it is not allowed", cfg.Allow, u, ferr)
				}
			}
		}
		// The same addresses reached through a name that resolves to them.
		for _, h := range hosts {
			if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
				if err := c.control(net.JoinHostPort(ip.String(), "80"), true); err == nil {
					t.Errorf("allow %v: a name resolving to %s was let through", cfg.Allow, ip)
				}
			}
		}
	}
	// Neighbours of the refused addresses stay reachable.
	c := newClient(t, Config{})
	for _, addr := range []string{"100.100.100.201", "168.63.129.17", "192.0.0.193", "fd00:ec2::255", "64:ff9b::808:808", "::ffff:8.8.8.8"} {
		if err := c.control(net.JoinHostPort(addr, "80"), true); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	var tokenCalls atomic.Int64
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, _ := r.BasicAuth()
		if r.Form.Get("grant_type") != "client_credentials" || id != "client" || secret != "oauth-secret" || r.Form.Get("scope") != "read" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tokenCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok-`+itoa(int(tokenCalls.Load()))+`","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokenSrv.Close()
	srv, calls := recorder(t)
	loopback := []string{"127.0.0.1"}
	c := newClient(t, Config{Connections: map[string]Connection{
		"key":    {APIKeyName: "X-Api-Key", APIKeyValue: "key-secret", Endpoints: loopback},
		"basic":  {Username: "ada", Password: "basic-secret", Endpoints: loopback},
		"bearer": {BearerToken: "bearer-secret", Endpoints: loopback},
		"oauth":  {OAuth: &OAuth{TokenURL: tokenSrv.URL, ClientID: "client", ClientSecret: "oauth-secret", Scope: "read"}, Endpoints: loopback},
		"badoa":  {OAuth: &OAuth{TokenURL: tokenSrv.URL, ClientID: "client", ClientSecret: "wrong"}, Endpoints: loopback},
	}})
	for _, tc := range []struct{ arn, header, want string }{
		{"arn:aws:events:us-east-1:123456789012:connection/key/5a7c0d1e", "X-Api-Key", "key-secret"},
		{"key", "X-Api-Key", "key-secret"},
		{"basic", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:basic-secret"))},
		{"connection/bearer", "Authorization", "Bearer bearer-secret"},
		{"oauth", "Authorization", "Bearer tok-1"},
		{"oauth", "Authorization", "Bearer tok-1"}, // cached
	} {
		p := params(t, `{"ApiEndpoint":"`+srv.URL+`","Method":"GET","Authentication":{"ConnectionArn":"`+tc.arn+`"}}`)
		if _, ferr := c.Invoke(context.Background(), Request{Parameters: p}); ferr != nil {
			t.Fatalf("%s: %v", tc.arn, ferr)
		}
		got := calls()
		if h := got[len(got)-1].Header.Get(tc.header); h != tc.want {
			t.Errorf("%s: %s %q, want %q", tc.arn, tc.header, h, tc.want)
		}
	}
	if n := tokenCalls.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (cached)", n)
	}
	p := params(t, `{"ApiEndpoint":"`+srv.URL+`","Method":"GET","Authentication":{"ConnectionArn":"badoa"}}`)
	_, ferr := c.Invoke(context.Background(), Request{Parameters: p})
	if ferr == nil || ferr.Name != failure.TaskFailed || strings.Contains(ferr.Cause, "wrong") {
		t.Errorf("a refused token request: %v, want States.TaskFailed without the secret", ferr)
	}
}
