package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// BenchmarkHTTPTaskWait measures executions of one http:invoke Task against
// a fast local endpoint, each started with ?wait= so that the answer comes
// on the commit that ends it: the in-process twin of `sfnload http-tasks`
// (issue 6), with 256 executions in flight.
func BenchmarkHTTPTaskWait(b *testing.B) {
	benchTaskWait(b, memory.New())
}

// BenchmarkHTTPTaskWaitRedis is BenchmarkHTTPTaskWait on a private
// redis-server (append-only file, fsync every second).
func BenchmarkHTTPTaskWaitRedis(b *testing.B) {
	benchTaskWait(b, benchRedis(b))
}

func benchTaskWait(b *testing.B, st store.Store) {
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	b.Cleanup(endpoint.Close)
	_, srv := benchServer(b, st)
	def, _ := json.Marshal(map[string]any{"StartAt": "Call", "States": map[string]any{"Call": map[string]any{
		"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": true,
		"Parameters": map[string]any{"ApiEndpoint": endpoint.URL + "/ok", "Method": "POST"},
	}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	benchDeploy(b, client, srv, "call", def)
	url := srv.URL + "/v1/state-machines/call/executions?wait=60s"
	body := []byte(`{"input":{}}`)
	b.SetParallelism(max(1, 256/maxProcs()))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"SUCCEEDED"`)) {
				b.Errorf("start?wait=: %d %s", res.StatusCode, data)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}
