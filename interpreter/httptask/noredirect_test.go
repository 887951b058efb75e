package httptask

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// NoRedirects answers a 3xx as the failure it is, and the redirect's
// target is never asked; without it the redirect is followed.
func TestNoRedirects(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(target.Close)
	for _, code := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/login", code)
		}))
		t.Cleanup(src.Close)
		c := newClient(t, Config{})
		p := value.ObjectOf("ApiEndpoint", src.URL+"/hook", "Method", "POST", "RequestBody", "{}")
		before := elsewhere.Load()
		_, ferr := c.Invoke(context.Background(), Request{Parameters: p, NoRedirects: true})
		if ferr == nil || ferr.Name != "States.Http.StatusCode."+itoa(code) {
			t.Errorf("%d with NoRedirects: %v, want States.Http.StatusCode.%d", code, ferr, code)
		}
		if elsewhere.Load() != before {
			t.Errorf("%d with NoRedirects: the target was asked", code)
		}
		if _, ferr := c.Invoke(context.Background(), Request{Parameters: p}); ferr != nil || elsewhere.Load() != before+1 {
			t.Errorf("%d without NoRedirects: %v, the target asked %d times, want once", code, ferr, elsewhere.Load()-before)
		}
	}
}
