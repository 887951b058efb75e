package notify_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store/memory"
)

// A webhook answered by a redirect is a failed attempt, tried again: the
// redirect is not followed (a 302 would turn the POST into a GET without
// the event, counted delivered; a 307 would send the signed event
// elsewhere).
func TestWebhookRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		elsewhere := newReceiver(t)
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.srv.URL+"/login", code)
		}))
		t.Cleanup(redirector.Close)
		clock := newClock()
		eng := node(t, memory.New(), "n1", nil)
		svc := service(t, eng, clock, nil)
		put(t, svc, notify.Spec{Name: "hook", URL: redirector.URL, Secret: strp("0123456789abcdef")})
		run(t, eng, "ok", "x")
		clock.waitWaiting(t, 1) // the first attempt failed and backs off
		if n := elsewhere.count.Load(); n != 0 {
			t.Errorf("%d: the redirect's target was sent %d requests", code, n)
		}
		_, del, err := svc.Endpoint(t.Context(), "hook")
		if err != nil {
			t.Fatal(err)
		}
		if del.Delivered != 0 {
			t.Errorf("%d: %d events counted delivered", code, del.Delivered)
		}
	}
}
