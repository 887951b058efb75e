package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// testStore is the store the API tests run on: the in-memory one, or a
// private Redis when SFN_TEST_STORE=redis (make test runs both).
func testStore(t *testing.T) store.Store {
	t.Helper()
	if os.Getenv("SFN_TEST_STORE") != "redis" {
		return memory.New()
	}
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// setup starts an engine behind a real listener.
func setup(t *testing.T, tokens map[string]httpapi.Role) *httptest.Server {
	t.Helper()
	return setupWith(t, testStore(t), httpapi.Config{AuthTokens: tokens})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// call makes one request; body is sent as is when it is a string, else as JSON.
func call(t *testing.T, srv *httptest.Server, method, path string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
		ctype = "application/json"
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// wantError checks a contract error answer.
func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (want %d): %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["error"] != code || m["message"] == "" {
		t.Fatalf("error body %s (want code %s and a message)", r.body, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type %q", ct)
	}
}

const passChain = `StartAt: A
States:
  A: {Type: Pass, Result: 1, ResultPath: $.a, Next: B}
  B: {Type: Pass, Result: 2, ResultPath: $.b, End: true}
`

const waitDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`

const failDef = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E.Boom","Cause":"because"}}}`

const activityDef = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}}`

func put(t *testing.T, srv *httptest.Server, name, def string) {
	t.Helper()
	r := call(t, srv, http.MethodPut, "/v1/state-machines/"+name, def)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", name, r.status, r.body)
	}
}
