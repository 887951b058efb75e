package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkHTTPStart measures POST /v1/state-machines/{name}/executions over
// a real loopback listener with parallel keep-alive clients, the in-process
// twin of `sfnload starts` (issue 5); run it with -cpuprofile to see where a
// start's time goes.
func BenchmarkHTTPStart(b *testing.B) {
	benchStart(b, memory.New())
}

// BenchmarkHTTPStartRedis is BenchmarkHTTPStart on a private redis-server
// with an append-only file fsynced every second, as in production.
func BenchmarkHTTPStartRedis(b *testing.B) {
	url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", "everysec")
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	benchStart(b, st)
}

func benchStart(b *testing.B, st store.Store) {
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
	const def = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/state-machines/bench", bytes.NewReader([]byte(def)))
	if res, err := client.Do(req); err != nil || res.StatusCode >= 300 {
		b.Fatalf("deploy: %v %v", res, err)
	}
	url := srv.URL + "/v1/state-machines/bench/executions"
	body := []byte(`{"input":{"order":42}}`)
	// 64 clients in all, as the 64 connections, whatever GOMAXPROCS.
	b.SetParallelism(max(1, 64/maxProcs()))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				b.Errorf("start: %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "starts/s")
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }
