package metrics_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/metrics"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// node is one sfn node: an engine with metrics behind a real listener.
type node struct {
	srv  *httptest.Server
	open *metrics.Open
}

// setup starts a node on st (shared between nodes to stand for Redis).
func setup(t *testing.T, st store.Store, export func() bool) *node {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	st = m.WrapStore(st)
	open, err := m.WatchOpen(metrics.OpenConfig{Store: st, Interval: time.Hour, Export: export})
	if err != nil {
		t.Fatal(err)
	}
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Observer: m, TimerPoll: 50 * time.Millisecond})
	var calls atomic.Int64
	engine.RegisterHandler("flaky", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		if calls.Add(1)%2 == 1 {
			return nil, &failure.Error{Name: "Flaky.Outage", Cause: "try again"}
		}
		return json.RawMessage(`{"ok":true}`), nil
	})
	engine.RegisterHandler("declined", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &failure.Error{Name: "Card.Declined", Cause: "no"}
	})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := open.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, Registry: reg}))
	t.Cleanup(func() {
		srv.Close()
		open.Stop()
		engine.Stop()
	})
	return &node{srv: srv, open: open}
}

func (n *node) do(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, n.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := n.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return m
}

// run starts an execution of sm and waits for it to end; it returns the status.
func (n *node) run(t *testing.T, sm string) string {
	t.Helper()
	m := n.do(t, http.MethodPost, "/v1/state-machines/"+sm+"/executions?wait=20s", `{"input":{}}`)
	return m["status"].(string)
}

// scrape reads /metrics as series text -> value.
func (n *node) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	res, err := n.srv.Client().Get(n.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

const (
	chainDef = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}`
	failDef  = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E.Boom","Cause":"because"}}}`
	// retryCatch catches Card.Declined into a Pass, then retries
	// Flaky.Outage once (the second attempt succeeds).
	retryCatchDef = `{"StartAt":"Refuse","States":{
	  "Refuse":{"Type":"Task","Resource":"handler:declined","Catch":[{"ErrorEquals":["Card.Declined"],"Next":"Declined"}],"End":true},
	  "Declined":{"Type":"Pass","Next":"Charge"},
	  "Charge":{"Type":"Task","Resource":"handler:flaky","Retry":[{"ErrorEquals":["Flaky.Outage"],"IntervalSeconds":1,"MaxAttempts":2}],"End":true}}}`
	waitDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
)

func TestCountersMoveWithExecutions(t *testing.T) {
	t.Parallel()
	n := setup(t, memory.New(), nil)
	n.do(t, http.MethodPut, "/v1/state-machines/chain", chainDef)
	n.do(t, http.MethodPut, "/v1/state-machines/boom", failDef)
	n.do(t, http.MethodPut, "/v1/state-machines/charge", retryCatchDef)
	for range 3 {
		if s := n.run(t, "chain"); s != store.StatusSucceeded {
			t.Fatalf("chain: %s", s)
		}
	}
	if s := n.run(t, "boom"); s != store.StatusFailed {
		t.Fatalf("boom: %s", s)
	}
	if s := n.run(t, "charge"); s != store.StatusSucceeded {
		l := n.do(t, http.MethodGet, "/v1/executions?stateMachine=charge", "")
		id := l["executions"].([]any)[0].(map[string]any)["executionId"].(string)
		t.Fatalf("charge: %s %v", s, n.do(t, http.MethodGet, "/v1/executions/"+id+"/history", ""))
	}
	// Redrive the failed one: it fails again.
	list := n.do(t, http.MethodGet, "/v1/executions?stateMachine=boom", "")
	id := list["executions"].([]any)[0].(map[string]any)["executionId"].(string)
	n.do(t, http.MethodPost, "/v1/executions/"+id+"/redrive", "")
	waitFor(t, func() bool {
		return n.scrape(t)[`sfn_executions_ended_total{state_machine="boom",status="failed"}`] == 2
	})

	got := n.scrape(t)
	want := map[string]float64{
		`sfn_executions_started_total{state_machine="chain"}`:                           3,
		`sfn_executions_ended_total{state_machine="chain",status="succeeded"}`:          3,
		`sfn_executions_ended_total{state_machine="chain",status="failed"}`:             0,
		`sfn_state_transitions_total{kind="Pass",state_machine="chain"}`:                6,
		`sfn_executions_started_total{state_machine="boom"}`:                            1,
		`sfn_executions_ended_total{state_machine="boom",status="failed"}`:              2,
		`sfn_executions_redriven_total{state_machine="boom"}`:                           1,
		`sfn_state_transitions_total{kind="Fail",state_machine="boom"}`:                 2,
		`sfn_executions_ended_total{state_machine="charge",status="succeeded"}`:         1,
		`sfn_state_transitions_total{kind="Task",state_machine="charge"}`:               2,
		`sfn_state_transitions_total{kind="Pass",state_machine="charge"}`:               1,
		`sfn_retries_total{error="Flaky.Outage",state="Charge",state_machine="charge"}`: 1,
		`sfn_catches_total{error="Card.Declined",state_machine="charge"}`:               1,
		`sfn_task_calls_total{outcome="succeeded",resource_kind="handler"}`:             1,
		`sfn_task_calls_total{outcome="failed",resource_kind="handler"}`:                2,
		`sfn_task_duration_seconds_count{resource_kind="handler"}`:                      3,
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
	for _, series := range []string{`sfn_store_operation_duration_seconds_count{op="create_execution"}`,
		`sfn_store_operation_duration_seconds_count{op="commit"}`, `sfn_http_requests_total{code="200",method="POST",route="/v1/state-machines/{name}/executions"}`} {
		if got[series] == 0 {
			t.Errorf("%s is 0 or missing", series)
		}
	}
	for series := range got {
		if strings.Contains(series, id) || strings.Contains(series, "execution_id") {
			t.Errorf("series %s names an execution", series)
		}
	}
}

func TestOpenExecutionsAcrossNodes(t *testing.T) {
	t.Parallel()
	shared := memory.New()
	a := setup(t, shared, nil)
	b := setup(t, shared, nil)
	quiet := setup(t, shared, func() bool { return false })
	a.do(t, http.MethodPut, "/v1/state-machines/waiter", waitDef)
	ids := make([]string, 0, 3)
	for i := range 3 {
		m := a.do(t, http.MethodPost, "/v1/state-machines/waiter/executions", `{"name":"w`+strconv.Itoa(i)+`"}`)
		ids = append(ids, m["executionId"].(string))
	}
	const series = `sfn_executions_open{state_machine="waiter"}`
	for name, n := range map[string]*node{"a": a, "b": b} {
		n.open.Refresh(context.Background())
		if got := n.scrape(t)[series]; got != 3 {
			t.Errorf("node %s: %s = %v, want 3 (read from the store, not counted in process)", name, series, got)
		}
	}
	quiet.open.Refresh(context.Background())
	if got, ok := quiet.scrape(t)[series]; ok {
		t.Errorf("a node that does not export reports %s = %v", series, got)
	}
	// Stopping on node b changes what node a counts.
	b.do(t, http.MethodPost, "/v1/executions/"+ids[0]+"/stop", "")
	a.open.Refresh(context.Background())
	if got := a.scrape(t)[series]; got != 2 {
		t.Errorf("after a stop: %s = %v, want 2", series, got)
	}
	for _, id := range ids[1:] {
		a.do(t, http.MethodPost, "/v1/executions/"+id+"/stop", "")
	}
	a.open.Refresh(context.Background())
	if got, ok := a.scrape(t)[series]; !ok || got != 0 {
		t.Errorf("all stopped: %s = %v (present %v), want 0", series, got, ok)
	}
}

// failingStore answers every call with an error.
type failingStore struct{ store.Store }

var errDown = errors.New("connection refused")

func (failingStore) Ping(context.Context) error { return errDown }
func (failingStore) GetExecution(context.Context, string) (*store.Execution, error) {
	return nil, errDown
}
func (failingStore) Commit(context.Context, store.CommitParams) error { return store.ErrConflict }
func (failingStore) History(context.Context, store.HistoryQuery) ([]store.Event, error) {
	return nil, store.ErrNotFound
}

func TestStoreErrorsByKind(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	leased := m.WrapStore(memory.WithLeases(memory.New(), 4))
	if _, ok := leased.(store.Leaser); !ok {
		t.Error("the wrapper hides the store's Leaser")
	}
	if _, ok := leased.(store.NodeRegistry); !ok {
		t.Error("the wrapper hides the store's NodeRegistry")
	}
	if _, ok := m.WrapStore(memory.New()).(store.Leaser); ok {
		t.Error("the wrapper of a store without leases claims to have them")
	}
	st := m.WrapStore(failingStore{memory.New()})
	ctx := context.Background()
	_ = st.Ping(ctx)
	_, _ = st.GetExecution(ctx, "x")
	_ = st.Commit(ctx, store.CommitParams{})
	_, _ = st.History(ctx, store.HistoryQuery{ID: "x"})
	srv := httptest.NewServer(promhandler(reg))
	defer srv.Close()
	got := (&node{srv: srv}).scrape(t)
	want := map[string]float64{
		`sfn_store_errors_total{kind="error",op="ping"}`:           1,
		`sfn_store_errors_total{kind="error",op="get_execution"}`:  1,
		`sfn_store_errors_total{kind="conflict",op="commit"}`:      1,
		`sfn_store_operation_duration_seconds_count{op="history"}`: 1,
	}
	for series, v := range want {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	for series := range got {
		if strings.Contains(series, `op="history"`) && strings.HasPrefix(series, "sfn_store_errors_total") {
			t.Errorf("not found counted as an error: %s", series)
		}
	}
}

func TestRegisteringTwiceFails(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Fatal("a second New on the same registry should fail, not panic or double count")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
