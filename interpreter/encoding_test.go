package interpreter

// Upgrades: records written by an earlier encoding must still run. The
// golden records under testdata/encoding/v<N>/ were written by a real
// execution when N was the current encoding, and are never regenerated
// afterwards (-write-encoding refuses to overwrite another version's
// files). The test loads each into a store and lets the current engine
// finish it.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

var writeEncoding = flag.Bool("write-encoding", false, "write testdata/encoding/v<current>/ golden records from real executions")

// goldenRecord is an execution as stored: its definition, record with
// threads, and history; the engine's bytes are JSON and kept readable.
type goldenRecord struct {
	Definition json.RawMessage `json:"definition"`
	Record     struct {
		ID            string                     `json:"id"`
		StateMachine  string                     `json:"stateMachine"`
		Version       int                        `json:"version"`
		Name          string                     `json:"name"`
		Status        string                     `json:"status"`
		Input         json.RawMessage            `json:"input"`
		StartedAt     time.Time                  `json:"startedAt"`
		DueAt         time.Time                  `json:"dueAt"`
		RecordVersion int64                      `json:"recordVersion"`
		LastEventID   int64                      `json:"lastEventId"`
		InputHash     string                     `json:"inputHash"`
		Engine        json.RawMessage            `json:"engine"`
		Threads       map[string]json.RawMessage `json:"threads"`
	} `json:"record"`
	History []json.RawMessage `json:"history"`
	// Output is what the execution must end with.
	Output json.RawMessage `json:"output"`
	// Mocks is the mock configuration a mocked execution (encoding 5)
	// started with, and resumes with.
	Mocks json.RawMessage `json:"mocks,omitempty"`
}

const (
	goldenWaitDef = `{"StartAt":"Hold","States":{
		"Hold":{"Type":"Wait","Seconds":2,"Next":"Call"},
		"Call":{"Type":"Task","Resource":"handler:double","ResultPath":"$.doubled","End":true}}}`
	goldenMapDef = `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.results","End":true,
			"ItemProcessor":{"StartAt":"Pause","States":{
				"Pause":{"Type":"Wait","Seconds":1,"Next":"Double"},
				"Double":{"Type":"Task","Resource":"handler:double","End":true}}}}}}`
)

// double doubles {"n": x} or a bare number.
func double(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	var n float64
	if err := json.Unmarshal(in, &n); err != nil {
		var obj struct{ N float64 }
		if err := json.Unmarshal(in, &obj); err != nil {
			return nil, err
		}
		n = obj.N
	}
	return json.RawMessage(fmt.Sprint(n * 2)), nil
}

func TestReadsOlderEncodings(t *testing.T) {
	t.Parallel()
	if *writeEncoding {
		writeGoldenRecords(t)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "encoding", "v*", "*.json"))
	if len(files) == 0 {
		t.Fatal("no golden records under testdata/encoding")
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenRecord
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatal(err)
			}
			compactGolden(t, &g)
			resumeGolden(t, g)
		})
	}
}

// compactGolden undoes the indentation of the file: the engine wrote
// every one of these values as compact JSON, so compacting restores the
// bytes it stored.
func compactGolden(t *testing.T, g *goldenRecord) {
	c := func(raw *json.RawMessage) {
		var b bytes.Buffer
		if err := json.Compact(&b, *raw); err != nil {
			t.Fatal(err)
		}
		*raw = b.Bytes()
	}
	c(&g.Definition)
	c(&g.Output)
	c(&g.Record.Input)
	c(&g.Record.Engine)
	for k, v := range g.Record.Threads {
		c(&v)
		g.Record.Threads[k] = v
	}
	for i := range g.History {
		c(&g.History[i])
	}
}

// resumeGolden stores a golden record as it was, starts the current engine
// on a store with leases (so that the task calls in flight in the record
// are recovered as after a crash), and checks the end and the history.
func resumeGolden(t *testing.T, g goldenRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := memory.WithLeases(memory.New(), 4)
	sum := g.Record
	if _, _, err := st.PutStateMachine(ctx, store.StateMachine{Name: sum.StateMachine, DefinitionSHA256: "golden",
		Definition: g.Definition, UpdatedAt: sum.StartedAt}); err != nil {
		t.Fatal(err)
	}
	threads := map[string][]byte{}
	for k, v := range sum.Threads {
		threads[k] = v
	}
	evs := make([]store.Event, len(g.History))
	for i, e := range g.History {
		evs[i] = store.Event{ID: int64(i + 1), Data: e}
	}
	rec := &store.Execution{ID: sum.ID, StateMachine: sum.StateMachine, Version: sum.Version, Name: sum.Name,
		Status: sum.Status, Input: sum.Input, StartedAt: sum.StartedAt, DueAt: sum.DueAt, Engine: sum.Engine,
		Threads: threads, InputHash: sum.InputHash}
	if _, err := st.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: evs}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, TimerPoll: 20 * time.Millisecond, LeaseTTL: time.Second}
	if len(g.Mocks) > 0 {
		mocks, err := mockconfig.Parse(g.Mocks, "golden mocks")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Mocks = mocks
	}
	eng := New(cfg)
	eng.RegisterHandler("double", double)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	ex, err := eng.Wait(ctx, sum.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != store.StatusSucceeded || string(ex.Output) != string(g.Output) {
		t.Fatalf("ended %s %s %s with %s, want SUCCEEDED with %s", ex.Status, ex.Error, ex.Cause, ex.Output, g.Output)
	}
	got, err := st.History(ctx, store.HistoryQuery{ID: sum.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, e.ID)
		}
		if i < len(g.History) && string(e.Data) != string(g.History[i]) {
			t.Fatalf("event %d changed: the old history must stay as it was", e.ID)
		}
	}
	if len(got) <= len(g.History) {
		t.Errorf("no events after the golden record's %d", len(g.History))
	}
}

// goldenVarsDef holds variables at the top level and in Map iterations
// while it waits (encoding 2).
const goldenVarsDef = `{"StartAt":"Set","States":{
		"Set":{"Type":"Pass","Assign":{"factor":2,"label.$":"$.label"},"Next":"Each"},
		"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.results","Assign":{"done.$":"States.ArrayLength($)"},"Next":"Reveal",
			"ItemProcessor":{"StartAt":"Mine","States":{
				"Mine":{"Type":"Pass","Assign":{"mine.$":"$"},"Next":"Pause"},
				"Pause":{"Type":"Wait","Seconds":1,"Next":"Double"},
				"Double":{"Type":"Task","Resource":"handler:double","Parameters":{"n.$":"$mine"},"End":true}}}},
		"Reveal":{"Type":"Pass","Parameters":{"label.$":"$label","factor.$":"$factor","done.$":"$done","results.$":"$.results"},"End":true}}}`

// goldenARNIDsDef reads the context object's ids after a Wait (encoding
// 3: the execution started with ARN ids, and keeps them).
const goldenARNIDsDef = `{"StartAt":"Hold","States":{
		"Hold":{"Type":"Wait","Seconds":1,"Next":"Ids"},
		"Ids":{"Type":"Pass","Parameters":{"execution.$":"$$.Execution.Id","stateMachine.$":"$$.StateMachine.Id","n.$":"$.n"},"End":true}}}`

// goldenMapRunDef runs a distributed Map whose children wait (encoding
// 4: the Map thread holds a Map Run).
const goldenMapRunDef = `{"StartAt":"Each","States":{
		"Each":{"Type":"Map","Label":"Golden","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.results","End":true,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Pause","States":{
				"Pause":{"Type":"Wait","Seconds":1,"Next":"Double"},
				"Double":{"Type":"Task","Resource":"handler:double","End":true}}}}}}`

// goldenMockDef is a mocked execution (encoding 5): a Wait, a mocked task
// whose Retry consumes call numbers (the golden record waits to retry
// call 0's failure), and a real one.
const (
	goldenMockDef = `{"StartAt":"Hold","States":{
		"Hold":{"Type":"Wait","Seconds":1,"Next":"Quote"},
		"Quote":{"Type":"Task","Resource":"handler:double","Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1}],"ResultPath":"$.quote","Next":"Call"},
		"Call":{"Type":"Task","Resource":"handler:double","ResultPath":"$.doubled","End":true}}}`
	goldenMocks = `{"StateMachines":{"golden-mocked":{"TestCases":{"Golden":{"Quote":"BusyThenQuote"}}}},
		"MockedResponses":{"BusyThenQuote":{"0":{"Throw":{"Error":"Busy"}},"1":{"Return":{"price":5}}}}}`
)

// goldenLimitDef's second task waits for its call limit (encoding 6: the
// golden record has no limit, so the engine that resumes it ends the wait
// and makes the call, its timeout running again).
const goldenLimitDef = `{"StartAt":"First","States":{
		"First":{"Type":"Task","Resource":"handler:double","ResultPath":"$.first","Next":"Second"},
		"Second":{"Type":"Task","Resource":"handler:double","TimeoutSeconds":30,"ResultPath":"$.second","End":true}}}`

// writeGoldenRecords runs the golden executions of the current encoding
// and snapshots them mid-way: the Wait and the Map of encoding 1, an
// execution with variables for encoding 2, and one whose context object
// holds ARNs for encoding 3.
func writeGoldenRecords(t *testing.T) {
	dir := filepath.Join("testdata", "encoding", fmt.Sprintf("v%d", encodingVersion))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	switch encodingVersion {
	case encodingLimits:
		snapshot(t, dir, "limit-wait", goldenLimitDef, `{"n":21}`, `{"n":21,"first":42,"second":42}`,
			func(st store.Store, id string) bool {
				// The second call waits for its limit, its timeout suspended.
				rec, _ := st.GetExecution(context.Background(), id)
				if rec == nil {
					return false
				}
				for _, th := range rec.Threads {
					if bytes.Contains(th, []byte(`"limitWait"`)) {
						return true
					}
				}
				return false
			})
		return
	case encodingMocks:
		snapshotMocked(t, dir, "mocked", goldenMockDef, `{"n":21}`, `{"n":21,"quote":{"price":5},"doubled":42}`, goldenMocks, "Golden",
			func(st store.Store, id string) bool {
				// Waiting to retry the mocked call 0's failure: the engine
				// that resumes it makes call 1.
				evs, _ := st.History(context.Background(), store.HistoryQuery{ID: id})
				return len(evs) > 0 && bytes.Contains(evs[len(evs)-1].Data, []byte(`"TaskFailed"`))
			})
		return
	case encodingChildren:
		// The parent alone, mid-run: its children are not in the golden
		// record; the engine that resumes it starts the ones it had
		// running again, under the same names.
		snapshot(t, dir, "map-run", goldenMapRunDef, `{"items":[1,2,3,4,5,6]}`, `{"items":[1,2,3,4,5,6],"results":[2,4,6,8,10,12]}`,
			func(st store.Store, id string) bool {
				rec, _ := st.GetExecution(context.Background(), id)
				if rec == nil {
					return false
				}
				for _, th := range rec.Threads {
					var x struct {
						Children *struct{ Run *struct{ Succeeded int } }
					}
					if json.Unmarshal(th, &x) == nil && x.Children != nil && x.Children.Run != nil && x.Children.Run.Succeeded >= 2 {
						return true
					}
				}
				return false
			})
		return
	case encodingARNIDs:
		snapshot(t, dir, "arn-ids", goldenARNIDsDef, `{"n":1}`,
			`{"execution":"arn:aws:states:us-east-1:123456789012:execution:golden-arn-ids:arn-ids","n":1,"stateMachine":"arn:aws:states:us-east-1:123456789012:stateMachine:golden-arn-ids"}`,
			func(st store.Store, id string) bool {
				rec, _ := st.GetExecution(context.Background(), id)
				return rec != nil // right after the start: in the Wait
			})
		return
	case encodingVariables:
		snapshot(t, dir, "variables", goldenVarsDef, `{"label":"L","items":[1,2,3,4]}`, `{"done":4,"factor":2,"label":"L","results":[2,4,6,8]}`,
			func(st store.Store, id string) bool {
				evs, _ := st.History(context.Background(), store.HistoryQuery{ID: id})
				return len(evs) > 0 && bytes.Contains(evs[len(evs)-1].Data, []byte(`"WaitStateEntered"`))
			})
		return
	}
	snapshot(t, dir, "wait", goldenWaitDef, `{"n":21}`, `{"n":21,"doubled":42}`, func(st store.Store, id string) bool {
		rec, _ := st.GetExecution(context.Background(), id)
		return rec != nil // right after the start: in the Wait
	})
	snapshot(t, dir, "map", goldenMapDef, `{"items":[1,2,3,4,5,6]}`, `{"items":[1,2,3,4,5,6],"results":[2,4,6,8,10,12]}`,
		func(st store.Store, id string) bool {
			evs, _ := st.History(context.Background(), store.HistoryQuery{ID: id})
			done := 0
			for _, e := range evs {
				var h struct{ Type string }
				_ = json.Unmarshal(e.Data, &h)
				if h.Type == "MapIterationSucceeded" {
					done++
				}
			}
			return done >= 2 && done < 6
		})
}

func snapshot(t *testing.T, dir, name, def, input, output string, ready func(store.Store, string) bool) {
	snapshotMocked(t, dir, name, def, input, output, "", "", ready)
}

// snapshotMocked is snapshot for an execution started with testCase of the
// mock configuration mocks (none when testCase is "").
func snapshotMocked(t *testing.T, dir, name, def, input, output, mocks, testCase string, ready func(store.Store, string) bool) {
	ctx := context.Background()
	st := memory.New()
	cfg := Config{Store: st, TimerPoll: 20 * time.Millisecond}
	if testCase != "" {
		m, err := mockconfig.Parse([]byte(mocks), "golden mocks")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Mocks = m
	}
	eng := New(cfg)
	eng.RegisterHandler("double", double)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	if _, err := eng.PutStateMachine(ctx, "golden-"+name, []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	if name == "limit-wait" {
		// One call an hour: the second task waits (encoding 6).
		if _, _, err := eng.PutCallLimit(ctx, CallLimit{Key: "handler:double", Rate: MinRate, Burst: 1}); err != nil {
			t.Fatal(err)
		}
	}
	ex, _, err := eng.StartExecution(ctx, StartParams{StateMachine: "golden-" + name, Name: name, Input: json.RawMessage(input), TestCase: testCase})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !ready(st, ex.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the moment to snapshot never came", name)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	rec, err := st.GetExecution(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.History(ctx, store.HistoryQuery{ID: ex.ID})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := st.GetStateMachineVersion(ctx, rec.StateMachine, rec.Version)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenRecord
	g.Definition, g.Output = sm.Definition, json.RawMessage(output)
	if testCase != "" {
		g.Mocks = json.RawMessage(mocks)
	}
	r := &g.Record
	r.ID, r.StateMachine, r.Version, r.Name, r.Status = rec.ID, rec.StateMachine, rec.Version, rec.Name, rec.Status
	r.Input, r.StartedAt, r.DueAt, r.RecordVersion, r.LastEventID = rec.Input, rec.StartedAt, rec.DueAt, rec.RecordVersion, rec.LastEventID
	r.InputHash, r.Engine, r.Threads = rec.InputHash, rec.Engine, map[string]json.RawMessage{}
	for k, v := range rec.Threads {
		r.Threads[k] = v
	}
	for _, e := range evs {
		g.History = append(g.History, e.Data)
	}
	out, err := json.MarshalIndent(&g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
