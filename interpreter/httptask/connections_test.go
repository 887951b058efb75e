package httptask

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// TestConnectionEndpoints: a connection is used only for its endpoints; a
// call elsewhere fails with States.Http.Socket naming the connection, and
// nothing reaches the other server (not even a TCP connection), no DNS
// lookup is made and no OAuth token is fetched.
func TestConnectionEndpoints(t *testing.T) {
	t.Parallel()
	allowed, calls := recorder(t)
	other, otherConns := countingServer(t, func(w http.ResponseWriter, _ *http.Request) {})
	var tokenCalls atomic.Int64
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		tokenCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok","expires_in":3600}`)
	}))
	t.Cleanup(tokenSrv.Close)
	aport := strconv.Itoa(allowed.Listener.Addr().(*net.TCPAddr).Port)
	only := []string{"http://127.0.0.1:" + aport}
	c := newClient(t, Config{Connections: map[string]Connection{
		"crm":   {APIKeyName: "X-Api-Key", APIKeyValue: "key-secret", Endpoints: only},
		"oa":    {OAuth: &OAuth{TokenURL: tokenSrv.URL, ClientID: "c", ClientSecret: "s"}, Endpoints: only},
		"names": {BearerToken: "b", Endpoints: []string{"api.example.test", "*.partner.test"}},
	}})
	for _, tc := range []struct {
		name, conn, url string
		ok              bool
	}{
		{name: "the endpoint", conn: "crm", url: allowed.URL + "/x", ok: true},
		{name: "another port of the same host", conn: "crm", url: other.URL + "/steal"},
		{name: "another scheme", conn: "crm", url: "https://127.0.0.1:" + aport + "/"},
		{name: "another host, never resolved", conn: "crm", url: "http://attacker.invalid:" + aport + "/"},
		{name: "the same server by another name", conn: "crm", url: "http://localhost:" + aport + "/"},
		{name: "OAuth: no token fetched for a refused call", conn: "oa", url: other.URL},
		{name: "OAuth: the endpoint", conn: "oa", url: allowed.URL, ok: true},
		{name: "a name pattern does not match an address", conn: "names", url: other.URL},
		{name: "a wildcard does not match the bare domain", conn: "names", url: "http://partner.test/"},
		{name: "by ARN", conn: "arn:aws:events:us-east-1:1:connection/crm/0a1b", url: other.URL},
	} {
		before := len(calls())
		p := value.ObjectOf("ApiEndpoint", tc.url, "Method", "POST", "RequestBody", value.ObjectOf("a", 1),
			"Authentication", value.ObjectOf("ConnectionArn", tc.conn))
		_, ferr := c.Invoke(context.Background(), Request{Parameters: p, IdempotencyKey: "e/1"})
		if tc.ok {
			if ferr != nil || len(calls()) != before+1 {
				t.Errorf("%s: %v, want the call made", tc.name, ferr)
			}
			continue
		}
		name := connectionName(tc.conn)
		if ferr == nil || ferr.Name != HTTPSocket || !strings.Contains(ferr.Cause, `connection "`+name+`" may not be used`) ||
			!strings.Contains(ferr.Cause, "nothing was sent") {
			t.Errorf("%s: %v, want %s naming the connection %q", tc.name, ferr, HTTPSocket, name)
		}
		if ferr != nil && strings.Contains(ferr.Cause, "secret") {
			t.Errorf("%s: the cause %q holds a secret", tc.name, ferr.Cause)
		}
	}
	if n := otherConns.Load(); n != 0 {
		t.Errorf("the other server accepted %d connections, want none", n)
	}
	if n := tokenCalls.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (for the allowed call only)", n)
	}
	// Without a connection, the same destination is allowed (the
	// operator's --http-allow policy decides).
	if _, ferr := c.Invoke(context.Background(), Request{Parameters: value.ObjectOf("ApiEndpoint", other.URL, "Method", "GET")}); ferr != nil {
		t.Errorf("a call without a connection: %v", ferr)
	}
}

func TestEndpointMatching(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"*", []string{"http://anything.example/", "https://10.0.0.1:8443/"}, nil},
		{"api.example.com",
			[]string{"https://api.example.com/v1", "http://api.example.com:8080/", "https://API.Example.com./"},
			[]string{"https://api.example.com.evil.test/", "https://evil.test/api.example.com", "https://x.api.example.com/", "https://example.com/"}},
		{"*.example.com",
			[]string{"https://a.example.com/", "https://a.b.example.com/"},
			[]string{"https://example.com/", "https://aexample.com/", "https://a.example.com.evil.test/"}},
		{"https://api.example.com",
			[]string{"https://api.example.com/", "https://api.example.com:8443/"},
			[]string{"http://api.example.com/"}},
		{"api.example.com:8443",
			[]string{"https://api.example.com:8443/", "http://api.example.com:8443/"},
			[]string{"https://api.example.com/", "https://api.example.com:443/"}},
		{"https://api.example.com:443",
			[]string{"https://api.example.com/", "https://api.example.com:443/"},
			[]string{"https://api.example.com:8443/", "http://api.example.com:443/"}},
		{"http://api.example.com:80", []string{"http://api.example.com/"}, []string{"https://api.example.com:80/"}},
		{"10.20.0.0/16",
			[]string{"http://10.20.3.4/", "https://10.20.0.1:9000/", "http://[::ffff:10.20.1.1]/"},
			[]string{"http://10.21.0.1/", "http://internal.example/"}},
		{"https://10.20.0.0/16", []string{"https://10.20.3.4/"}, []string{"http://10.20.3.4/"}},
		{"192.0.2.7", []string{"http://192.0.2.7:81/"}, []string{"http://192.0.2.8/"}},
		{"192.0.2.7:81", []string{"http://192.0.2.7:81/"}, []string{"http://192.0.2.7/"}},
		{"2001:db8::1", []string{"http://[2001:db8::1]/"}, []string{"http://[2001:db8::2]/"}},
		{"[2001:db8::1]", []string{"http://[2001:db8::1]:8080/"}, nil},
		{"https://[2001:db8::1]:8443", []string{"https://[2001:db8::1]:8443/"}, []string{"https://[2001:db8::1]/"}},
		{"2001:db8::/32", []string{"http://[2001:db8:1::5]/"}, []string{"http://[2001:db9::1]/"}},
	} {
		e, err := parseEndpoint(tc.pattern)
		if err != nil {
			t.Errorf("%q: %v", tc.pattern, err)
			continue
		}
		for _, list := range []struct {
			urls []string
			want bool
		}{{tc.match, true}, {tc.nomatch, false}} {
			for _, s := range list.urls {
				u, err := url.Parse(s)
				if err != nil {
					t.Fatal(err)
				}
				if got := e.matches(u); got != list.want {
					t.Errorf("%q matches %s: %v, want %v", tc.pattern, s, got, list.want)
				}
			}
		}
	}
}

func TestParseEndpointErrors(t *testing.T) {
	t.Parallel()
	for pattern, want := range map[string]string{
		"":                              "no host",
		"https://":                      "no host",
		"ftp://files.example.com":       `the scheme "ftp" is not http or https`,
		"https://api.example.com/v1":    "a path, query or fragment is not allowed",
		"api.example.com/":              "a path, query or fragment is not allowed",
		"api.example.com?x=1":           "a path, query or fragment is not allowed",
		"api.example.com:0":             `the port "0" is not a number from 1 to 65535`,
		"api.example.com:99999":         `the port "99999"`,
		"api.example.com:https":         `the port "https"`,
		"api.example.com:":              `the port ""`,
		"api*.example.com":              "a wildcard is allowed only as a whole first label",
		"*example.com":                  "a wildcard is allowed only as a whole first label",
		"*.*.example.com":               "a wildcard is allowed only as a whole first label",
		"*.":                            "a wildcard is allowed only as a whole first label",
		"api..example.com":              "empty label",
		"api example.com":               `the character ' '`,
		"user@api.example.com":          `the character '@'`,
		"[2001:db8::1":                  "want host or host:port",
		"10.0.0.0/8:443":                "a path, query or fragment is not allowed",
		"https://api.example.com:8443:": "want host or host:port",
	} {
		_, err := parseEndpoint(pattern)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseEndpoint(%q) = %v, want an error with %q", pattern, err, want)
		}
	}
}

func TestParseConnections(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CRM_KEY": "s3cr3t-key", "LEGACY_PW": "s3cr3t-pw", "PAY": "s3cr3t-bearer", "OA": "s3cr3t-oauth"}
	getenv := func(name string) string { return env[name] }
	good := `{
		"crm":     {"apiKeyName": "X-Api-Key", "apiKeyValue": "$CRM_KEY", "endpoints": ["api.crm.example"]},
		"legacy":  {"username": "sfn", "password": "env:LEGACY_PW", "endpoints": ["10.20.0.0/16", "https://legacy.internal:8443"]},
		"payments":{"bearerToken": "env:PAY", "endpoints": ["*"]},
		"plain":   {"bearerToken": "s3cr3t-literal", "endpoints": ["*.plain.example"]},
		"partner": {"oauth": {"tokenUrl": "https://auth.partner.example/token", "clientId": "sfn", "clientSecret": "$OA", "scope": "orders"},
		            "endpoints": ["https://api.partner.example"]}
	}`
	got, err := ParseConnections([]byte(good), getenv)
	if err != nil {
		t.Fatalf("ParseConnections: %v", err)
	}
	want := map[string]Connection{
		"crm":      {APIKeyName: "X-Api-Key", APIKeyValue: "s3cr3t-key", Endpoints: []string{"api.crm.example"}},
		"legacy":   {Username: "sfn", Password: "s3cr3t-pw", Endpoints: []string{"10.20.0.0/16", "https://legacy.internal:8443"}},
		"payments": {BearerToken: "s3cr3t-bearer", Endpoints: []string{"*"}},
		"plain":    {BearerToken: "s3cr3t-literal", Endpoints: []string{"*.plain.example"}},
		"partner": {OAuth: &OAuth{TokenURL: "https://auth.partner.example/token", ClientID: "sfn", ClientSecret: "s3cr3t-oauth", Scope: "orders"},
			Endpoints: []string{"https://api.partner.example"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"payments"}, UnrestrictedConnections(got)); diff != "" {
		t.Errorf("UnrestrictedConnections (-want +got):\n%s", diff)
	}
	if _, err := New(Config{Connections: got}); err != nil {
		t.Errorf("New with the parsed connections: %v", err)
	}
	if got, err := ParseConnections([]byte(`{}`), getenv); err != nil || len(got) != 0 {
		t.Errorf("an empty file: %v %v, want no connections", got, err)
	}

	const ep = `"endpoints": ["api.example.com"]`
	for _, tc := range []struct {
		name, json string
		want       []string // every one must be in the error
	}{
		{"not an object", `[]`, []string{"want a JSON object of connection name"}},
		{"null", `null`, []string{"want a JSON object of connection name"}},
		{"not JSON", `{"crm": `, []string{"want a JSON object of connection name"}},
		{"two values", `{} {}`, []string{"unexpected data after the JSON value"}},
		{"connection not an object", `{"crm": "s3cr3t"}`, []string{`connection "crm"`}},
		{"unknown field", `{"crm": {"apiKey": "X", "apiKeyValue": "s3cr3t", ` + ep + `}}`, []string{`connection "crm": unknown field "apiKey"`}},
		{"unknown oauth field", `{"p": {"oauth": {"tokenUrl": "https://a.example/t", "clientId": "c", "clientSecret": "s3cr3t", "scopes": "x"}, ` + ep + `}}`,
			[]string{`connection "p": unknown field "scopes"`}},
		{"endpoints not an array", `{"crm": {"bearerToken": "s3cr3t", "endpoints": "api.example.com"}}`,
			[]string{`connection "crm": endpoints: want an array of strings, not a JSON string`}},
		{"a secret not a string", `{"crm": {"bearerToken": 12, ` + ep + `}}`, []string{`connection "crm": bearerToken: want a string, not a JSON number`}},
		{"no endpoints", `{"crm": {"bearerToken": "s3cr3t"}}`, []string{`connection "crm": no "endpoints"`, `"endpoints": ["*"]`}},
		{"empty endpoints", `{"crm": {"bearerToken": "s3cr3t", "endpoints": []}}`, []string{`connection "crm": no "endpoints"`}},
		{"bad endpoint", `{"crm": {"bearerToken": "s3cr3t", "endpoints": ["api.example.com", "https://api.example.com/v1"]}}`,
			[]string{`connection "crm": endpoints[1] "https://api.example.com/v1": a path`}},
		{"unset variable", `{"crm": {"apiKeyName": "X-Api-Key", "apiKeyValue": "$NOPE", ` + ep + `}}`,
			[]string{`connection "crm": apiKeyValue: the environment variable NOPE is empty or not set`}},
		{"unset variable, env: form", `{"p": {"oauth": {"tokenUrl": "https://a.example/t", "clientId": "c", "clientSecret": "env:NOPE"}, ` + ep + `}}`,
			[]string{`connection "p": oauth.clientSecret: the environment variable NOPE is empty or not set`}},
		{"empty variable name", `{"crm": {"bearerToken": "env:", ` + ep + `}}`, []string{`connection "crm": bearerToken: names no environment variable`}},
		{"no credentials", `{"crm": {` + ep + `}}`, []string{`connection "crm": no credentials`}},
		{"two kinds", `{"crm": {"bearerToken": "s3cr3t", "username": "u", "password": "s3cr3t", ` + ep + `}}`,
			[]string{`connection "crm": more than one kind of credentials (username/password, bearerToken)`}},
		{"key without value", `{"crm": {"apiKeyName": "X-Api-Key", ` + ep + `}}`, []string{`connection "crm": apiKeyName without apiKeyValue`}},
		{"value without key", `{"crm": {"apiKeyValue": "s3cr3t", ` + ep + `}}`, []string{`connection "crm": apiKeyValue without apiKeyName`}},
		{"bad key name", `{"crm": {"apiKeyName": "X Api Key", "apiKeyValue": "s3cr3t", ` + ep + `}}`, []string{`apiKeyName "X Api Key" is not a valid header name`}},
		{"key name sfn sets", `{"crm": {"apiKeyName": "Idempotency-Key", "apiKeyValue": "s3cr3t", ` + ep + `}}`,
			[]string{`apiKeyName "Idempotency-Key" is a header that sfn sets itself`}},
		{"password without username", `{"crm": {"password": "s3cr3t", ` + ep + `}}`, []string{`connection "crm": password without username`}},
		{"colon in username", `{"crm": {"username": "a:b", "password": "s3cr3t", ` + ep + `}}`, []string{`connection "crm": username: Basic authentication does not allow a colon`}},
		{"oauth incomplete", `{"p": {"oauth": {"tokenUrl": "ftp://a.example/t", "clientSecret": ""}, ` + ep + `}}`,
			[]string{`connection "p": oauth.tokenUrl "ftp://a.example/t" is not an http or https URL`, `oauth.clientId is missing`, `oauth.clientSecret is missing`}},
		{"every connection's problems", `{"b": {"bearerToken": "s3cr3t"}, "a": {"bearerToken": "s3cr3t", "endpoints": ["ftp://x"]}}`,
			[]string{`connection "a": endpoints[0] "ftp://x"`, `connection "b": no "endpoints"`}},
		{"empty name", `{"": {"bearerToken": "s3cr3t", ` + ep + `}}`, []string{`the connection's name is empty`}},
	} {
		_, err := ParseConnections([]byte(tc.json), getenv)
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q in it", tc.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error holds a secret: %v", tc.name, err)
		}
	}
}

// TestNewChecksConnections: connections built in Go get the same checks
// as the file, so that an embedding program cannot forget the endpoints.
func TestNewChecksConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		conns map[string]Connection
		want  string
	}{
		{map[string]Connection{"pay": {BearerToken: "b"}}, `connection "pay": no "endpoints"`},
		{map[string]Connection{"pay": {BearerToken: "b", Endpoints: []string{"https://pay.example/v1"}}}, `connection "pay": endpoints[0]`},
		{map[string]Connection{"pay": {Endpoints: []string{"*"}}}, `connection "pay": no credentials`},
	} {
		c, err := New(Config{Connections: tc.conns})
		if c != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", tc.conns, err, tc.want)
		}
	}
}

// TestUnknownConnectionIsNotAnEndpointRefusal keeps the two failures apart:
// an unknown connection is a definition error (States.Runtime), as before.
func TestUnknownConnectionIsNotAnEndpointRefusal(t *testing.T) {
	t.Parallel()
	c := newClient(t, Config{Connections: map[string]Connection{"crm": {BearerToken: "b", Endpoints: []string{"*"}}}})
	p := value.ObjectOf("ApiEndpoint", "http://127.0.0.1:1/", "Method", "GET", "Authentication", value.ObjectOf("ConnectionArn", "nope"))
	if _, ferr := c.Invoke(context.Background(), Request{Parameters: p}); ferr == nil || ferr.Name != failure.Runtime {
		t.Errorf("unknown connection: %v, want States.Runtime", ferr)
	}
}
