package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// passDefinition is what starts deploys when no state machine is named:
// one Pass state, so that the measure is the start path, not the work.
const passDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// runStarts posts starts as fast as conns connections allow.
func runStarts(ctx context.Context, args []string, out io.Writer) (*report, error) {
	var c common
	fs := flag.NewFlagSet("starts", flag.ContinueOnError)
	c.register(fs)
	conns := fs.Int("conns", 64, "keep-alive connections, each with one request at a time")
	sm := fs.String("state-machine", "", "state machine to start (default: deploy sfnload-starts, one Pass state)")
	input := fs.String("input", "{}", "execution input (JSON)")
	warmup := fs.Duration("warmup", time.Second, "load before measuring, not counted")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if *conns < 1 {
		return nil, usagef("--conns must be at least 1")
	}
	if !json.Valid([]byte(*input)) {
		return nil, usagef("--input is not valid JSON")
	}
	cl, err := newClient(c.server, c.token, *conns)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	name := *sm
	if name == "" {
		name = "sfnload-starts"
		if err := cl.deploy(ctx, name, passDefinition); err != nil {
			return nil, err
		}
	} else if err := cl.exists(ctx, name); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(struct {
		Input json.RawMessage `json:"input"`
	}{json.RawMessage(*input)})
	path := "/v1/state-machines/" + url.PathEscape(name) + "/executions"

	phase := func(d time.Duration) (*collector, time.Duration) {
		pctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var col collector
		var wg sync.WaitGroup
		begin := time.Now()
		for range *conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := newTally()
				t.latencies = make([]time.Duration, 0, 4096)
				for pctx.Err() == nil {
					t0 := time.Now()
					code, _, err := cl.do(pctx, http.MethodPost, path, body)
					if pctx.Err() != nil {
						break // cut by the end of the run: neither success nor error
					}
					t.status(code, err)
					if err == nil && code == http.StatusAccepted {
						t.latencies = append(t.latencies, time.Since(t0))
						t.done++
					}
				}
				col.add(t)
			}()
		}
		wg.Wait()
		return &col, time.Since(begin)
	}
	if *warmup > 0 {
		phase(*warmup)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	col, elapsed := phase(c.duration)
	rep := &report{
		title:       fmt.Sprintf("sfnload starts: %s, state machine %s, %d connections, %s", c.server, name, *conns, c.duration),
		elapsed:     elapsed,
		latencyName: "POST .../executions",
		ok:          map[string]bool{"202": true},
	}
	done := col.merge(rep)
	rep.rates = []rate{{"starts", done}}
	return rep, nil
}
