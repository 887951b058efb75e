package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
)

// TestEventStreamEndsWithRetryWhenDraining: a node that shuts down ends its
// open event streams with a retry: hint, so clients reconnect elsewhere.
func TestEventStreamEndsWithRetryWhenDraining(t *testing.T) {
	t.Parallel()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: testStore(t)})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	draining := make(chan struct{})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, Draining: draining}))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	put(t, srv, "hold", `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":600,"End":true}}}`)
	r := call(t, srv, http.MethodPost, "/v1/state-machines/hold/executions", map[string]any{"name": "x"})
	id, _ := r.json(t)["executionId"].(string)
	if id == "" {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/executions/"+id+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	sawEntered := false
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if line == "event: WaitStateEntered" && !sawEntered {
			sawEntered = true
			close(draining) // the history so far is out: now drain
		}
	}
	if !sawEntered {
		t.Fatalf("stream ended before WaitStateEntered: %q", lines)
	}
	if got := strings.Join(lines, "\n"); !strings.Contains(got, "retry: 500") {
		t.Errorf("the stream ended without a retry: hint:\n%s", got)
	}
}
