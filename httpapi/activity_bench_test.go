package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// BenchmarkActivity measures activity task completions over HTTP with 16
// workers (poll, then success at once), the in-process twin of `sfnload
// activities` (issue 6). The b.N executions are started before the clock
// runs, so the figure is the activity path alone: poll, ActivityStarted,
// success, and the step that ends the execution.
func BenchmarkActivity(b *testing.B) {
	benchActivity(b, memory.New())
}

// BenchmarkActivityRedis is BenchmarkActivity on a private redis-server
// (append-only file, fsync every second).
func BenchmarkActivityRedis(b *testing.B) {
	benchActivity(b, benchRedis(b))
}

func benchActivity(b *testing.B, st store.Store) {
	engine, srv := benchServer(b, st)
	ctx := context.Background()
	const def = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"activity:bench","End":true}}}`
	if _, err := engine.PutStateMachine(ctx, "act", []byte(def), dsl.JSON); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if _, _, err := engine.StartExecution(ctx, interpreter.StartParams{StateMachine: "act"}); err != nil {
			b.Fatal(err)
		}
	}
	const workers = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers}}
	post := func(path string, body []byte) (int, []byte) {
		res, err := client.Post(srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Error(err)
			return 0, nil
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, data
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				code, data := post("/v1/activities/bench/poll?wait=10s", []byte(`{"workerName":"w"}`))
				if code != http.StatusOK {
					b.Errorf("poll: %d %s", code, data)
					return
				}
				var task struct {
					TaskToken string `json:"taskToken"`
				}
				_ = json.Unmarshal(data, &task)
				ans, _ := json.Marshal(map[string]any{"taskToken": task.TaskToken, "output": map[string]any{}})
				if code, data := post("/v1/tasks/success", ans); code != http.StatusOK {
					b.Errorf("success: %d %s", code, data)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "activities/s")
}
