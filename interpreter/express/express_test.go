package express_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

const (
	threePasses = `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
		"C":{"Type":"Pass","Result":3,"ResultPath":"$.c","End":true}}}`
	fails    = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"on purpose"}}}`
	waits    = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`
	blocks   = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"handler:block","End":true}}}`
	activity = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"activity:work","End":true}}}`
	callback = `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"http://127.0.0.1:1/x","Method":"POST"},"End":true}}}]}}}`
)

// gate is a task handler that holds every call until it is opened (or
// its call's context ends), and says when a call has arrived.
type gate struct {
	open    chan struct{}
	arrived chan struct{}
}

func newGate() *gate { return &gate{open: make(chan struct{}), arrived: make(chan struct{}, 100)} }

func (g *gate) handler(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	g.arrived <- struct{}{}
	select {
	case <-g.open:
		return json.RawMessage(`{"released":true}`), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ends collects the executions a Runner reports ended.
type ends struct {
	mu  sync.Mutex
	got []express.Result
	c   chan express.Result
}

func newEnds() *ends { return &ends{c: make(chan express.Result, 100)} }

func (e *ends) add(r express.Result) {
	e.mu.Lock()
	e.got = append(e.got, r)
	e.mu.Unlock()
	select {
	case e.c <- r:
	default:
		// Nobody reads the notices this far behind (a test that starts
		// runs in a loop until Stop refuses them, which a loaded machine
		// makes long): blocking here would hold the run, and Stop waits
		// for it. got keeps every end.
	}
}

func (e *ends) next(t *testing.T) express.Result {
	t.Helper()
	select {
	case r := <-e.c:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no execution ended within 10s")
		return express.Result{}
	}
}

// fixture is a shared store with state machines and a Runner over it.
type fixture struct {
	shared store.Store
	eng    *interpreter.Engine // writes definitions to the shared store, as the API's engine does
	gate   *gate
	ends   *ends
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, memory.New())
}

// newFixtureOn is newFixture over a store of the test's choosing.
func newFixtureOn(t *testing.T, shared store.Store) *fixture {
	t.Helper()
	f := &fixture{shared: shared, eng: interpreter.New(interpreter.Config{Store: shared}), gate: newGate(), ends: newEnds()}
	for name, def := range map[string]string{"passes": threePasses, "fails": fails, "waits": waits, "blocks": blocks, "activity": activity, "callback": callback} {
		f.put(t, name, def)
	}
	return f
}

func (f *fixture) put(t *testing.T, name, def string) int {
	t.Helper()
	res, err := f.eng.PutStateMachine(context.Background(), name, []byte(def), dsl.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return res.StateMachine.Version
}

// runner starts a Runner over the fixture's store, stopped when the test ends.
func (f *fixture) runner(t *testing.T, change func(*express.Config)) *express.Runner {
	t.Helper()
	cfg := express.Config{Store: f.shared, Handlers: map[string]interpreter.Handler{"block": f.gate.handler}, Ended: f.ends.add}
	if change != nil {
		change(&cfg)
	}
	r := express.New(cfg)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// lostStart is an asynchronous start as a node left it in the shared store.
type lostStart struct {
	id, node, sm         string
	version              int
	input                string // JSON; "" leaves its input document out
	startedAt, writtenAt time.Time
}

// putStart writes s's start document and its input, and returns the
// start document's data.
func (f *fixture) putStart(t *testing.T, s lostStart) []byte {
	t.Helper()
	ctx := context.Background()
	data, err := json.Marshal(map[string]any{"node": s.node, "stateMachine": s.sm, "version": s.version, "name": "lost",
		"inputBytes": len(s.input), "startedAt": s.startedAt, "writtenAt": s.writtenAt, "runs": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.shared.PutDoc(ctx, store.Doc{Kind: express.KindStart, Name: s.id, Data: data}); err != nil {
		t.Fatal(err)
	}
	if s.input != "" {
		if _, err := f.shared.PutDoc(ctx, store.Doc{Kind: express.KindInput, Name: s.id, Data: []byte(s.input)}); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// wantStartGone fails the test unless start id's documents are gone.
func (f *fixture) wantStartGone(t *testing.T, id string) {
	t.Helper()
	for _, kind := range []string{express.KindStart, express.KindInput} {
		if _, err := f.shared.GetDoc(context.Background(), kind, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s document of %s: %v, want ErrNotFound", kind, id, err)
		}
	}
}

func TestStartSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, nil)
	ctx := context.Background()
	tests := []struct {
		sm, input       string
		status          string
		output          string // "" when none
		errName, cause  string
		wantInputEchoed string
	}{
		{sm: "passes", input: `{"n": 0}`, status: store.StatusSucceeded, output: `{"n":0,"a":1,"b":2,"c":3}`},
		{sm: "passes", input: ``, status: store.StatusSucceeded, output: `{"a":1,"b":2,"c":3}`},
		{sm: "fails", input: `{}`, status: store.StatusFailed, errName: "Boom", cause: "on purpose"},
	}
	for _, tt := range tests {
		t.Run(tt.sm, func(t *testing.T) {
			before := time.Now()
			res, err := r.StartSync(ctx, express.Start{StateMachine: tt.sm, Name: "run-1", Input: json.RawMessage(tt.input)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || string(res.Output) != tt.output || res.Error != tt.errName || res.Cause != tt.cause {
				t.Errorf("got status %s output %s error %q cause %q; want %s %s %q %q", res.Status, res.Output, res.Error, res.Cause,
					tt.status, tt.output, tt.errName, tt.cause)
			}
			if res.Name != "run-1" || res.ID == "" || res.ID == res.Name || res.StateMachine != tt.sm || res.Version != 1 {
				t.Errorf("identity: %+v", res)
			}
			if res.StartedAt.Before(before.Add(-time.Second)) || res.StoppedAt.Before(res.StartedAt) {
				t.Errorf("started %s, stopped %s (test began %s)", res.StartedAt, res.StoppedAt, before)
			}
		})
	}
	// Nothing is kept once the results are read.
	r.SweepNow(ctx)
	if n := r.HeldInMemory(ctx); n != 0 {
		t.Errorf("the private store holds %d executions after they ended", n)
	}
	if n := r.Running(); n != 0 {
		t.Errorf("Running() = %d after every run ended", n)
	}
}

// Express names are not idempotent: the same name with the same input
// starts a new execution each time, each with its own id.
func TestNamesAreNotIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, nil)
	seen := map[string]bool{}
	for range 3 {
		res, err := r.StartSync(context.Background(), express.Start{StateMachine: "passes", Name: "same", Input: json.RawMessage(`{}`)})
		if err != nil || res.Status != store.StatusSucceeded {
			t.Fatalf("%v %+v", err, res)
		}
		if seen[res.ID] {
			t.Fatalf("id %s given twice", res.ID)
		}
		seen[res.ID] = true
	}
	// A start without a name gets a new one.
	res, err := r.StartSync(context.Background(), express.Start{StateMachine: "passes"})
	if err != nil || res.Name == "" || !interpreter.ValidName(res.Name) {
		t.Fatalf("unnamed start: %v %+v", err, res)
	}
}

// An Express execution runs at most MaxDuration, then times out with
// States.Timeout, as AWS's five minutes do.
func TestTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, func(c *express.Config) { c.MaxDuration = time.Second })
	res, err := r.StartSync(context.Background(), express.Start{StateMachine: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != store.StatusTimedOut || res.Error != "States.Timeout" {
		t.Errorf("got %s %s, want TIMED_OUT States.Timeout", res.Status, res.Error)
	}
	if d := res.StoppedAt.Sub(res.StartedAt); d < time.Second || d > 5*time.Second {
		t.Errorf("ran %s, want about 1s", d)
	}
}

// The run uses the version asked for; each shared version maps to its own
// copy, also when a later version goes back to an earlier definition.
func TestVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, nil)
	pass := func(v string) string {
		return fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":%q,"End":true}}}`, v)
	}
	v1 := f.put(t, "versioned", pass("one"))
	v2 := f.put(t, "versioned", pass("two"))
	v3 := f.put(t, "versioned", pass("one again"))
	tests := []struct {
		version int
		want    string
		ran     int
	}{
		{v2, `"two"`, v2}, {v1, `"one"`, v1}, {0, `"one again"`, v3}, {v3, `"one again"`, v3}, {v1, `"one"`, v1},
	}
	for _, tt := range tests {
		res, err := r.StartSync(context.Background(), express.Start{StateMachine: "versioned", Version: tt.version})
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Output) != tt.want || res.Version != tt.ran {
			t.Errorf("version %d: output %s of version %d, want %s of %d", tt.version, res.Output, res.Version, tt.want, tt.ran)
		}
	}
	_, err := r.StartSync(context.Background(), express.Start{StateMachine: "versioned", Version: 99})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("absent version: %v, want ErrNotFound", err)
	}
	_, err = r.StartSync(context.Background(), express.Start{StateMachine: "absent"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("absent state machine: %v, want ErrNotFound", err)
	}
}

// Activities and callbacks are refused before anything runs, wherever they
// are in the definition.
func TestUnsupportedTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, nil)
	for sm, want := range map[string]string{"activity": "activities", "callback": ".waitForTaskToken"} {
		_, err := r.StartSync(context.Background(), express.Start{StateMachine: sm})
		var ue *express.UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || ue.State != "T" {
			t.Errorf("%s: %v, want an UnsupportedError about %s in state T", sm, err, want)
		}
		_, err = r.StartAsync(context.Background(), express.Start{StateMachine: sm})
		if !errors.As(err, &ue) {
			t.Errorf("%s (async): %v, want an UnsupportedError", sm, err)
		}
	}
	if n := r.Running(); n != 0 {
		t.Errorf("Running() = %d after refused starts", n)
	}
	for _, kind := range []string{express.KindStart, express.KindInput} {
		if docs, _, _ := f.shared.ListDocs(context.Background(), kind, "", 10); len(docs) != 0 {
			t.Errorf("refused async starts left %d %s documents", len(docs), kind)
		}
	}
}

// A node holds at most MaxRunning executions and MaxBytes of their input.
func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*express.Config)
		second string // the second start's input
	}{
		{"count", func(c *express.Config) { c.MaxRunning = 1 }, `{}`},
		{"bytes", func(c *express.Config) { c.MaxBytes = 20 }, `{"pad":"0123456789"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := f.runner(t, tt.change)
			ctx := context.Background()
			first := make(chan error, 1)
			go func() {
				_, err := r.StartSync(ctx, express.Start{StateMachine: "blocks", Input: json.RawMessage(`{"n":1}`)})
				first <- err
			}()
			<-f.gate.arrived
			_, err := r.StartSync(ctx, express.Start{StateMachine: "passes", Input: json.RawMessage(tt.second)})
			if !errors.Is(err, express.ErrLimitExceeded) {
				t.Errorf("second start: %v, want ErrLimitExceeded", err)
			}
			_, err = r.StartAsync(ctx, express.Start{StateMachine: "passes", Input: json.RawMessage(tt.second)})
			if !errors.Is(err, express.ErrLimitExceeded) {
				t.Errorf("second async start: %v, want ErrLimitExceeded", err)
			}
			close(f.gate.open)
			if err := <-first; err != nil {
				t.Fatal(err)
			}
			// Room again once the first has ended.
			if _, err := r.StartSync(ctx, express.Start{StateMachine: "passes", Input: json.RawMessage(tt.second)}); err != nil {
				t.Errorf("start after the first ended: %v", err)
			}
		})
	}
}

// An asynchronous start is in the shared store, naming this node, while it
// runs, and gone once it has ended.
func TestStartAsync(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, func(c *express.Config) { c.Node = "node-a" })
	ctx := context.Background()
	res, err := r.StartAsync(ctx, express.Start{StateMachine: "blocks", Name: "bg", Input: json.RawMessage(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != store.StatusRunning || res.ID == "" || res.Name != "bg" || res.StartedAt.IsZero() {
		t.Errorf("StartAsync answered %+v", res)
	}
	<-f.gate.arrived
	d, err := f.shared.GetDoc(ctx, express.KindStart, res.ID)
	if err != nil {
		t.Fatalf("start document while running: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(d.Data, &doc); err != nil {
		t.Fatal(err)
	}
	// The start is small (every node lists them all); its input is a
	// document of its own.
	want := map[string]any{"node": "node-a", "stateMachine": "blocks", "version": 1.0, "name": "bg", "inputBytes": 9.0, "runs": 1.0}
	for k, v := range want {
		if diff := cmp.Diff(v, doc[k]); diff != "" {
			t.Errorf("document %s: %s", k, diff)
		}
	}
	if _, ok := doc["input"]; ok {
		t.Errorf("the start document holds the input: %s", d.Data)
	}
	if in, err := f.shared.GetDoc(ctx, express.KindInput, res.ID); err != nil || string(in.Data) != `{"k":"v"}` {
		t.Errorf("input document %s (%v), want {\"k\":\"v\"}", in.Data, err)
	}
	close(f.gate.open)
	end := f.ends.next(t)
	if end.ID != res.ID || end.Status != store.StatusSucceeded || string(end.Output) != `{"released":true}` {
		t.Errorf("ended %+v", end)
	}
	f.wantStartGone(t, res.ID)
}

// A node cut off by a shutdown leaves its asynchronous starts; another
// node runs them again under the same id, once.
func TestRecoveryAfterShutdown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.runner(t, func(c *express.Config) { c.Node = "node-a"; c.StopGrace = time.Millisecond })
	ctx := context.Background()
	res, err := a.StartAsync(ctx, express.Start{StateMachine: "blocks", Name: "survivor", Input: json.RawMessage(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	<-f.gate.arrived
	a.Stop() // the run is cut; its start stays
	// A round of the stopped node (one in flight when Stop began) leaves
	// it too: a start cut here is not one that ended here.
	if _, err := a.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.shared.GetDoc(ctx, express.KindStart, res.ID); err != nil {
		t.Fatalf("start document after the cut: %v", err)
	}
	if len(f.ends.got) != 0 {
		t.Fatalf("a cut run was reported ended: %+v", f.ends.got)
	}
	// Two nodes recover at once: both judge the start lost and claim it
	// together (each waits at the claim for the other), and one wins.
	var atClaim sync.WaitGroup
	atClaim.Add(2)
	together := func(string) {
		atClaim.Done()
		atClaim.Wait()
	}
	b := f.runner(t, func(c *express.Config) {
		c.Node, c.RecoverEvery = "node-b", time.Hour
		express.NoFirstRecovery(c)
		express.BeforeClaim(c, together)
	})
	c := f.runner(t, func(c *express.Config) {
		c.Node, c.RecoverEvery = "node-c", time.Hour
		express.NoFirstRecovery(c)
		express.BeforeClaim(c, together)
	})
	var wg sync.WaitGroup
	taken := make([]int, 2)
	for i, rr := range []*express.Runner{b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := rr.Recover(ctx)
			if err != nil {
				t.Error(err)
			}
			taken[i] += n
		}()
	}
	wg.Wait()
	if total := taken[0] + taken[1]; total != 1 {
		t.Fatalf("the start was taken %d times, want once", total)
	}
	<-f.gate.arrived
	d, err := f.shared.GetDoc(ctx, express.KindStart, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Node string
		Runs int
	}
	_ = json.Unmarshal(d.Data, &doc)
	if doc.Runs != 2 || (doc.Node != "node-b" && doc.Node != "node-c") {
		t.Errorf("claimed document: %+v", doc)
	}
	close(f.gate.open)
	end := f.ends.next(t)
	if end.ID != res.ID || end.Name != "survivor" || end.Status != store.StatusSucceeded || string(end.Input) != `{"x":1}` {
		t.Errorf("the recovered run ended as %+v", end)
	}
	f.wantStartGone(t, res.ID)
	select {
	case again := <-f.ends.c:
		t.Errorf("the start ran a third time: %+v", again)
	default:
	}
}

// The start documents and heartbeats work on Redis as on memory: a start
// cut by one node's shutdown is run again by another.
func TestRecoveryOnRedis(t *testing.T) {
	t.Parallel()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Prefix: fmt.Sprintf("express%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := newFixtureOn(t, st)
	ctx := context.Background()
	a := f.runner(t, func(c *express.Config) { c.Node = "redis-a"; c.StopGrace = time.Millisecond })
	res, err := a.StartAsync(ctx, express.Start{StateMachine: "blocks", Name: "on-redis", Input: json.RawMessage(`{"r":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	<-f.gate.arrived
	a.Stop()
	b := f.runner(t, func(c *express.Config) { c.Node = "redis-b" }) // its first round takes the start
	<-f.gate.arrived
	close(f.gate.open)
	end := f.ends.next(t)
	if end.ID != res.ID || end.Status != store.StatusSucceeded || string(end.Input) != `{"r":1}` {
		t.Errorf("recovered run ended as %+v", end)
	}
	f.wantStartGone(t, res.ID)
	if b.Running() != 0 {
		t.Errorf("node b still holds %d runs", b.Running())
	}
}

// A start whose node's heartbeat is live stays with it; one whose node is
// unknown is taken; one of this node from before a restart is run again.
func TestRecoveryJudgesNodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	boot := time.Now()
	put := func(kind, name string, v any) {
		data, _ := json.Marshal(v)
		if _, err := f.shared.PutDoc(ctx, store.Doc{Kind: kind, Name: name, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	start := func(id, node string, writtenAt time.Time, input string) {
		f.putStart(t, lostStart{id: id, node: node, sm: "passes", version: 1, input: input, startedAt: writtenAt, writtenAt: writtenAt})
	}
	put(express.KindNode, "alive", map[string]any{"until": boot.Add(time.Hour)})
	put(express.KindNode, "lapsed", map[string]any{"until": boot.Add(-time.Minute)})
	start("of-alive", "alive", boot, `{}`)
	start("of-lapsed", "lapsed", boot, `{}`)
	start("of-unknown", "never-heard-of", boot, `{}`)
	start("of-me-before", "me", boot.Add(-time.Minute), `{}`)
	// Never acknowledged (its node died between its two writes, longer
	// than a node's lifetime ago): dropped.
	start("of-lapsed-without-input", "lapsed", boot.Add(-time.Minute), "")
	// Written within a node's lifetime without its input yet: its node may
	// only be slow between its two writes; it stays (given back).
	start("of-lapsed-recent-without-input", "lapsed", boot, "")
	r := f.runner(t, func(c *express.Config) { c.Node = "me"; c.RecoverEvery = time.Hour })
	// A round now, besides the one Start began: each start is taken once.
	if _, err := r.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 3 {
		got[f.ends.next(t).ID] = true
	}
	if n, err := r.Recover(ctx); err != nil || n != 0 {
		t.Errorf("a round after the runs ended took %d (%v)", n, err)
	}
	select {
	case again := <-f.ends.c:
		t.Errorf("a start ran twice: %+v", again)
	default:
	}
	if diff := cmp.Diff(map[string]bool{"of-lapsed": true, "of-unknown": true, "of-me-before": true}, got); diff != "" {
		t.Errorf("runs again (-want +got):\n%s", diff)
	}
	for kind, want := range map[string][]string{
		express.KindStart: {"of-alive", "of-lapsed-recent-without-input"},
		express.KindInput: {"of-alive"},
	} {
		docs, _, err := f.shared.ListDocs(ctx, kind, "", 10)
		var names []string
		for _, d := range docs {
			names = append(names, d.Name)
		}
		if err != nil || !slices.Equal(names, want) {
			t.Errorf("%s documents left: %v %v, want %v", kind, names, err, want)
		}
	}
}

// A synchronous caller whose run is cut by a shutdown sees an error.
func TestStopCutsSyncRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, func(c *express.Config) { c.StopGrace = time.Millisecond })
	errc := make(chan error, 1)
	go func() {
		_, err := r.StartSync(context.Background(), express.Start{StateMachine: "blocks"})
		errc <- err
	}()
	<-f.gate.arrived
	r.Stop()
	if err := <-errc; !errors.Is(err, express.ErrStopped) {
		t.Errorf("cut sync run: %v, want ErrStopped", err)
	}
	if _, err := r.StartSync(context.Background(), express.Start{StateMachine: "passes"}); !errors.Is(err, express.ErrStopped) {
		t.Errorf("start after Stop: %v, want ErrStopped", err)
	}
}

// Stop lets the runs in flight finish within the grace period.
func TestStopWaitsForRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.runner(t, func(c *express.Config) { c.StopGrace = time.Minute })
	errc := make(chan error, 1)
	go func() {
		res, err := r.StartSync(context.Background(), express.Start{StateMachine: "blocks"})
		if err == nil && res.Status != store.StatusSucceeded {
			err = fmt.Errorf("status %s", res.Status)
		}
		errc <- err
	}()
	<-f.gate.arrived
	stopped := make(chan struct{})
	go func() {
		r.Stop()
		close(stopped)
	}()
	// Stop has begun once it refuses starts; the run is still held.
	for {
		_, err := r.StartSync(context.Background(), express.Start{StateMachine: "passes"})
		if errors.Is(err, express.ErrStopped) {
			break
		}
		if err != nil {
			t.Fatalf("start while Stop begins: %v", err)
		}
	}
	select {
	case <-stopped:
		t.Fatal("Stop returned while a run was in flight")
	default:
	}
	close(f.gate.open)
	if err := <-errc; err != nil {
		t.Errorf("a run finishing during Stop: %v", err)
	}
	<-stopped
}

// The context object of an Express run names it as AWS does: $$.Execution.Id
// is its express ARN and $$.Execution.Name the caller's name, not the UUID
// the node stores it under; $$.StateMachine.Id is the state machine's ARN.
func TestContextObjectNamesTheRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put(t, "context", `{"StartAt":"Ids","States":{"Ids":{"Type":"Pass","End":true,
		"Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","sm.$":"$$.StateMachine.Id"}}}}`)
	space := arn.Space{Region: "eu-west-1", Account: "210987654321"}
	r := f.runner(t, func(c *express.Config) { c.Space = space })
	res, err := r.StartSync(context.Background(), express.Start{StateMachine: "context", Name: "caller-name"})
	if err != nil || res.Status != store.StatusSucceeded {
		t.Fatalf("%v %+v", err, res)
	}
	var got struct{ ID, Name, SM string }
	if err := json.Unmarshal(res.Output, &struct {
		ID   *string `json:"id"`
		Name *string `json:"name"`
		SM   *string `json:"sm"`
	}{&got.ID, &got.Name, &got.SM}); err != nil {
		t.Fatal(err)
	}
	if want := space.Express("context", "caller-name", res.ID); got.ID != want {
		t.Errorf("$$.Execution.Id = %q, want %q", got.ID, want)
	}
	if got.Name != "caller-name" {
		t.Errorf("$$.Execution.Name = %q, want caller-name", got.Name)
	}
	if want := space.StateMachine("context"); got.SM != want {
		t.Errorf("$$.StateMachine.Id = %q, want %q", got.SM, want)
	}
}

// A lost start that a recovering node claims but cannot run for a reason
// that passes (its store fails for a moment, it filled up since it
// judged) is given back as it was, and a later round runs it; one that can
// never run (its state machine version does not exist) is dropped.
func TestRecoveryGivesBackWhatMayRunLater(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   faultstore.Op // the recovering node's store fails one call of it
		full    bool          // the recovering node fills up between its claim and the run
		stuck   bool          // and giving the start back fails: it stays claimed
		unsure  bool          // the claim's write is applied but answers an error
		version int           // the start's; 99 does not exist
	}{
		{name: "store fault", fault: faultstore.GetStateMachineVersion, version: 1},
		{name: "store fault, give-back fails", fault: faultstore.GetStateMachineVersion, stuck: true, version: 1},
		{name: "input read fails", fault: faultstore.GetDoc, version: 1},
		{name: "claim applied but failed", unsure: true, version: 1},
		{name: "full node", full: true, version: 1},
		{name: "no such version", version: 99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			// The start of a node that is gone (it has no heartbeat).
			const id = "lost-start"
			data := f.putStart(t, lostStart{id: id, node: "gone", sm: "blocks", version: tt.version, input: `{"l":1}`,
				startedAt: time.Now(), writtenAt: time.Now()})
			shared, faults := faultstore.Wrap(f.shared, 1)
			switch tt.fault {
			case faultstore.GetDoc: // of the input, not of a heartbeat
				faults.Add(faultstore.Rule{Op: tt.fault, Count: 1, Match: func(doc string) bool { return doc == express.KindInput+"/"+id }})
			case faultstore.GetStateMachineVersion:
				faults.Add(faultstore.Rule{Op: tt.fault, Count: 1})
			}
			if tt.unsure {
				faults.Add(faultstore.Rule{Op: faultstore.PutDoc, Count: 1, Applied: true, Match: func(doc string) bool { return doc == express.KindStart+"/"+id }})
			}
			var b *express.Runner
			filled := false
			b = f.runner(t, func(c *express.Config) {
				c.Node, c.Store, c.RecoverEvery, c.StopGrace, c.MaxRunning = "node-b", shared, time.Hour, time.Millisecond, 1
				express.NoFirstRecovery(c)
				express.Claimed(c, func(string) {
					if tt.stuck {
						faults.Add(faultstore.Rule{Op: faultstore.PutDoc, Count: 1, Match: func(doc string) bool { return doc == express.KindStart+"/"+id }})
					}
					if !tt.full || filled {
						return
					}
					filled = true
					if _, err := b.StartAsync(ctx, express.Start{StateMachine: "blocks", Name: "filler"}); err != nil {
						t.Errorf("filling node b: %v", err)
					}
				})
			})
			if n, err := b.Recover(ctx); n != 0 || (err != nil) != tt.unsure {
				t.Fatalf("first round took %d (%v), want 0 (with an error: %t)", n, err, tt.unsure)
			}
			after, err := f.shared.GetDoc(ctx, express.KindStart, id)
			if tt.version == 99 {
				f.wantStartGone(t, id)
				return
			}
			if err != nil {
				t.Fatalf("start after the first round: %v, want it given back", err)
			}
			if !tt.stuck && !tt.unsure && string(after.Data) != string(data) {
				t.Fatalf("start after the first round:\n%s\nwant it as it was:\n%s", after.Data, data)
			}
			if tt.full {
				<-f.gate.arrived // the filler
			}
			close(f.gate.open)
			if tt.full {
				if end := f.ends.next(t); end.Name != "filler" {
					t.Fatalf("ended %+v, want the filler", end)
				}
			}
			if n, err := b.Recover(ctx); err != nil || n != 1 {
				t.Fatalf("second round took %d (%v), want 1", n, err)
			}
			end := f.ends.next(t)
			if end.ID != id || end.Status != store.StatusSucceeded || string(end.Input) != `{"l":1}` {
				t.Errorf("the recovered run ended as %+v", end)
			}
			f.wantStartGone(t, id)
		})
	}
}

// A run taken again after its node was lost keeps its first start time,
// and its time limit counts from it: it gets what is left, and one whose
// time ran out ends TIMED_OUT at once.
func TestRecoveredRunKeepsItsStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sm string
		age      time.Duration // since its first start
		status   string
	}{
		{"ends", "passes", time.Minute, store.StatusSucceeded},
		{"times out with what is left", "waits", express.MaxDuration - 2*time.Second, store.StatusTimedOut},
		{"timed out already", "waits", express.MaxDuration + time.Minute, store.StatusTimedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			started := time.Now().Add(-tt.age).UTC()
			f.putStart(t, lostStart{id: "old-start", node: "gone", sm: tt.sm, version: 1, input: `{}`, startedAt: started, writtenAt: started})
			r := f.runner(t, func(c *express.Config) { c.RecoverEvery = time.Hour; express.NoFirstRecovery(c) })
			if n, err := r.Recover(ctx); err != nil || n != 1 {
				t.Fatalf("round took %d (%v), want 1", n, err)
			}
			end := f.ends.next(t)
			if end.ID != "old-start" || end.Status != tt.status {
				t.Fatalf("ended %+v, want %s", end, tt.status)
			}
			if !end.StartedAt.Equal(started) {
				t.Errorf("StartedAt %s, want the first start %s", end.StartedAt, started)
			}
			if ran := end.StoppedAt.Sub(end.StartedAt); tt.status == store.StatusTimedOut &&
				(end.Error != "States.Timeout" || ran < express.MaxDuration || ran > tt.age+10*time.Second) {
				t.Errorf("timed out with %q after %s from the first start, want States.Timeout after %s to %s",
					end.Error, ran, express.MaxDuration, tt.age+10*time.Second)
			}
			f.wantStartGone(t, "old-start")
		})
	}
}

// An asynchronous start whose input cannot be written is refused, and
// leaves nothing behind.
func TestStartAsyncInputWriteFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared, faults := faultstore.Wrap(f.shared, 1)
	faults.Add(faultstore.Rule{Op: faultstore.PutDoc, Count: 1, Match: func(doc string) bool { return strings.HasPrefix(doc, express.KindInput+"/") }})
	r := f.runner(t, func(c *express.Config) { c.Store = shared })
	_, err := r.StartAsync(context.Background(), express.Start{StateMachine: "passes"})
	if !errors.Is(err, faultstore.ErrInjected) {
		t.Fatalf("start: %v, want the store's error", err)
	}
	if n := r.Running(); n != 0 {
		t.Errorf("Running() = %d after a refused start", n)
	}
	for _, kind := range []string{express.KindStart, express.KindInput} {
		if docs, _, _ := f.shared.ListDocs(context.Background(), kind, "", 10); len(docs) != 0 {
			t.Errorf("the refused start left %d %s documents", len(docs), kind)
		}
	}
}
