package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/itemio"
	"github.com/sfn-project/sfn/interpreter/itemio/s3test"
	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// distributed is a distributed Map labelled L whose children run proc's
// states (a JSON object of states starting at "Go"), with extra Map fields.
func distributed(extra, proc string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L",` + extra + `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},` +
		`"StartAt":"Go","States":` + proc + `},"End":true}}}`
}

const doubleItem = `{"Go":{"Type":"Pass","Parameters":{"twice.$":"States.MathAdd($.n, $.n)"},"End":true}}`

// A distributed Map runs each item as a child execution: the parent's
// history has the Map Run's events and no event per item, the children
// have AWS's ids and name their parent and run, and the Map Run's record
// counts them.
func TestDistributedMapRunsChildren(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("sm", distributed(`"MaxConcurrency":2,`, doubleItem))
	ex := f.wait(f.start("sm", `[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`).ID)
	if ex.Status != store.StatusSucceeded {
		t.Fatalf("%s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	jsonEqual(t, json.RawMessage(ex.Output), `[{"twice":2},{"twice":4},{"twice":6},{"twice":8},{"twice":10}]`)
	h := f.history(ex.ID)
	want := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(want, types(h)); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	arn, _ := find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string)
	if !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:mapRun:sm/L:") {
		t.Fatalf("mapRunArn %q", arn)
	}
	m := endedRun(t, f.eng, arn)
	if m.Status != interpreter.MapRunSucceeded || m.Total != 5 || m.Succeeded != 5 || m.Running != 0 || m.Pending != 0 || m.ExecutionID != ex.ID || m.MaxConcurrency != 2 {
		t.Fatalf("Map Run %+v", m)
	}
	kids, next, err := f.eng.MapRunExecutions(f.ctx, m.ID, 0, 10)
	if err != nil || next != -1 || len(kids) != 5 {
		t.Fatalf("children: %d, next %d, %v", len(kids), next, err)
	}
	for i, k := range kids {
		if k.StateMachine != "sm/L" || !strings.HasPrefix(k.ID, "sm/L:") || k.ParentID != ex.ID || k.MapRunID != m.ID || k.Status != store.StatusSucceeded {
			t.Errorf("child %d: %+v", i, k)
		}
		if string(k.Input) != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Errorf("child %d input %s", i, k.Input)
		}
	}
	runs, err := f.eng.MapRuns(f.ctx, ex.ID)
	if err != nil || len(runs) != 1 || runs[0].ID != m.ID {
		t.Fatalf("MapRuns: %v %v", runs, err)
	}
}

// Failures beyond the tolerance fail the run with
// States.ExceedToleratedFailureThreshold; within it the Map succeeds and
// the Map Run counts them.
func TestDistributedMapTolerance(t *testing.T) {
	t.Parallel()
	proc := `{"Go":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Boom"}],"Default":"Ok"},` +
		`"Boom":{"Type":"Fail","Error":"Item.Failed"},"Ok":{"Type":"Pass","End":true}}`
	items := `[{"fail":false},{"fail":true},{"fail":false},{"fail":true}]`
	for _, tc := range []struct {
		tol, status, errName string
	}{
		{`"ToleratedFailureCount":2,`, store.StatusSucceeded, ""},
		{`"ToleratedFailureCount":1,`, store.StatusFailed, "States.ExceedToleratedFailureThreshold"},
		{`"ToleratedFailurePercentage":50,`, store.StatusSucceeded, ""},
		{`"ToleratedFailurePercentage":49,`, store.StatusFailed, "States.ExceedToleratedFailureThreshold"},
		{``, store.StatusFailed, "States.ExceedToleratedFailureThreshold"},
	} {
		t.Run(tc.tol, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.put("sm", distributed(`"MaxConcurrency":1,"ResultPath":null,`+tc.tol, proc))
			ex := f.wait(f.start("sm", items).ID)
			if ex.Status != tc.status || ex.Error != tc.errName {
				t.Fatalf("%s %s %s, want %s %s", ex.Status, ex.Error, ex.Cause, tc.status, tc.errName)
			}
			h := f.history(ex.ID)
			m := endedRun(t, f.eng, find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string))
			if tc.status == store.StatusSucceeded && (m.Failed != 2 || m.Succeeded != 2 || m.Status != interpreter.MapRunSucceeded) {
				t.Errorf("Map Run %+v", m)
			}
			if tc.status == store.StatusFailed && (m.Status != interpreter.MapRunFailed || count(h, "MapRunFailed") != 1 || count(h, "MapStateFailed") != 1) {
				t.Errorf("Map Run %+v; history\n%s", m, typesOf(h))
			}
		})
	}
}

// Stopping the parent aborts its Map Run and stops the children running.
func TestDistributedMapStopAbortsChildren(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", distributed(`"MaxConcurrency":2,`, `{"Go":{"Type":"Task","Resource":"handler:block","End":true}}`))
	ex := f.start("sm", `[1,2,3,4]`)
	c1, c2 := b.next(t), b.next(t)
	if _, err := f.eng.StopExecution(f.ctx, ex.ID, "Operator.Stop", ""); err != nil {
		t.Fatal(err)
	}
	c1.cancelled(t)
	c2.cancelled(t)
	h := f.history(ex.ID)
	want := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunAborted", "MapStateAborted", "ExecutionAborted"}
	if diff := cmp.Diff(want, types(h)); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	m, err := f.eng.MapRun(f.ctx, find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Map Run's record to say ABORTED", func() bool {
		m, err = f.eng.MapRun(f.ctx, m.ID)
		return err == nil && m.Status == interpreter.MapRunAborted
	})
	if m.Aborted != 2 || m.Pending != 2 {
		t.Errorf("Map Run %+v, want 2 aborted and 2 never started", m)
	}
	kids, _, err := f.eng.MapRunExecutions(f.ctx, m.ID, 0, 10)
	if err != nil || len(kids) != 2 {
		t.Fatalf("children %v %v", kids, err)
	}
	for _, k := range kids {
		if got := f.wait(k.ID); got.Status != store.StatusAborted {
			t.Errorf("child %s is %s, want ABORTED with its parent", k.ID, got.Status)
		}
	}
}

// A redrive of the parent runs its Map Run again: the children that
// succeeded are not run again, those that failed are redriven.
func TestDistributedMapRedrive(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	calls := map[float64]int{}
	fail := atomic.Bool{}
	fail.Store(true)
	f.eng.RegisterHandler("work", handlerFunc(func(in map[string]any) (any, error) {
		n := in["n"].(float64)
		mu.Lock()
		calls[n]++
		mu.Unlock()
		if fail.Load() && int(n)%2 == 0 {
			return nil, fmt.Errorf("even items fail the first time")
		}
		return map[string]any{"done": n}, nil
	}))
	f.put("sm", distributed(`"MaxConcurrency":1,"ToleratedFailureCount":0,`, `{"Go":{"Type":"Task","Resource":"handler:work","End":true}}`))
	ex := f.wait(f.start("sm", `[{"n":1},{"n":2},{"n":3}]`).ID)
	if ex.Status != store.StatusFailed || ex.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("%s %s", ex.Status, ex.Error)
	}
	fail.Store(false)
	if _, err := f.eng.RedriveExecution(f.ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advanceTo(t, f.clock.Now()) // the redriven state runs in the next step, due now
	got := f.wait(ex.ID)
	if got.Status != store.StatusSucceeded {
		t.Fatalf("after the redrive: %s %s %s", got.Status, got.Error, got.Cause)
	}
	jsonEqual(t, json.RawMessage(got.Output), `[{"done":1},{"done":2},{"done":3}]`)
	mu.Lock()
	defer mu.Unlock()
	// Item 1 succeeded before: not run again. Item 2 failed: redriven.
	// Item 3 never started (MaxConcurrency 1): run once.
	if !cmp.Equal(calls, map[float64]int{1: 1, 2: 2, 3: 1}) {
		t.Fatalf("calls per item %v", calls)
	}
	h := f.history(ex.ID)
	started, redriven := find(h, "MapRunStarted"), find(h, "MapRunRedriven")
	if len(started) != 1 || len(redriven) != 1 || started[0].Fields["mapRunArn"] != redriven[0].Fields["mapRunArn"] || redriven[0].Fields["redriveCount"] != float64(1) {
		t.Fatalf("the redrive did not run the same Map Run again (MapRunRedriven):\n%s", typesOf(h))
	}
	m := endedRun(t, f.eng, started[0].Fields["mapRunArn"].(string))
	waitFor(t, "the Map Run's record of the redriven run", func() bool {
		m, _ = f.eng.MapRun(f.ctx, m.ID)
		return m.Status == interpreter.MapRunSucceeded
	})
	if m.RedriveCount != 1 || m.RedriveDate.IsZero() || m.Succeeded != 3 {
		t.Fatalf("Map Run after the redrive %+v", m)
	}
	if runs, err := f.eng.MapRuns(f.ctx, ex.ID); err != nil || len(runs) != 1 {
		t.Fatalf("MapRuns after the redrive: %d runs, %v; want the one run, once", len(runs), err)
	}
}

// UpdateMapRun raises a running Map Run's concurrency: more children run
// at once.
func TestDistributedMapUpdate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", distributed(`"MaxConcurrency":1,`, `{"Go":{"Type":"Task","Resource":"handler:block","End":true}}`))
	ex := f.start("sm", `[1,2,3]`)
	first := b.next(t)
	h := f.waitEvent(ex.ID, "MapRunStarted", 1)
	id := find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string)
	waitFor(t, "the Map Run's record (written right after MapRunStarted)", func() bool {
		_, err := f.eng.MapRun(f.ctx, id)
		return err == nil
	})
	three := int64(3)
	m, err := f.eng.UpdateMapRun(f.ctx, id, interpreter.MapRunUpdate{MaxConcurrency: &three})
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxConcurrency != 3 || m.Running != 3 {
		t.Fatalf("after the update %+v", m)
	}
	second, third := b.next(t), b.next(t)
	for _, c := range []*blockedCall{first, second, third} {
		c.succeed(`{}`)
	}
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("%s", got.Status)
	}
	if _, err := f.eng.UpdateMapRun(f.ctx, id, interpreter.MapRunUpdate{MaxConcurrency: &three}); err == nil {
		t.Fatal("an ended Map Run was updated")
	}
}

// Items from an object store (ItemReader) and results to it
// (ResultWriter), against a real S3-protocol server.
func TestDistributedMapReaderAndWriter(t *testing.T) {
	t.Parallel()
	s3 := s3test.Start(t, "input", "output")
	s3.Put(t, "input", "people.csv", []byte("name,age\nada,36\nalan,41\ngrace,85\n"))
	x, err := itemio.New(itemio.Config{Stores: []itemio.Store{s3Store(s3, []string{"input"}, []string{"output/results"})}})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, func(c *interpreter.Config) { c.ItemIO = x })
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"People",
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},
			"Parameters":{"Bucket":"input","Key.$":"$.key"}},
		"ItemSelector":{"who.$":"$$.Map.Item.Value.name","i.$":"$$.Map.Item.Index","src.$":"$$.Map.Item.Source"},
		"ItemBatcher":{"MaxItemsPerBatch":2},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"output","Prefix":"results"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Go",
			"States":{"Go":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)","first.$":"$.Items[0]"},"End":true}}},"End":true}}}`
	f.put("sm", def)
	ex := f.wait(f.start("sm", `{"key":"people.csv"}`).ID)
	if ex.Status != store.StatusSucceeded {
		t.Fatalf("%s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	var out struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal(ex.Output, &out); err != nil {
		t.Fatal(err)
	}
	runID := out.MapRunArn[strings.LastIndex(out.MapRunArn, ":")+1:]
	if out.ResultWriterDetails.Bucket != "output" || out.ResultWriterDetails.Key != "results/"+runID+"/manifest.json" {
		t.Fatalf("output %s", ex.Output)
	}
	h := f.history(ex.ID)
	if l := find(h, "MapStateStarted")[0].Fields["length"]; l != float64(0) {
		t.Errorf("MapStateStarted length %v, want 0 with an ItemReader (as AWS)", l)
	}
	var manifest struct {
		MapRunArn   string
		ResultFiles map[string][]struct{ Key string }
	}
	if err := json.Unmarshal(s3.Get(t, "output", out.ResultWriterDetails.Key), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.MapRunArn != out.MapRunArn || len(manifest.ResultFiles["SUCCEEDED"]) != 1 {
		t.Fatalf("manifest %+v", manifest)
	}
	var results []struct{ Input, Output, Status string }
	if err := json.Unmarshal(s3.Get(t, "output", manifest.ResultFiles["SUCCEEDED"][0].Key), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2 batches", len(results))
	}
	jsonEqual(t, json.RawMessage(results[0].Input), `{"Items":[{"who":"ada","i":0,"src":"s3://input/people.csv"},{"who":"alan","i":1,"src":"s3://input/people.csv"}]}`)
	jsonEqual(t, json.RawMessage(results[1].Output), `{"n":1,"first":{"who":"grace","i":2,"src":"s3://input/people.csv"}}`)

	// A bucket the server may not read fails the run as AWS's readers fail.
	ex2, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "sm", Name: "denied", Input: json.RawMessage(`{"key":"../x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.wait(ex2.ID); got.Error != "States.ItemReaderFailed" {
		t.Fatalf("%s %s %s", got.Status, got.Error, got.Cause)
	}
}

// Two nodes on one Redis share a Map Run's children; one is killed midway.
// The other takes its partitions over, and every item's child ends once,
// as the Map Run's counts record.
func TestDistributedMapSurvivesANode(t *testing.T) {
	t.Parallel()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16, Prefix: "distkill"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	var ranOn sync.Map // node -> count
	node := func(name string) (*interpreter.Engine, func()) {
		eng := interpreter.New(interpreter.Config{Store: st, Node: name, LeaseTTL: 600 * time.Millisecond, TimerPoll: 50 * time.Millisecond})
		eng.RegisterHandler("work", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			n, _ := ranOn.LoadOrStore(name, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			return in, nil
		})
		cctx, cancel := context.WithCancel(ctx)
		if err := eng.Start(cctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); eng.Stop() })
		return eng, cancel
	}
	a, crashA := node("A")
	b, _ := node("B")
	waitFor(t, "both nodes to hold partitions", func() bool { return a.HeldPartitions() > 0 && b.HeldPartitions() > 0 })
	// The Wait hands each child to its partition's holder, whichever node.
	def := distributed(`"MaxConcurrency":50,`, `{"Go":{"Type":"Wait","Seconds":1,"Next":"Work"},"Work":{"Type":"Task","Resource":"handler:work","End":true}}`)
	if _, err := a.PutStateMachine(ctx, "sm", []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	const n = 200
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	ex, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "sm", Name: "big", Input: json.RawMessage("[" + strings.Join(items, ",") + "]")})
	if err != nil {
		t.Fatal(err)
	}
	ran := func(name string) int64 {
		v, ok := ranOn.Load(name)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	waitFor(t, "children to run on both nodes", func() bool { return ran("A") > 0 && ran("B") > 0 })
	crashA()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got, err := b.Wait(wctx, ex.ID)
	if err != nil {
		rec, _ := st.GetExecution(ctx, ex.ID)
		for k, v := range rec.Threads {
			var th struct {
				Children struct {
					Run struct {
						Next, Total, Succeeded int
						Running                []int
					}
				}
			}
			_ = json.Unmarshal(v, &th)
			t.Logf("thread %s: %+v", k, th.Children.Run)
		}
		kids, _, _ := st.ListExecutions(ctx, store.ListQuery{StateMachine: "sm/L", Limit: 1000})
		byStatus := map[string]int{}
		for _, k := range kids {
			byStatus[k.Status]++
		}
		t.Logf("children by status: %v", byStatus)
		t.Fatal(err)
	}
	if got.Status != store.StatusSucceeded {
		t.Fatalf("%s %s %s", got.Status, got.Error, got.Cause)
	}
	var out []map[string]int
	if err := json.Unmarshal(got.Output, &out); err != nil || len(out) != n {
		t.Fatalf("output of %d results: %v", len(out), err)
	}
	for i, o := range out {
		if o["i"] != i {
			t.Fatalf("result %d is %v", i, o)
		}
	}
	h, err := b.History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ MapRunArn string }
	for _, e := range h {
		if strings.Contains(string(e.Data), `"MapRunStarted"`) {
			_ = json.Unmarshal(e.Data, &started)
		}
	}
	var m *interpreter.MapRun
	waitFor(t, "the Map Run's record", func() bool {
		var err error
		m, err = b.MapRun(ctx, started.MapRunArn)
		return err == nil && m.Status == interpreter.MapRunSucceeded
	})
	if m.Succeeded != n || m.Failed+m.Aborted+m.TimedOut+m.Pending+m.Running != 0 {
		t.Fatalf("Map Run counts %+v", m)
	}
	kids, _, err := b.MapRunExecutions(ctx, m.ID, 0, n+1)
	if err != nil || len(kids) != n {
		t.Fatalf("%d children: %v", len(kids), err)
	}
	names := map[string]bool{}
	for _, k := range kids {
		if k.Status != store.StatusSucceeded || names[k.Name] {
			t.Fatalf("child %s %s (seen before: %v)", k.ID, k.Status, names[k.Name])
		}
		names[k.Name] = true
	}
	t.Logf("work calls: A %d, B %d (a call cut short by the kill is made again)", ran("A"), ran("B"))
	if ran("A")+ran("B") < n {
		t.Fatalf("only %d work calls for %d items", ran("A")+ran("B"), n)
	}

}

// endedRun waits for a Map Run's record to say it ended: the record is
// written after the parent's commit that ends the run.
func endedRun(t *testing.T, eng *interpreter.Engine, arn string) *interpreter.MapRun {
	t.Helper()
	var m *interpreter.MapRun
	waitFor(t, "the Map Run's record to say it ended", func() bool {
		var err error
		m, err = eng.MapRun(context.Background(), arn)
		return err == nil && m.Status != interpreter.MapRunRunning
	})
	return m
}

// A parent stopped and redriven at once, while its stopped children may
// still be running: the redriven run does not count their aborts, and
// runs them again.
func TestDistributedMapRedriveAfterStop(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", distributed(`"MaxConcurrency":2,"ToleratedFailureCount":0,`, `{"Go":{"Type":"Task","Resource":"handler:block","End":true}}`))
	ex := f.start("sm", `[1,2]`)
	first := []*blockedCall{b.next(t), b.next(t)}
	if _, err := f.eng.StopExecution(f.ctx, ex.ID, "Operator.Stop", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.RedriveExecution(f.ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advanceTo(t, f.clock.Now())
	for _, c := range first {
		c.cancelled(t)
	}
	for range 2 {
		c := b.next(t)
		c.succeed(string(c.input))
	}
	got := f.wait(ex.ID)
	if got.Status != store.StatusSucceeded {
		t.Fatalf("after the redrive: %s %s %s\n%s", got.Status, got.Error, got.Cause, typesOf(f.history(ex.ID)))
	}
	jsonEqual(t, json.RawMessage(got.Output), `[1,2]`)
}

// The server's bound (Limits.MapRunChildren, sfn serve --map-run-children)
// caps a run whose MaxConcurrency is 0 (as many as allowed) or above it.
func TestDistributedMapServerBound(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *interpreter.Config) { c.Limits.MapRunChildren = 2 })
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("sm", distributed(`"MaxConcurrency":0,`, `{"Go":{"Type":"Task","Resource":"handler:block","End":true}}`))
	ex := f.start("sm", `[1,2,3]`)
	first, second := b.next(t), b.next(t)
	h := f.waitEvent(ex.ID, "MapRunStarted", 1)
	m, err := f.eng.MapRun(f.ctx, find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if m.Running != 2 || m.Pending != 1 {
		t.Fatalf("Map Run %+v, want 2 running and 1 waiting under a bound of 2", m)
	}
	first.succeed(`{}`)
	b.next(t).succeed(`{}`) // the third starts once one ended
	second.succeed(`{}`)
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded {
		t.Fatalf("%s", got.Status)
	}
}

// A ResultWriter with only a WriterConfig writes nothing: it shapes the
// Map state's own result (AWS's "preview"), without object stores.
func TestDistributedMapWriterConfigOnly(t *testing.T) {
	t.Parallel()
	proc := `{"Go":{"Type":"Pass","Parameters":{"pair.$":"States.Array($.n, $.n)"},"OutputPath":"$.pair","End":true}}`
	for _, tc := range []struct{ transformation, want string }{
		{"COMPACT", `[[1,1],[2,2]]`},
		{"FLATTEN", `[1,1,2,2]`},
	} {
		t.Run(tc.transformation, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.put("sm", distributed(`"ResultWriter":{"WriterConfig":{"Transformation":"`+tc.transformation+`","OutputType":"JSON"}},`, proc))
			ex := f.wait(f.start("sm", `[{"n":1},{"n":2}]`).ID)
			if ex.Status != store.StatusSucceeded {
				t.Fatalf("%s %s %s", ex.Status, ex.Error, ex.Cause)
			}
			jsonEqual(t, json.RawMessage(ex.Output), tc.want)
		})
	}
	t.Run("NONE", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.put("sm", distributed(`"ResultWriter":{"WriterConfig":{"Transformation":"NONE"}},`, proc))
		ex := f.wait(f.start("sm", `[{"n":1},{"n":2}]`).ID)
		var out []struct{ Input, Output, Status, ExecutionArn string }
		if err := json.Unmarshal(ex.Output, &out); err != nil || len(out) != 2 {
			t.Fatalf("%s: %v", ex.Output, err)
		}
		if out[1].Input != `{"n":2}` || out[1].Output != `[2,2]` || out[1].Status != "SUCCEEDED" || !strings.Contains(out[1].ExecutionArn, ":execution:sm/L:") {
			t.Fatalf("record %+v", out[1])
		}
	})
}

// The children of the items read so far start while the rest is still
// being read: a reader held after its first 1,000 items has those
// children running and ending before it goes on.
func TestDistributedMapStartsWhileReading(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 1500 {
			if i == 1000 {
				w.(http.Flusher).Flush()
				select {
				case <-hold:
				case <-r.Context().Done():
					return
				}
			}
			fmt.Fprintf(w, `{"i":%d}`+"\n", i)
		}
	}))
	defer src.Close()
	x, err := itemio.New(itemio.Config{HTTP: plainGet})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, func(c *interpreter.Config) { c.ItemIO = x })
	f.put("sm", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","ResultSelector":{"n.$":"States.ArrayLength($)"},
		"ItemReader":{"Resource":"arn:aws:states:::http:invoke","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"ApiEndpoint":"`+src.URL+`","Method":"GET"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}},"End":true}}}`)
	ex := f.start("sm", `{}`)
	h := f.waitEvent(ex.ID, "MapRunStarted", 1)
	arn := find(h, "MapRunStarted")[0].Fields["mapRunArn"].(string)
	waitFor(t, "the first chunk's children to end while the reader is held", func() bool {
		m, err := f.eng.MapRun(f.ctx, arn)
		return err == nil && m.Succeeded == 1000
	})
	close(hold)
	got := f.wait(ex.ID)
	if got.Status != store.StatusSucceeded || string(got.Output) != `{"n":1500}` {
		t.Fatalf("%s %s %s %s", got.Status, got.Output, got.Error, got.Cause)
	}
}

// plainGet is the HTTP ItemReader's fetch for tests: a GET with the
// default client (sfn serve's goes through the HTTP tasks' policy).
func plainGet(ctx context.Context, u string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// s3Store is the itemio store of an s3test server, reading and writing
// what read and write name ("bucket" or "bucket/prefix").
func s3Store(s *s3test.Server, read, write []string) itemio.Store {
	return itemio.Store{Name: "test", Endpoint: s.URL, Region: "us-east-1", AccessKeyID: s3test.KeyID, SecretAccessKey: s3test.Secret,
		PathStyle: true, Read: read, Write: write}
}
