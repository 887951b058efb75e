package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
)

// Config is one scale run.
type Config struct {
	SFN      string // the sfn binary
	RedisURL string // a Redis of this run alone: its command counts are read
	Prefix   string
	// Executions are parked in a Wait; their due times start at the kill
	// and follow each other at Rate per second.
	Executions int
	Rate       float64
	Conns      int           // concurrent starts
	Lead       time.Duration // from the end of the starts to the first due time (the cold start and the split happen in it)
	Log        io.Writer     // progress lines
	Dir        string        // the nodes' logs
	Pprof      string        // serve node C's profiles on this address (the survivor)
}

// Report is what a run measured.
type Report struct {
	Executions       int
	StartsPerSecond  float64
	RedisBytesPerRun float64 // Redis memory per parked execution
	// The cold start of a node on the parked executions (no other node).
	ColdCommands       int64         // Redis commands from its start until it held every partition and had recovered them
	ColdCommandsPerRun float64       // ColdCommands per parked execution
	ColdHeld           time.Duration // from its start until it held every partition
	ColdReady          time.Duration // from its start until /readyz answered 200
	IdleCommands       int64         // Redis commands of both nodes from the split until the first due time
	// The kill -9 of one of two nodes at the first due time.
	Takeover      time.Duration // from the kill until the survivor held every partition
	DueAfter      int           // executions due after the takeover
	MaxLagAfter   time.Duration // their largest lag (ExecutionSucceeded behind the due time)
	P99LagAfter   time.Duration
	DueBefore     int           // executions due between the kill and the takeover
	MaxLagBefore  time.Duration // their largest lag (at most about the takeover)
	Duplicates    int           // executions whose history is not exactly one run of the Wait
	NotSucceeded  int
	FinishedAfter time.Duration // from the first due time until the last execution ended
}

const parkDef = `{"StartAt":"Park","States":{"Park":{"Type":"Wait","TimestampPath":"$.at","End":true}}}`

// wantTypes is the history of one parked execution, run exactly once.
var wantTypes = []string{"ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"}

// Run runs the scenario of BENCHMARKS.md's scale table:
//  1. node A starts the executions, then stops gracefully;
//  2. node B starts cold on them (every partition free) and recovers them;
//  3. node C joins, and the two split the partitions;
//  4. at the first due time B is killed with SIGKILL; C takes B's
//     partitions once their leases expire and fires every timer;
//  5. every execution's history is read: it ran exactly once, and how late.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Conns <= 0 {
		cfg.Conns = 64
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
		}
	}
	rdb, err := redisClient(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	defer rdb.Close()
	rep := &Report{Executions: cfg.Executions}

	memBefore, err := infoInt(ctx, rdb, "memory", "used_memory")
	if err != nil {
		return nil, err
	}
	a, err := startNode(ctx, cfg, "A")
	if err != nil {
		return nil, err
	}
	defer a.kill()
	if err := a.call(ctx, http.MethodPut, "/v1/state-machines/park", json.RawMessage(parkDef), nil); err != nil {
		return nil, fmt.Errorf("put the definition: %w", err)
	}
	// The first due time: after the starts (estimated at 3,000/s) and the lead.
	begin := time.Now()
	firstDue := begin.Add(time.Duration(float64(cfg.Executions)/3000*float64(time.Second)) + cfg.Lead).Truncate(time.Second)
	due := func(i int) time.Time {
		return firstDue.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
	}
	logf("starting %d executions, due from %s at %.0f/s", cfg.Executions, firstDue.Format("15:04:05"), cfg.Rate)
	if err := startAll(ctx, a, cfg, due); err != nil {
		return nil, err
	}
	rep.StartsPerSecond = float64(cfg.Executions) / time.Since(begin).Seconds()
	if time.Now().Add(20 * time.Second).After(firstDue) {
		return nil, fmt.Errorf("the starts took %s: the first due time %s leaves too little lead; raise -lead", time.Since(begin).Round(time.Second), firstDue.Format("15:04:05"))
	}
	if err := a.stop(); err != nil {
		return nil, fmt.Errorf("stop node A: %w", err)
	}
	memAfter, err := infoInt(ctx, rdb, "memory", "used_memory")
	if err != nil {
		return nil, err
	}
	rep.RedisBytesPerRun = float64(memAfter-memBefore) / float64(cfg.Executions)
	logf("started at %.0f/s; Redis memory %.0f bytes per parked execution", rep.StartsPerSecond, rep.RedisBytesPerRun)

	// Cold start.
	cmds0, err := infoInt(ctx, rdb, "stats", "total_commands_processed")
	if err != nil {
		return nil, err
	}
	coldStart := time.Now()
	b, err := startNode(ctx, cfg, "B")
	if err != nil {
		return nil, err
	}
	defer b.kill()
	rep.ColdReady, err = b.waitReady(ctx, coldStart)
	if err != nil {
		return nil, err
	}
	rep.ColdHeld, err = b.waitGauge(ctx, coldStart, "sfn_leases_held", func(v float64) bool { return v == 256 })
	if err != nil {
		return nil, err
	}
	// Releases before the recovery gauge recovered each partition before
	// counting it held.
	if _, err := b.gauge(ctx, "sfn_recovery_pending"); err == nil {
		if _, err := b.waitGauge(ctx, coldStart, "sfn_recovery_pending", func(v float64) bool { return v == 0 }); err != nil {
			return nil, err
		}
	}
	cmds1, err := infoInt(ctx, rdb, "stats", "total_commands_processed")
	if err != nil {
		return nil, err
	}
	rep.ColdCommands = cmds1 - cmds0 - 2 // the two INFO calls of this program
	rep.ColdCommandsPerRun = float64(rep.ColdCommands) / float64(cfg.Executions)
	logf("cold start: /readyz after %s, 256 partitions after %s, %d Redis commands (%.4f per parked execution)",
		rep.ColdReady.Round(time.Millisecond), rep.ColdHeld.Round(time.Millisecond), rep.ColdCommands, rep.ColdCommandsPerRun)

	// A second node; the partitions split between them.
	c, err := startNode(ctx, cfg, "C")
	if err != nil {
		return nil, err
	}
	defer c.kill()
	if _, err := c.waitGauge(ctx, time.Now(), "sfn_leases_held", func(v float64) bool { return v >= 100 }); err != nil {
		return nil, err
	}
	if _, err := b.waitGauge(ctx, time.Now(), "sfn_leases_held", func(v float64) bool { return v <= 156 }); err != nil {
		return nil, err
	}
	cmds2, err := infoInt(ctx, rdb, "stats", "total_commands_processed")
	if err != nil {
		return nil, err
	}
	logf("nodes B and C split the partitions; waiting for the first due time")
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Until(firstDue)):
	}
	cmds3, err := infoInt(ctx, rdb, "stats", "total_commands_processed")
	if err != nil {
		return nil, err
	}
	rep.IdleCommands = cmds3 - cmds2 - 1
	killed := time.Now()
	if !b.kill() {
		return nil, errors.New("node B had exited before the kill")
	}
	logf("node B killed with SIGKILL")
	rep.Takeover, err = c.waitGauge(ctx, killed, "sfn_leases_held", func(v float64) bool { return v == 256 })
	if err != nil {
		return nil, err
	}
	takeover := killed.Add(rep.Takeover)
	logf("node C holds every partition %s after the kill", rep.Takeover.Round(time.Millisecond))

	last := due(cfg.Executions - 1)
	if err := waitOpen(ctx, c, last.Add(5*time.Minute)); err != nil {
		return nil, err
	}
	rep.FinishedAfter = time.Since(firstDue)
	logf("every execution ended, %s after the first due time; reading the histories", rep.FinishedAfter.Round(time.Millisecond))
	if err := c.stop(); err != nil {
		return nil, fmt.Errorf("stop node C: %w", err)
	}
	if err := judge(ctx, cfg, rep, due, takeover); err != nil {
		return nil, err
	}
	return rep, nil
}

// startAll starts the executions, named p<i>, each with its due time.
func startAll(ctx context.Context, n *node, cfg Config, due func(int) time.Time) error {
	var next atomic.Int64
	errs := make(chan error, cfg.Conns)
	var wg sync.WaitGroup
	for range cfg.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Executions || ctx.Err() != nil {
					return
				}
				body := map[string]any{"name": "p" + strconv.Itoa(i), "input": map[string]string{"at": due(i).UTC().Format(time.RFC3339Nano)}}
				if err := n.call(ctx, http.MethodPost, "/v1/state-machines/park/executions", body, nil); err != nil {
					errs <- fmt.Errorf("start p%d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// waitOpen waits until no execution is RUNNING, as the API lists them.
func waitOpen(ctx context.Context, n *node, deadline time.Time) error {
	for {
		var page struct {
			Executions []json.RawMessage `json:"executions"`
		}
		err := n.call(ctx, http.MethodGet, "/v1/executions?status=RUNNING&limit=1", nil, &page)
		if err == nil && len(page.Executions) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("executions still running at the deadline (%d listed, %v)", len(page.Executions), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// judge reads every history from the store: each execution ran its Wait
// exactly once, and its lag is its end behind its due time.
func judge(ctx context.Context, cfg Config, rep *Report, due func(int) time.Time, takeover time.Time) error {
	st, err := redisstore.New(ctx, redisstore.Options{URL: cfg.RedisURL, Prefix: cfg.Prefix})
	if err != nil {
		return err
	}
	defer st.Close()
	type result struct {
		i     int
		lag   time.Duration
		ok    bool
		ended bool
	}
	results := make([]result, cfg.Executions)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Executions {
					return
				}
				evs, err := st.History(ctx, store.HistoryQuery{ID: "park:p" + strconv.Itoa(i)})
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				r := result{i: i}
				var types []string
				for _, e := range evs {
					var h struct {
						Type string
						Time time.Time `json:"timestamp"`
					}
					_ = json.Unmarshal(e.Data, &h)
					types = append(types, h.Type)
					if h.Type == "ExecutionSucceeded" {
						r.ended, r.lag = true, h.Time.Sub(due(i))
					}
				}
				r.ok = slices.Equal(types, wantTypes)
				results[i] = r
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	var after []time.Duration
	for _, r := range results {
		if !r.ok {
			rep.Duplicates++
		}
		if !r.ended {
			rep.NotSucceeded++
			continue
		}
		if due(r.i).After(takeover) {
			after = append(after, r.lag)
			rep.MaxLagAfter = max(rep.MaxLagAfter, r.lag)
		} else {
			rep.DueBefore++
			rep.MaxLagBefore = max(rep.MaxLagBefore, r.lag)
		}
	}
	if cfg.Log != nil { // the largest lag per second of due times, for the log
		worst := map[int]time.Duration{}
		for _, r := range results {
			if r.ended {
				sec := int(due(r.i).Sub(takeover).Seconds())
				worst[sec] = max(worst[sec], r.lag)
			}
		}
		var secs []int
		for s := range worst {
			secs = append(secs, s)
		}
		slices.Sort(secs)
		for _, s := range secs {
			fmt.Fprintf(cfg.Log, "  due %+ds from the takeover: largest lag %s\n", s, worst[s].Round(time.Millisecond))
		}
	}
	rep.DueAfter = len(after)
	if len(after) > 0 {
		slices.Sort(after)
		rep.P99LagAfter = after[len(after)*99/100]
	}
	return nil
}

// node is one sfn serve process.
type node struct {
	name string
	cmd  *exec.Cmd
	base string
	c    *http.Client
	done chan struct{}
	exit *os.ProcessState
}

func startNode(ctx context.Context, cfg Config, name string) (*node, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(cfg.Dir, "node-"+name+".log"))
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--redis-url", cfg.RedisURL, "--redis-prefix", cfg.Prefix,
		"--node", name, "--log-level", "warn"}
	if cfg.Pprof != "" && name == "C" {
		args = append(args, "--pprof", cfg.Pprof)
	}
	cmd := exec.Command(cfg.SFN, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")} // no SFN_* of the caller
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	n := &node{name: name, cmd: cmd, base: "http://" + addr, done: make(chan struct{}),
		c: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}}
	go func() {
		_ = cmd.Wait()
		n.exit = cmd.ProcessState
		logf.Close()
		close(n.done)
	}()
	if _, err := n.waitReady(ctx, time.Now()); err != nil {
		n.kill()
		return nil, err
	}
	return n, nil
}

// kill ends the node with SIGKILL; false when it had exited already.
func (n *node) kill() bool {
	select {
	case <-n.done:
		return false
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
	return true
}

// stop ends the node with SIGTERM (it hands its leases back) and waits.
func (n *node) stop() error {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		return nil
	case <-time.After(30 * time.Second):
		n.kill()
		return fmt.Errorf("node %s did not stop within 30s of SIGTERM", n.name)
	}
}

func (n *node) waitReady(ctx context.Context, since time.Time) (time.Duration, error) {
	for {
		resp, err := n.c.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		select {
		case <-n.done:
			return 0, fmt.Errorf("node %s exited before it was ready", n.name)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Since(since) > 2*time.Minute {
			return 0, fmt.Errorf("node %s not ready within 2 minutes", n.name)
		}
	}
}

// waitGauge polls a gauge of the node's /metrics until ok accepts it and
// returns the time since since.
func (n *node) waitGauge(ctx context.Context, since time.Time, series string, ok func(float64) bool) (time.Duration, error) {
	for {
		if v, err := n.gauge(ctx, series); err == nil && ok(v) {
			return time.Since(since), nil
		}
		select {
		case <-n.done:
			return 0, fmt.Errorf("node %s exited waiting for %s", n.name, series)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(since) > 5*time.Minute {
			return 0, fmt.Errorf("node %s: %s not as wanted within 5 minutes", n.name, series)
		}
	}
}

func (n *node) gauge(ctx context.Context, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := n.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if name, v, ok := strings.Cut(sc.Text(), " "); ok && name == series {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no series %s", series)
}

func (n *node) call(ctx context.Context, method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, n.base+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := n.c.Do(req)
		if err != nil {
			if attempt < 3 && ctx.Err() == nil { // starts are idempotent by name
				continue
			}
			return err
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	}
}

func redisClient(url string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return goredis.NewClient(opt), nil
}

// infoInt reads one integer field of a section of INFO.
func infoInt(ctx context.Context, rdb *goredis.Client, section, field string) (int64, error) {
	s, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO %s has no %s", section, field)
}
