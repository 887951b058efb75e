package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
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
	benchStart(b, benchRedis(b))
}

func benchStart(b *testing.B, st store.Store) {
	_, srv := benchServer(b, st)
	const def = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	benchDeploy(b, client, srv, "bench", []byte(def))
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
