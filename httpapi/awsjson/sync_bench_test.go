package awsjson_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// benchThreePasses is the benchmark's state machine: three Pass states.
const benchThreePasses = `{"StartAt":"A","States":{
	"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
	"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
	"C":{"Type":"Pass","Result":3,"ResultPath":"$.c","End":true}}}`

// BenchmarkExpressVsStandard: executions per second of a three-state
// machine run to its end over HTTP, on one sfn server (REST and AWS API on
// one listener): EXPRESS through StartSyncExecution, and STANDARD through
// the REST API's POST /v1/state-machines/{name}/executions?wait=5s, on the
// memory store and on Redis (a private redis-server, appendfsync
// everysec). With -v, the log gives express/standard per store.
func BenchmarkExpressVsStandard(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memory.New() }},
		{"redis", func(b *testing.B) store.Store {
			url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", "everysec")
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: fmt.Sprintf("bench%d", time.Now().UnixNano())})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	for _, s := range stores {
		b.Run("store="+s.name, func(b *testing.B) {
			srv := newBenchServer(b, s.open(b))
			rates := map[string]float64{}
			b.Run("express=sync", func(b *testing.B) {
				body := fmt.Sprintf(`{"stateMachineArn":%q,"input":"{\"n\":1}"}`, arn.DefaultSpace.StateMachine("express3"))
				rates["express"] = srv.run(b, func() (*http.Request, error) {
					req, err := http.NewRequest(http.MethodPost, srv.url+"/", strings.NewReader(body))
					if err == nil {
						req.Header.Set("Content-Type", awsjson.ContentType)
						req.Header.Set("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
					}
					return req, err
				}, `"status":"SUCCEEDED"`)
			})
			b.Run("standard=wait", func(b *testing.B) {
				rates["standard"] = srv.run(b, func() (*http.Request, error) {
					req, err := http.NewRequest(http.MethodPost, srv.url+"/v1/state-machines/standard3/executions?wait=5s", strings.NewReader(`{"input":{"n":1}}`))
					if err == nil {
						req.Header.Set("Content-Type", "application/json")
					}
					return req, err
				}, `"status":"SUCCEEDED"`)
			})
			if rates["standard"] > 0 {
				b.Logf("store=%s: express %.0f/s, standard %.0f/s: express/standard = %.1fx", s.name, rates["express"], rates["standard"], rates["express"]/rates["standard"])
			}
		})
	}
}

// benchServer is sfn's HTTP API (REST, and the AWS API at POST /) over one
// store, with an EXPRESS and a STANDARD three-state machine.
type benchServer struct {
	url    string
	client *http.Client
}

func newBenchServer(b *testing.B, st store.Store) *benchServer {
	b.Helper()
	ctx := context.Background()
	eng := interpreter.New(interpreter.Config{Store: st})
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Stop)
	meta := awsmeta.New(st)
	for name, typ := range map[string]string{"express3": awsmeta.Express, "standard3": awsmeta.Standard} {
		if _, err := eng.PutStateMachine(ctx, name, []byte(benchThreePasses), dsl.JSON); err != nil {
			b.Fatal(err)
		}
		if _, err := meta.UpdateMachine(ctx, name, func(m *awsmeta.Machine) error { m.Type = typ; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	runner := express.New(express.Config{Store: st})
	if err := runner.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(runner.Stop)
	aws := awsjson.New(awsjson.Config{Engine: eng, Meta: meta, Space: arn.DefaultSpace, Open: true,
		Express: awsjson.NewExpress(runner, arn.DefaultSpace)})
	ts := httptest.NewServer(httpapi.New(httpapi.Config{Engine: eng, AWS: aws}))
	b.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchServer{url: ts.URL, client: &http.Client{Transport: tr}}
}

// benchParallelism is how many requests are in flight per GOMAXPROCS.
const benchParallelism = 8

// run sends b.N requests from parallel clients, checks that each answer has
// one of statuses (default 200) and contains want, and reports and returns
// executions per second.
func (s *benchServer) run(b *testing.B, newRequest func() (*http.Request, error), want string, statuses ...int) float64 {
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	b.Helper()
	var once sync.Once
	fail := func(format string, a ...any) { once.Do(func() { b.Errorf(format, a...) }) }
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := newRequest()
			if err != nil {
				fail("%v", err)
				return
			}
			resp, err := s.client.Do(req)
			if err != nil {
				fail("%v", err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil || !slices.Contains(statuses, resp.StatusCode) || !bytes.Contains(body, []byte(want)) {
				fail("answer %d %s (%v), want %v with %s", resp.StatusCode, body, err, statuses, want)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "executions/s")
	return rate
}
