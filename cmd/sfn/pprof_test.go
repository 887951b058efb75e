package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeProfiles: --pprof serves Go's profiles on its own address, and
// the API's address does not serve them.
func TestServeProfiles(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	profiles := ln.Addr().String()
	ln.Close()
	api := startServer(t, "--pprof", profiles)

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://" + profiles + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiles address: /debug/pprof/ answered %d %.200q", code, body)
	}
	if code, _ := get("http://" + profiles + "/debug/pprof/heap?debug=1"); code != http.StatusOK {
		t.Fatalf("profiles address: heap profile answered %d", code)
	}
	if code, _ := get("http://" + api + "/debug/pprof/cmdline"); code != http.StatusNotFound {
		t.Fatalf("API address: /debug/pprof/cmdline answered %d, want 404", code)
	}
}
