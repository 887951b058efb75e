package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// A definition whose Result and Parameters have keys out of order and
// numbers that a float64 (or the canonical form) would rewrite, as JSON
// and as its YAML twin.
const (
	orderJSON = `{"StartAt":"Result","States":{
 "Result":{"Type":"Pass","Result":{"b":1,"a":12345678901234567890,"c":1.0},"ResultPath":"$.r","Next":"Template"},
 "Template":{"Type":"Pass","Parameters":{"z":2.50,"text.$":"States.JsonToString($.r)","r.$":"$.r","y":1e2},"End":true}}}`
	orderYAML = `StartAt: Result
States:
  Result:
    Type: Pass
    Result: {b: 1, a: 12345678901234567890, c: 1.0}
    ResultPath: $.r
    Next: Template
  Template:
    Type: Pass
    Parameters:
      z: 2.50
      text.$: States.JsonToString($.r)
      r.$: $.r
      "y": 1e2
    End: true
`
	// orderOutput is what an execution of either ends with, byte for byte.
	orderOutput = `{"z":2.50,"text":"{\"b\":1,\"a\":12345678901234567890,\"c\":1.0}","r":{"b":1,"a":12345678901234567890,"c":1.0},"y":1e2}`
	// orderReordered is orderJSON with other key orders and spacing: the
	// same definition (RFC 8785), so an unchanged re-upload.
	orderReordered = `{"States":{"Template":{"End":true,"Type":"Pass","Parameters":{"y":1e2,"r.$":"$.r","text.$":"States.JsonToString($.r)","z":2.50}},
 "Result":{"Next":"Template","ResultPath":"$.r","Result":{"c":1.0,"a":12345678901234567890,"b":1},"Type":"Pass"}},"StartAt":"Result"}`
)

// runOutput starts an execution of sm, waits for it and returns its
// output exactly as the API wrote it.
func runOutput(t *testing.T, srv *httptest.Server, sm string) string {
	t.Helper()
	r := call(t, srv, http.MethodPost, "/v1/state-machines/"+sm+"/executions?wait=10s", map[string]any{})
	var ex struct {
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal(r.body, &ex); err != nil || r.status != http.StatusOK || ex.Status != "SUCCEEDED" {
		t.Fatalf("execution of %s: %d %s (%v)", sm, r.status, r.body, err)
	}
	return string(ex.Output)
}

// smAnswer is a state machine as the API answers it, with the definition's
// bytes as written.
type smAnswer struct {
	Version    int             `json:"version"`
	Sha        string          `json:"definitionSha256"`
	Definition json.RawMessage `json:"definition"`
}

func getSM(t *testing.T, srv *httptest.Server, path string) smAnswer {
	t.Helper()
	r := call(t, srv, http.MethodGet, path, nil)
	var a smAnswer
	if err := json.Unmarshal(r.body, &a); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s (%v)", path, r.status, r.body, err)
	}
	return a
}

func canonicalSha(t *testing.T, def string) string {
	t.Helper()
	sum := sha256.Sum256(value.Canonical(value.MustDecode(def)))
	return hex.EncodeToString(sum[:])
}

// TestDefinitionKeepsOrderAndNumbers: a Pass Result and a template come out
// of a real execution with the keys in the order and the numbers in the
// digits of the definition, uploaded as JSON or YAML; GET answers the
// definition in that form too, while definitionSha256 and the version
// identity stay the RFC 8785 canonical form.
func TestDefinitionKeepsOrderAndNumbers(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	wantSha := canonicalSha(t, orderJSON)
	for _, tc := range []struct{ name, ctype, body string }{
		{"json", "application/json", orderJSON},
		{"yaml", "application/yaml", orderYAML},
		{"sniffed-yaml", "", orderYAML},
	} {
		r := call(t, srv, http.MethodPut, "/v1/state-machines/"+tc.name, tc.body, "Content-Type", tc.ctype)
		if r.status != http.StatusCreated {
			t.Fatalf("%s: PUT %d %s", tc.name, r.status, r.body)
		}
		if got := r.json(t)["definitionSha256"]; got != wantSha {
			t.Errorf("%s: definitionSha256 %v, want the canonical form's %s", tc.name, got, wantSha)
		}
		if got := runOutput(t, srv, tc.name); got != orderOutput {
			t.Errorf("%s: output\n got %s\nwant %s", tc.name, got, orderOutput)
		}
		for _, path := range []string{"/v1/state-machines/" + tc.name, "/v1/state-machines/" + tc.name + "/versions/1"} {
			if got := getSM(t, srv, path); string(got.Definition) != string(value.Marshal(value.MustDecode(orderJSON))) {
				t.Errorf("%s: GET %s definition\n got %s\nwant the upload, compact", tc.name, path, got.Definition)
			}
		}
	}

	// The same definition with other key orders: unchanged, and the
	// version still runs (and reads) as first uploaded.
	r := call(t, srv, http.MethodPut, "/v1/state-machines/json", orderReordered, "Content-Type", "application/json")
	if m := r.json(t); r.status != http.StatusOK || m["version"] != 1.0 || m["definitionSha256"] != wantSha {
		t.Fatalf("re-upload with another key order: %d %s, want 200 with version 1 unchanged", r.status, r.body)
	}
	if got := runOutput(t, srv, "json"); got != orderOutput {
		t.Errorf("after the unchanged re-upload: output %s, want %s", got, orderOutput)
	}
	if got := getSM(t, srv, "/v1/state-machines/json"); string(got.Definition) != string(value.Marshal(value.MustDecode(orderJSON))) {
		t.Errorf("after the unchanged re-upload: definition %s, want the first upload's", got.Definition)
	}
}

// TestDefinitionOrderAcrossRestart: on Redis, a node that did not upload
// the definition (a restarted server) compiles the version from the text
// stored with it, so order and digits survive.
func TestDefinitionOrderAcrossRestart(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	prefix := "order-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	open := func() store.Store {
		s, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: prefix, Partitions: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	before, stop := node(t, open(), "before")
	for _, tc := range []struct{ name, ctype, body string }{
		{"json", "application/json", orderJSON},
		{"yaml", "application/yaml", orderYAML},
	} {
		if r := call(t, before, http.MethodPut, "/v1/state-machines/"+tc.name, tc.body, "Content-Type", tc.ctype); r.status != http.StatusCreated {
			t.Fatalf("%s: PUT %d %s", tc.name, r.status, r.body)
		}
	}
	stop()
	after, _ := node(t, open(), "after")
	for _, name := range []string{"json", "yaml"} {
		if got := runOutput(t, after, name); got != orderOutput {
			t.Errorf("%s after the restart: output\n got %s\nwant %s", name, got, orderOutput)
		}
		if got := getSM(t, after, "/v1/state-machines/"+name); string(got.Definition) != string(value.Marshal(value.MustDecode(orderJSON))) {
			t.Errorf("%s after the restart: definition %s", name, got.Definition)
		}
	}
}

// TestDefinitionOfEarlierRelease: a version stored by a release that kept
// only the canonical form still runs (from that form: keys sorted, numbers
// reprinted, as it always did) and reads back.
func TestDefinitionOfEarlierRelease(t *testing.T) {
	t.Parallel()
	st := memory.New()
	canon := value.Canonical(value.MustDecode(orderJSON))
	if _, _, err := st.PutStateMachine(context.Background(), store.StateMachine{Name: "old",
		DefinitionSHA256: canonicalSha(t, orderJSON), Definition: canon, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	srv, _ := node(t, st, "n")
	const want = `{"r":{"a":12345678901234567000,"b":1,"c":1},"text":"{\"a\":12345678901234567000,\"b\":1,\"c\":1}","y":100,"z":2.5}`
	if got := runOutput(t, srv, "old"); got != want {
		t.Errorf("output\n got %s\nwant %s", got, want)
	}
	if got := getSM(t, srv, "/v1/state-machines/old"); string(got.Definition) != string(canon) || got.Sha != canonicalSha(t, orderJSON) {
		t.Errorf("GET: definition %s sha %s, want the canonical form", got.Definition, got.Sha)
	}
	if r := call(t, srv, http.MethodGet, "/v1/state-machines/old/graph", nil); r.status != http.StatusOK {
		t.Errorf("graph: %d %s", r.status, r.body)
	}
	// The same definition uploaded now: unchanged, identity as before.
	r := call(t, srv, http.MethodPut, "/v1/state-machines/old", orderYAML, "Content-Type", "application/yaml")
	if m := r.json(t); r.status != http.StatusOK || m["version"] != 1.0 {
		t.Fatalf("re-upload: %d %s, want 200 version 1", r.status, r.body)
	}
}
