package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// benchRedis is the store of the *Redis benchmarks: a private redis-server
// with an append-only file fsynced every second, as in production.
func benchRedis(b *testing.B) store.Store {
	url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", "everysec")
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// benchServer starts an engine on st behind a real loopback listener; the
// listener and the engine stop, and st closes, when the benchmark ends.
func benchServer(b *testing.B, st store.Store) (*interpreter.Engine, *httptest.Server) {
	engine := interpreter.New(interpreter.Config{Store: st})
	if err := engine.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine}))
	b.Cleanup(func() {
		srv.Close()
		engine.Stop()
		_ = st.Close()
	})
	return engine, srv
}

// benchDeploy creates (or updates) the state machine name through the API.
func benchDeploy(b *testing.B, client *http.Client, srv *httptest.Server, name string, def []byte) {
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/state-machines/"+name, bytes.NewReader(def))
	if res, err := client.Do(req); err != nil || res.StatusCode >= 300 {
		b.Fatalf("deploy: %v %v", res, err)
	}
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }
