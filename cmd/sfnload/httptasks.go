package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// endpoint is the fast local service the HTTP tasks call: it answers every
// request at once by echoing its JSON body, and counts the calls. It is
// served on raw connections (raw.go) or, with --raw=false, by net/http.
type endpoint struct {
	url   string
	calls atomic.Int64
	srv   *http.Server
	raw   *rawEndpoint
}

func startEndpoint(raw bool) (*endpoint, error) {
	e := &endpoint{}
	if raw {
		var err error
		e.raw, e.url, err = startRawEndpoint(&e.calls)
		return e, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.url = "http://" + ln.Addr().String() + "/ok"
	e.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.calls.Add(1)
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
	}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

func (e *endpoint) close() {
	if e.raw != nil {
		e.raw.close()
		return
	}
	_ = e.srv.Close()
}

// finished is the part of a ?wait= answer sfnload reads.
type finished struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

// keepInFlight runs n goroutines that each start an execution with ?wait=
// and start the next as soon as it ends, for d; an execution counts when it
// SUCCEEDED within the window.
func keepInFlight(ctx context.Context, cl *client, n int, d time.Duration, path string, body []byte) (*collector, time.Duration) {
	pctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var col collector
	var wg sync.WaitGroup
	begin := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := newTally()
			for pctx.Err() == nil {
				t0 := time.Now()
				code, data, err := cl.do(pctx, http.MethodPost, path, body)
				if pctx.Err() != nil {
					break // cut by the end of the run
				}
				if err == nil && code == http.StatusOK {
					var f finished
					if jerr := json.Unmarshal(data, &f); jerr != nil || f.Status != "SUCCEEDED" {
						t.statuses[fmt.Sprintf("200 %s %s", f.Status, f.Error)]++
						continue
					}
					t.statuses["200 SUCCEEDED"]++
					t.latencies = append(t.latencies, time.Since(t0))
					t.done++
					continue
				}
				if err == nil && code == http.StatusAccepted {
					err = errors.New("202: still running after ?wait=")
				}
				t.status(code, err)
			}
			col.add(t)
		}()
	}
	wg.Wait()
	return &col, time.Since(begin)
}

// loopDefinition is a state machine that runs task n times: the task's
// result carries the counter at path, ResultSelector adds one, and a Choice
// loops until n.
func loopDefinition(task map[string]any, path string, n int) []byte {
	task["ResultSelector"] = map[string]any{"i.$": "States.MathAdd(" + path + ", 1)"}
	task["Next"] = "More"
	def, _ := json.Marshal(map[string]any{
		"StartAt": "Task",
		"States": map[string]any{
			"Task": task,
			"More": map[string]any{"Type": "Choice", "Default": "Done",
				"Choices": []any{map[string]any{"Variable": "$.i", "NumericLessThan": n, "Next": "Task"}}},
			"Done": map[string]any{"Type": "Succeed"},
		},
	})
	return def
}

// runHTTPTasks deploys a state machine whose Task calls a local endpoint
// --tasks times in a loop, and keeps executions of it in flight.
func runHTTPTasks(ctx context.Context, args []string, out io.Writer) (*report, error) {
	var c common
	fs := flag.NewFlagSet("http-tasks", flag.ContinueOnError)
	c.register(fs)
	n := fs.Int("executions", 256, "executions kept in flight")
	tasks := fs.Int("tasks", 1, "HTTP tasks each execution runs, one after the other")
	warmup := fs.Duration("warmup", time.Second, "load before measuring, not counted")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if *n < 1 || *tasks < 1 {
		return nil, usagef("--executions and --tasks must be at least 1")
	}
	ep, err := startEndpoint(c.raw)
	if err != nil {
		return nil, err
	}
	defer ep.close()
	cl, err := newClient(c.server, c.token, *n)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	name := "sfnload-http-" + suffix()
	def := loopDefinition(map[string]any{
		"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
		"Parameters": map[string]any{"ApiEndpoint": ep.url, "Method": "POST", "RequestBody": map[string]any{"i.$": "$.i"}},
	}, "$.ResponseBody.i", *tasks) // the endpoint echoes the body
	if err := cl.deploy(ctx, name, string(def)); err != nil {
		return nil, err
	}
	path := "/v1/state-machines/" + url.PathEscape(name) + "/executions?wait=60s"
	body := []byte(`{"input":{"i":0}}`)
	if *warmup > 0 {
		keepInFlight(ctx, cl, *n, *warmup, path, body)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	before := ep.calls.Load()
	col, elapsed := keepInFlight(ctx, cl, *n, c.duration, path, body)
	calls := ep.calls.Load() - before
	rep := &report{
		title: fmt.Sprintf("sfnload http-tasks: %s, state machine %s, %d executions in flight, %d task(s) each, %s",
			c.server, name, *n, *tasks, c.duration),
		elapsed:     elapsed,
		latencyName: "start?wait= to SUCCEEDED",
		ok:          map[string]bool{"200 SUCCEEDED": true},
	}
	done := col.merge(rep)
	rep.rates = []rate{{"executions", done}, {"tasks", done * *tasks}, {"endpoint", int(calls)}}
	rep.note = append(rep.note, "executions: executions that SUCCEEDED in the window; tasks: their HTTP tasks; endpoint: calls the local endpoint served in the window (each answered and recorded, as the next call of a loop comes only after the previous result committed)")
	return rep, nil
}
