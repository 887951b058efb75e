package httptask

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/failure"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", string(body))
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusTeapot)
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	loopback := []string{"127.0.0.1"}
	c := newClient(t, Config{Connections: map[string]Connection{
		"key":   {APIKeyName: "X-Api-Key", APIKeyValue: "key-secret", Endpoints: loopback},
		"basic": {Username: "ada", Password: "basic-secret", Endpoints: loopback},
	}})
	for _, tc := range []struct {
		name        string
		params      string
		wantErr     string
		wantQuery   string
		wantBody    string
		wantCreds   []string
		wantStatus  int
		wantRespHdr string
	}{
		{
			name:       "post with an API key",
			params:     `{"ApiEndpoint":"` + srv.URL + `/orders","Method":"POST","QueryParameters":{"a":"1"},"RequestBody":{"id":7},"Authentication":{"ConnectionArn":"key"}}`,
			wantQuery:  "a=1",
			wantBody:   `{"id":7}`,
			wantCreds:  []string{"X-Api-Key"},
			wantStatus: 200, wantRespHdr: `{"id":7}`,
		},
		{
			name:       "basic auth, no body",
			params:     `{"ApiEndpoint":"` + srv.URL + `/orders","Method":"GET","Authentication":{"ConnectionArn":"basic"}}`,
			wantCreds:  []string{"Authorization"},
			wantStatus: 200,
		},
		{
			name:       "an error status is observed too",
			params:     `{"ApiEndpoint":"` + srv.URL + `/orders","Method":"GET","QueryParameters":{"fail":"yes"}}`,
			wantErr:    "States.Http.StatusCode.418",
			wantQuery:  "fail=yes",
			wantStatus: 418,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *Exchange
			_, ferr := c.Invoke(context.Background(), Request{Parameters: params(t, tc.params), Observe: func(ex *Exchange) { got = ex }})
			if (ferr == nil) != (tc.wantErr == "") || (ferr != nil && ferr.Name != tc.wantErr) {
				t.Fatalf("error %v, want %q", ferr, tc.wantErr)
			}
			if got == nil {
				t.Fatal("Observe was not called")
			}
			if got.Protocol != "HTTP/1.1" || !strings.HasPrefix(got.URL, srv.URL+"/orders") {
				t.Errorf("request %s %s", got.Protocol, got.URL)
			}
			if q := strings.SplitN(got.URL+"?", "?", 3)[1]; q != tc.wantQuery {
				t.Errorf("query %q, want %q", q, tc.wantQuery)
			}
			if string(got.Body) != tc.wantBody {
				t.Errorf("body %q, want %q", got.Body, tc.wantBody)
			}
			if diff := cmp.Diff(tc.wantCreds, got.Credentials); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
			for _, h := range tc.wantCreds {
				if got.Header.Get(h) == "" {
					t.Errorf("the observed request lacks the credential header %s", h)
				}
			}
			if got.Header.Get("User-Agent") != "sfn-http-task" {
				t.Errorf("User-Agent %q: the observed headers are not the ones sent", got.Header.Get("User-Agent"))
			}
			r := got.Response
			if r == nil {
				t.Fatal("no response observed")
			}
			if r.StatusCode != tc.wantStatus || r.Protocol != "HTTP/1.1" || string(r.Body) != `{"ok":true}` || r.Header.Get("X-Echo") != tc.wantRespHdr {
				t.Errorf("response %+v", r)
			}
		})
	}
}

func TestObserveNotCalledWhenNothingIsSent(t *testing.T) {
	t.Parallel()
	c := newClient(t, Config{Allow: []string{"example.com"}})
	called := false
	_, ferr := c.Invoke(context.Background(), Request{
		Parameters: params(t, `{"ApiEndpoint":"http://127.0.0.1:1/x","Method":"GET"}`),
		Observe:    func(*Exchange) { called = true },
	})
	if ferr == nil || ferr.Name != failure.TaskFailed {
		t.Fatalf("error %v, want States.TaskFailed (destination refused)", ferr)
	}
	if called {
		t.Error("Observe was called for a request that was refused before it was sent")
	}
}

func TestObserveTransportFailure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close() // nothing listens any more
	c := newClient(t, Config{})
	var got *Exchange
	_, ferr := c.Invoke(context.Background(), Request{
		Parameters: params(t, `{"ApiEndpoint":"`+url+`","Method":"DELETE"}`),
		Observe:    func(ex *Exchange) { got = ex },
	})
	if ferr == nil || ferr.Name != failure.TaskFailed {
		t.Fatalf("error %v, want States.TaskFailed", ferr)
	}
	if got == nil || got.Method != "DELETE" || got.Response != nil {
		t.Fatalf("observed %+v, want the DELETE request without a response", got)
	}
}
