package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/worker"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

// setup starts the API with an engine on the in-memory store, as sfn serve
// does without --redis-url, behind a real listener; wrap, when given, sits
// in front of the API (to inject faults).
func setup(t *testing.T, tokens map[string]httpapi.Role, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = httpapi.New(httpapi.Config{Engine: engine, AuthTokens: tokens})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	return srv
}

// api makes one JSON call as the admin (token "admin" when the server has
// tokens) and decodes the answer into a map.
func api(t *testing.T, srv *httptest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = bytes.NewBufferString(s)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := body.(string); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer admin")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: %d %q is not a JSON object", method, path, res.StatusCode, data)
		}
	}
	return res.StatusCode, m
}

// deploy uploads a definition.
func deploy(t *testing.T, srv *httptest.Server, name, def string) {
	t.Helper()
	if st, m := api(t, srv, http.MethodPut, "/v1/state-machines/"+name, def); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("PUT %s: %d %v", name, st, m)
	}
}

// start starts an execution and returns its id.
func start(t *testing.T, srv *httptest.Server, machine string, input any) string {
	t.Helper()
	st, m := api(t, srv, http.MethodPost, "/v1/state-machines/"+machine+"/executions", map[string]any{"input": input})
	if st != http.StatusAccepted {
		t.Fatalf("start %s: %d %v", machine, st, m)
	}
	return m["executionId"].(string)
}

// await polls an execution until it ends or 15 s pass.
func await(t *testing.T, srv *httptest.Server, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, m := api(t, srv, http.MethodGet, "/v1/executions/"+id, nil)
		if m["status"] != "RUNNING" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING after 15s", id)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// run runs w in the background until the test ends, failing the test if
// Run returns an error; the returned channel closes when Run returned.
func run(t *testing.T, w *worker.Worker, h worker.Handler) (cancel context.CancelFunc, done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		if err := w.Run(ctx, h); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-ch
	})
	return cancel, ch
}

func newWorker(t *testing.T, cfg worker.Config) *worker.Worker {
	t.Helper()
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// activityDef is a one-task machine on activity NAME that catches the error
// Kitchen.OutOfStock into a Pass state.
func activityDef(name string, heartbeatSeconds int) string {
	hb := ""
	if heartbeatSeconds > 0 {
		hb = fmt.Sprintf(`,"HeartbeatSeconds":%d`, heartbeatSeconds)
	}
	return `{"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:` + name + `"` + hb + `,
    "Catch":[{"ErrorEquals":["Kitchen.OutOfStock"],"ResultPath":"$.caught","Next":"Caught"}],"End":true},
  "Caught":{"Type":"Pass","End":true}}}`
}
