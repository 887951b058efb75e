package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// runActivities deploys a one-Task activity state machine, keeps executions
// of it in flight and answers their tasks with a pool of workers that poll
// and report success at once.
func runActivities(ctx context.Context, args []string, out io.Writer) (*report, error) {
	var c common
	fs := flag.NewFlagSet("activities", flag.ContinueOnError)
	c.register(fs)
	workers := fs.Int("workers", 16, "activity workers (each polls, then answers success)")
	inflight := fs.Int("inflight", 256, "executions kept in flight, so that workers always find a task")
	perExec := fs.Int("tasks", 1, "activity tasks each execution runs, one after the other")
	warmup := fs.Duration("warmup", time.Second, "load before measuring, not counted")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if *workers < 1 || *inflight < 1 || *perExec < 1 {
		return nil, usagef("--workers, --inflight and --tasks must be at least 1")
	}
	cl, err := newClient(c.server, c.token, *inflight+*workers)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	id := suffix()
	name, activity := "sfnload-activity-"+id, "sfnload-"+id
	def := loopDefinition(map[string]any{
		"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:" + activity,
	}, "$.i", *perExec) // the workers answer with their input
	if err := cl.deploy(ctx, name, string(def)); err != nil {
		return nil, err
	}
	startPath := "/v1/state-machines/" + url.PathEscape(name) + "/executions?wait=60s"
	pollPath := "/v1/activities/" + url.PathEscape(activity) + "/poll?wait=5s"

	phase := func(d time.Duration) (tasks *collector, execs *collector, elapsed time.Duration) {
		pctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var wcol collector
		var wg sync.WaitGroup
		for w := range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := newTally()
				do := cl.do
				if c.raw {
					rc, err := newRawConn(c.server, c.token)
					if err != nil {
						t.status(0, err)
						wcol.add(t)
						return
					}
					defer rc.close()
					do = rc.do
				}
				pollBody := fmt.Appendf(nil, `{"workerName":"sfnload-%d"}`, w)
				var ans []byte
				for pctx.Err() == nil {
					t0 := time.Now()
					code, data, err := do(pctx, http.MethodPost, pollPath, pollBody)
					if pctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
						break // the window ended during the request
					}
					if err != nil || code != http.StatusOK {
						if code != http.StatusNoContent {
							t.status(code, err)
							pause(pctx, 10*time.Millisecond) // a failing server is not hammered
						}
						continue
					}
					var task struct {
						TaskToken string          `json:"taskToken"`
						Input     json.RawMessage `json:"input"`
					}
					if err := json.Unmarshal(data, &task); err != nil || task.TaskToken == "" {
						t.statuses["poll 200 without a taskToken"]++
						continue
					}
					tok, _ := json.Marshal(task.TaskToken)
					if !c.raw {
						ans = nil // net/http may still read the last body after an error
					}
					ans = append(append(append(append(ans[:0], `{"taskToken":`...), tok...), `,"output":`...), task.Input...)
					ans = append(ans, '}')
					code, _, err = do(pctx, http.MethodPost, "/v1/tasks/success", ans)
					if pctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
						break // the window ended during the request
					}
					t.status(code, err)
					if err == nil && code == http.StatusOK {
						t.latencies = append(t.latencies, time.Since(t0))
						t.done++
					}
				}
				wcol.add(t)
			}()
		}
		execs, elapsed = keepInFlight(pctx, cl, *inflight, d, startPath, []byte(`{"input":{"i":0}}`))
		cancel()
		wg.Wait()
		return &wcol, execs, elapsed
	}
	if *warmup > 0 {
		phase(*warmup)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	tasks, execs, elapsed := phase(c.duration)
	rep := &report{
		title: fmt.Sprintf("sfnload activities: %s, activity %s, %d workers, %d executions in flight, %d task(s) each, %s",
			c.server, activity, *workers, *inflight, *perExec, c.duration),
		elapsed:     elapsed,
		latencyName: "poll + success",
		ok:          map[string]bool{"200": true, "200 SUCCEEDED": true},
	}
	done := tasks.merge(rep)
	var er report
	succeeded := execs.merge(&er)
	for k, v := range er.statuses {
		rep.statuses["start "+k] += v
		if k == "200 SUCCEEDED" {
			rep.ok["start "+k] = true
		}
	}
	rep.rates = []rate{{"activities", done}, {"executions", succeeded}}
	rep.note = append(rep.note, "activities: tasks polled and answered with 200 from /v1/tasks/success; executions: starts that SUCCEEDED in the window")
	return rep, nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
