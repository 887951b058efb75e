package interpreter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

func threadCases() []*thread {
	t0 := time.Date(2026, 11, 27, 19, 34, 8, 783702398, time.UTC)
	obj := value.ObjectOf("i", value.Int(40), "s", "a<b>&c \u2028 \u2029 \"q\" \\ \n é 😀", "n", nil, "f", 1.5,
		"list", []any{true, false, value.ObjectOf()})
	return []*thread{
		{},
		{ID: 1, Parent: -1, State: "Task", Input: lazyOf(obj), Entered: true, EnteredID: 282, EnteredAt: t0, Prev: 283,
			Phase: phaseTask, Task: &taskWait{ScheduledID: 283, ScheduledAt: t0, Resource: "arn:aws:states:::http:invoke",
				Params: jv{value.ObjectOf("ApiEndpoint", "http://127.0.0.1:42113/ok?a=1&b=<2>")}, Secret: "bfef6c64"}},
		{ID: 7, Parent: 3, Index: 12, Scope: []scopeStep{{State: "Map", Branch: 0}, {State: "P<>", Branch: 2}},
			State: "Wait \"here\"", Input: lazyOf("just a string"), EnteredAt: t0.In(time.FixedZone("x", -5*3600)),
			Attempts: 3, Retries: []int64{1, 0, 2}, WakeAt: t0.Add(time.Hour), Phase: phaseWait, Pending: jv{obj},
			MapItem: jv{value.ObjectOf("k", "v")}, Result: jv{[]any{1.0, "x"}}},
		{ID: 2, State: "Act", Phase: phaseTask, Task: &taskWait{ScheduledID: 9, Resource: "activity:cook", Params: jv{nil},
			Secret: "s", Started: true, Worker: "worker <1> & co", TimeoutAt: t0.Add(time.Minute), HeartbeatAt: t0.Add(time.Second),
			Heartbeat: 10, Timeout: 60, Events: "Activity"}},
		{ID: 3, State: "Par", Phase: phaseChildren, Children: &childrenWait{StartedID: 4, Kids: []int{5, 0}, Results: []jv{{obj}, {nil}},
			Done: []bool{true, false}, Running: 1, NextIndex: 2, TolPct: 12.5, HasPct: true, Effective: lazyOf(obj),
			FirstErr: &failure.Error{Name: "E", Cause: "<c>"}}},
		{ID: 4, State: "Done", Phase: phaseDone, Err: &failure.Error{Name: "States.Timeout", Cause: "late & <slow>", Heartbeat: true},
			Keep: &keptChildren{Succeeded: []bool{true}, Results: []jv{{obj}},
				Resume: []*resumePoint{{State: "S", Input: jv{obj}, Keep: &keptChildren{Succeeded: []bool{}}}}}},
		// As a step of an HTTP task loop leaves it (see BENCHMARKS.md).
		{ID: 1, Parent: -1, State: "Task", Input: lazyOf(value.ObjectOf("i", value.Int(40))), Entered: true, EnteredID: 282,
			EnteredAt: t0, Prev: 283, Phase: phaseTask, Task: &taskWait{ScheduledID: 283, ScheduledAt: t0,
				Resource: "arn:aws:states:::http:invoke", Secret: "bfef6c648c3307cbcd5c2b0027b721e2",
				Params: jv{value.ObjectOf("ApiEndpoint", "http://127.0.0.1:42113/ok", "Method", "POST",
					"RequestBody", value.ObjectOf("i", value.Int(40)))}}},
		// A .sync child execution's attempt, acknowledged (encoding 4).
		{ID: 6, State: "Child", Phase: phaseTask, Task: &taskWait{ScheduledID: 12, Resource: "arn:aws:states:::states:startExecution.sync",
			Params: jv{nil}, Secret: "s", Started: true, Submitted: true, Child: "orders:c-1"}},
		{ID: 5, State: "bad \xff utf-8 \x01", Input: lazyOf("bad \xff utf-8"), EnteredAt: t0.In(time.FixedZone("secs", 3600+7))},
	}
}

// appendThread writes what encoding/json writes for a thread, byte for byte.
func TestAppendThreadMatchesJSON(t *testing.T) {
	for i, th := range threadCases() {
		want, werr := json.Marshal(th)
		got, gerr := encodeThread(th)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("case %d: error %v, encoding/json's %v", i, gerr, werr)
		}
		if string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
	// A time encoding/json refuses is refused too.
	bad := &thread{EnteredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := encodeThread(bad); err == nil {
		t.Error("a year-10000 time encoded without error")
	}
}

// The threads of the golden records of every encoding version, decoded
// and encoded again, come out as encoding/json writes them.
func TestAppendThreadGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/encoding/v*/*.json")
	if len(files) == 0 {
		t.Fatal("no golden records under testdata/encoding")
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g goldenRecord
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, b := range g.Record.Threads {
			th, err := decodeThread(b)
			if err != nil {
				t.Fatalf("%s thread %s: %v", f, k, err)
			}
			want, _ := json.Marshal(th)
			got, err := encodeThread(th)
			if err != nil || string(got) != string(want) {
				t.Errorf("%s thread %s:\n got %s (%v)\nwant %s", f, k, got, err, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("the golden records hold no threads")
	}
}

func FuzzAppendThread(f *testing.F) {
	f.Add("Task", `{"a":"<b>"}`, "arn:x", int64(3), true)
	f.Add("\u2028", `["\u2029",1e3,-0.5]`, "", int64(-1), false)
	f.Fuzz(func(t *testing.T, state, input, worker string, n int64, started bool) {
		in, err := value.Decode([]byte(input))
		if err != nil {
			in = input // the text as a string value
		}
		th := &thread{ID: int(n), State: state, Input: lazyOf(in), Prev: n, Retries: []int64{n},
			Task: &taskWait{ScheduledID: n, Resource: state, Params: jv{in}, Secret: worker, Started: started, Worker: worker}}
		want, werr := json.Marshal(th)
		got, gerr := encodeThread(th)
		if (werr != nil) != (gerr != nil) || string(got) != string(want) {
			t.Fatalf("got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
		}
	})
}

// BenchmarkEncodeThread is one step's thread write: a task waiting for
// its HTTP call.
func BenchmarkEncodeThread(b *testing.B) {
	th := threadCases()[6]
	b.Run("appendThread", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeThread(th); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(th); err != nil {
				b.Fatal(err)
			}
		}
	})
}
