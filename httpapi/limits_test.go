package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
)

// TestLimitsAPI: a limit is created, read with its counts, listed,
// replaced and deleted; bad ones are 400 with what is wrong; changing one
// needs admin, reading one the read role.
func TestLimitsAPI(t *testing.T) {
	srv := setup(t, map[string]httpapi.Role{"adm": httpapi.RoleAdmin, "op": httpapi.RoleOperator, "rd": httpapi.RoleReader})
	admin := []string{"Authorization", "Bearer adm"}
	key := "/v1/limits/" + url.PathEscape("http:*.payments.example.com")

	r := call(t, srv, http.MethodPut, key, map[string]any{"maxInFlight": 5, "ratePerSecond": 2.5}, admin...)
	if r.status != http.StatusCreated || r.header.Get("Location") == "" {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	got := r.json(t)
	if got["key"] != "http:*.payments.example.com" || got["maxInFlight"] != float64(5) || got["burst"] != float64(3) || got["inFlight"] != float64(0) || got["waiting"] != float64(0) {
		t.Errorf("PUT answered %s", r.body)
	}
	if r := call(t, srv, http.MethodPut, key, map[string]any{"maxInFlight": 7}, admin...); r.status != http.StatusOK || r.json(t)["maxInFlight"] != float64(7) {
		t.Errorf("replace: %d %s", r.status, r.body)
	}
	if r := call(t, srv, http.MethodGet, key, nil, "Authorization", "Bearer rd"); r.status != http.StatusOK || r.json(t)["maxInFlight"] != float64(7) {
		t.Errorf("GET by a reader: %d %s", r.status, r.body)
	}
	if r := call(t, srv, http.MethodGet, "/v1/limits", nil, "Authorization", "Bearer rd"); r.status != http.StatusOK || !strings.Contains(string(r.body), `"key":"http:*.payments.example.com"`) {
		t.Errorf("list: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodPut, key, map[string]any{"maxInFlight": 1}, "Authorization", "Bearer op"), http.StatusForbidden, "Forbidden")
	for _, tt := range []struct {
		path string
		body any
		want string
	}{
		{"/v1/limits/handler%3Ax", map[string]any{}, "limits nothing"},
		{"/v1/limits/lambda%3Ax", map[string]any{"maxInFlight": 1}, "the kind is http, handler or startExecution"},
		{"/v1/limits/handler%3Ax", map[string]any{"maxInFlight": -2}, "maxInFlight -2"},
		{"/v1/limits/handler%3Ax", map[string]any{"maxInFlight": "five"}, "maxInFlight"},
		{"/v1/limits/handler%3Ax", map[string]any{"maxInFlight": 1, "burst": 3}, "burst goes with ratePerSecond"},
	} {
		r := call(t, srv, http.MethodPut, tt.path, tt.body, admin...)
		wantError(t, r, http.StatusBadRequest, "InvalidInput")
		if msg := r.json(t)["message"].(string); !strings.Contains(msg, tt.want) {
			t.Errorf("PUT %s %v: %q, want %q", tt.path, tt.body, msg, tt.want)
		}
	}
	if r := call(t, srv, http.MethodDelete, key, nil, admin...); r.status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, http.MethodGet, key, nil, admin...), http.StatusNotFound, "NotFound")
	wantError(t, call(t, srv, http.MethodDelete, key, nil, admin...), http.StatusNotFound, "NotFound")
}
