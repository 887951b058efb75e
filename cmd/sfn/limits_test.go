package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseLimits: the --limits file, every limit checked, in key order;
// a mistake names the key and what is wrong.
func TestParseLimits(t *testing.T) {
	t.Parallel()
	got, err := parseLimits([]byte(`{"http:*.payments.example.com": {"maxInFlight": 5, "ratePerSecond": 2.5},
		"handler:charge": {"maxInFlight": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "handler:charge" || got[1].Key != "http:*.payments.example.com" || got[1].Burst != 3 {
		t.Errorf("parsed %+v", got)
	}
	for _, tt := range []struct{ in, want string }{
		{`[1]`, "want a JSON object"},
		{`{"handler:x": {"maxInFlight": 1, "rate": 2}}`, `"handler:x": json: unknown field "rate"`},
		{`{"handler:x": {}}`, "limits nothing"},
		{`{"queue:x": {"maxInFlight": 1}}`, "the kind is http, handler or startExecution"},
	} {
		if _, err := parseLimits([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
}

// TestServeLimitsFile: sfn serve applies --limits at startup, and refuses
// a bad file before it listens.
func TestServeLimitsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "limits.json")
	if err := os.WriteFile(good, []byte(`{"handler:charge": {"maxInFlight": 3}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := startServer(t, "--limits", good)
	resp, err := http.Get("http://" + addr + "/v1/limits/handler:charge")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"maxInFlight":3`) {
		t.Errorf("GET /v1/limits/handler:charge: %s %s", resp.Status, body)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"handler:charge": {"maxInFlight": -1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res := sfn(t, nil, "", "serve", "--addr", "256.0.0.1:1", "--limits", bad)
	if res.code != exitUsage || !strings.Contains(res.errOut, "--limits") || !strings.Contains(res.errOut, "maxInFlight -1") {
		t.Errorf("exit %d, stderr:\n%s", res.code, res.errOut)
	}
}
