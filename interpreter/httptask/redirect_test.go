package httptask

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// hopServers are two loopback servers, A and B, that redirect along a
// chain of hops given in the query (next=<base URL>,<base URL>…) and
// record the headers of the request that ends the chain, by call id.
type hopServers struct {
	a, b *httptest.Server
	mu   sync.Mutex
	last map[string]finalHop // by id
}

type finalHop struct {
	server string
	header http.Header
}

func newHopServers(t *testing.T) *hopServers {
	t.Helper()
	h := &hopServers{last: map[string]finalHop{}}
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			q := r.URL.Query()
			if next := q.Get("next"); next != "" {
				hops := strings.Split(next, ",")
				v := url.Values{"id": {q.Get("id")}}
				if len(hops) > 1 {
					v.Set("next", strings.Join(hops[1:], ","))
				}
				http.Redirect(w, r, hops[0]+"/?"+v.Encode(), http.StatusFound)
				return
			}
			h.mu.Lock()
			h.last[q.Get("id")] = finalHop{server: name, header: r.Header.Clone()}
			h.mu.Unlock()
		}
	}
	h.a = httptest.NewServer(handler("A"))
	t.Cleanup(h.a.Close)
	h.b = httptest.NewServer(handler("B"))
	t.Cleanup(h.b.Close)
	return h
}

func (h *hopServers) final(id string) (finalHop, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.last[id]
	return f, ok
}

// TestCredentialsStayOnTheirOrigin: a connection's credentials (API key,
// Basic, Bearer, OAuth token) go with a redirect to the same origin, and
// never to another one: not to another port of the same host (net/http
// forwards Authorization there), not to another name of the same server,
// and not back to the origin after a detour. Headers of the task itself
// still follow.
func TestCredentialsStayOnTheirOrigin(t *testing.T) {
	t.Parallel()
	h := newHopServers(t)
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"oauth-token","expires_in":3600}`)
	}))
	t.Cleanup(tokenSrv.Close)
	loopback := []string{"127.0.0.1", "localhost"}
	c := newClient(t, Config{Connections: map[string]Connection{
		"key":    {APIKeyName: "X-Api-Key", APIKeyValue: "key-secret", Endpoints: loopback},
		"basic":  {Username: "ada", Password: "basic-secret", Endpoints: loopback},
		"bearer": {BearerToken: "bearer-secret", Endpoints: loopback},
		"oauth":  {OAuth: &OAuth{TokenURL: tokenSrv.URL, ClientID: "c", ClientSecret: "oauth-secret"}, Endpoints: loopback},
	}})
	aByName := "http://" + net.JoinHostPort("localhost", strconv.Itoa(h.a.Listener.Addr().(*net.TCPAddr).Port))
	kinds := []struct{ conn, header, value string }{
		{"key", "X-Api-Key", "key-secret"},
		{"basic", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:basic-secret"))},
		{"bearer", "Authorization", "Bearer bearer-secret"},
		{"oauth", "Authorization", "Bearer oauth-token"},
	}
	var id atomic.Int64
	for _, tc := range []struct {
		name   string
		hops   []string // redirect targets after the first request to A
		method string
		server string // the one that answers in the end
		kept   bool
	}{
		{name: "no redirect", server: "A", kept: true},
		{name: "same origin", hops: []string{h.a.URL}, server: "A", kept: true},
		{name: "same origin twice, POST", hops: []string{h.a.URL, h.a.URL}, method: "POST", server: "A", kept: true},
		{name: "another port of the same host", hops: []string{h.b.URL}, server: "B", kept: false},
		{name: "another port, POST", hops: []string{h.b.URL}, method: "POST", server: "B", kept: false},
		{name: "another name of the same server", hops: []string{aByName}, server: "A", kept: false},
		{name: "away and back to the origin", hops: []string{h.b.URL, h.a.URL}, server: "A", kept: false},
		{name: "same origin, then away", hops: []string{h.a.URL, h.b.URL}, server: "B", kept: false},
	} {
		for _, k := range kinds {
			t.Run(tc.name+"/"+k.conn, func(t *testing.T) {
				t.Parallel()
				callID := strconv.FormatInt(id.Add(1), 10)
				q := url.Values{"id": {callID}}
				if len(tc.hops) > 0 {
					q.Set("next", strings.Join(tc.hops, ","))
				}
				method := tc.method
				if method == "" {
					method = "GET"
				}
				p := value.ObjectOf("ApiEndpoint", h.a.URL+"/?"+q.Encode(), "Method", method,
					"Headers", value.ObjectOf("X-Tenant", "t1"),
					"Authentication", value.ObjectOf("ConnectionArn", k.conn))
				if _, ferr := c.Invoke(context.Background(), Request{Parameters: p, IdempotencyKey: "e/" + callID}); ferr != nil {
					t.Fatalf("Invoke: %v", ferr)
				}
				got, ok := h.final(callID)
				if !ok || got.server != tc.server {
					t.Fatalf("the chain ended on %q (%v), want %s", got.server, ok, tc.server)
				}
				want := ""
				if tc.kept {
					want = k.value
				}
				if v := got.header.Get(k.header); v != want {
					t.Errorf("%s at the end of the chain: %q, want %q", k.header, v, want)
				}
				if v := got.header.Get("X-Tenant"); v != "t1" {
					t.Errorf("the task's own header X-Tenant: %q, want it kept on every hop", v)
				}
			})
		}
	}
}

// TestOAuthSecretStaysOnTheTokenOrigin: when the token endpoint redirects
// to another origin, the client secret (Basic, on the token request) does
// not go with the redirect.
func TestOAuthSecretStaysOnTheTokenOrigin(t *testing.T) {
	t.Parallel()
	var leaked atomic.Value
	leaked.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok","expires_in":60}`)
	}))
	t.Cleanup(other.Close)
	token := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(token.Close)
	srv, calls := recorder(t)
	c := newClient(t, Config{Connections: map[string]Connection{
		"oa": {OAuth: &OAuth{TokenURL: token.URL, ClientID: "c", ClientSecret: "client-secret"}, Endpoints: []string{"127.0.0.1"}},
	}})
	p := value.ObjectOf("ApiEndpoint", srv.URL, "Method", "GET", "Authentication", value.ObjectOf("ConnectionArn", "oa"))
	if _, ferr := c.Invoke(context.Background(), Request{Parameters: p}); ferr != nil {
		t.Fatalf("Invoke: %v", ferr)
	}
	if got := leaked.Load().(string); got != "" {
		t.Errorf("the token endpoint's redirect target got Authorization %q", got)
	}
	if got := calls(); len(got) != 1 || got[0].Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("the service got %+v, want one call with the token", got)
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"http://api.example.com/x", "http://api.example.com/y?z", true},
		{"http://api.example.com/", "http://api.example.com:80/", true},
		{"https://api.example.com/", "https://API.example.com.:443/", true},
		{"https://api.example.com/", "http://api.example.com/", false},
		{"https://api.example.com/", "https://api.example.com:8443/", false},
		{"https://api.example.com/", "https://sub.api.example.com/", false},
		{"http://127.0.0.1:8080/", "http://localhost:8080/", false},
		{"http://[::1]:8080/", "http://[::1]:8080/a", true},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameOrigin(a, b); got != tc.same {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
