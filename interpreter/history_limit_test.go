package interpreter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// stepRecorder is an interpreter.Observer that keeps, per execution, how
// many events each committed step wrote, in commit order (the engine
// reports a step under the execution's lock, so one execution's reports
// come in the order of its commits).
type stepRecorder struct {
	mu    sync.Mutex
	steps map[string][]int
	after func() // called on every report, on the committing goroutine
}

func (o *stepRecorder) StepCommitted(rep interpreter.StepReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.steps == nil {
		o.steps = map[string][]int{}
	}
	o.steps[rep.ExecutionID] = append(o.steps[rep.ExecutionID], len(rep.Events))
	if o.after != nil {
		o.after()
	}
}

func (o *stepRecorder) TimerFired(time.Duration) {}

func (o *stepRecorder) stepsOf(id string) []int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]int(nil), o.steps[id]...)
}

func withObserver(o interpreter.Observer) func(*interpreter.Config) {
	return func(c *interpreter.Config) { c.Observer = o }
}

// commits splits a history into the commits that wrote it, as the
// recorder saw them (a step that wrote no event is left out), and fails
// the test when they do not add up to the history.
func commits(t *testing.T, h []event, steps []int) [][]event {
	t.Helper()
	var out [][]event
	at := 0
	for _, n := range steps {
		if n == 0 {
			continue
		}
		if at+n > len(h) {
			t.Fatalf("the steps wrote %d events or more, the history has %d", at+n, len(h))
		}
		out = append(out, h[at:at+n])
		at += n
	}
	if at != len(h) {
		t.Fatalf("the steps wrote %d events, the history has %d", at, len(h))
	}
	return out
}

// mapInFlight is the largest number of Map iterations a history shows
// started and not yet ended at any point.
func mapInFlight(h []event) int {
	n, most := 0, 0
	for _, e := range h {
		switch e.Type {
		case "MapIterationStarted":
			n++
			most = max(most, n)
		case "MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted":
			n--
		}
	}
	return most
}

// zeros is a JSON array of n zeros: the most items a payload holds.
func zeros(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]"
}

// mapOfPass maps $.items with a Pass state per item; maxConc "" leaves
// MaxConcurrency out.
func mapOfPass(maxConc string) string {
	mc := ""
	if maxConc != "" {
		mc = `"MaxConcurrency":` + maxConc + `,`
	}
	return `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items",` + mc + `
		"ItemProcessor":{"StartAt":"Item","States":{"Item":{"Type":"Pass","End":true}}},"End":true}}}`
}

// TestHistoryLimitIsExact: an execution's history never holds more than
// MaxHistory events, its end included. Like AWS, the events before the
// last take ids up to MaxHistory-1; event MaxHistory is ExecutionSucceeded
// when that is what comes, and ExecutionFailed (States.Runtime) otherwise.
func TestHistoryLimitIsExact(t *testing.T) {
	t.Parallel()
	// loop to n writes 6+4n events: ExecutionStarted, n × (Choice and Pass
	// entered and exited), the last Choice, Succeed, ExecutionSucceeded.
	loopTo := func(n int) string { return strings.Replace(loop, "%N%", strconv.Itoa(n), 1) }
	parallel := `{"StartAt":"Fork","States":{"Fork":{"Type":"Parallel","ResultPath":null,"Next":"Again","Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":0,"End":true}}}]},
		"Again":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"Fork"},
		"Done":{"Type":"Succeed"}}}`
	for _, tc := range []struct {
		name, def, input   string
		maxHistory, stepEv int
		wantStatus         string
	}{
		{"pass loop", loopTo(1000), `{"i":0}`, 50, 1000, store.StatusFailed},
		{"pass loop, odd limit", loopTo(1000), `{"i":0}`, 51, 1000, store.StatusFailed},
		{"pass loop in small steps", loopTo(1000), `{"i":0}`, 50, 7, store.StatusFailed},
		{"pass loop at AWS's limit", loopTo(100000), `{"i":0}`, 25000, 1000, store.StatusFailed},
		{"success as the last event", loopTo(50), `{"i":0}`, 206, 1000, store.StatusSucceeded},
		{"one event short of success", loopTo(50), `{"i":0}`, 205, 1000, store.StatusFailed},
		{"map without MaxConcurrency", mapOfPass(""), `{"items":` + zeros(500) + `}`, 300, 1000, store.StatusFailed},
		{"map in small steps", mapOfPass("7"), `{"items":` + zeros(500) + `}`, 301, 10, store.StatusFailed},
		{"parallel loop", parallel, `{}`, 99, 1000, store.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, withLimits(interpreter.Limits{MaxPayload: 256 << 10, MaxHistory: tc.maxHistory, StepEvents: tc.stepEv}))
			f.put("sm", tc.def)
			ex := f.wait(f.start("sm", tc.input).ID)
			h := f.history(ex.ID)
			checkInvariants(t, h, false)
			if len(h) != tc.maxHistory {
				t.Errorf("%d events, want exactly MaxHistory (%d)", len(h), tc.maxHistory)
			}
			if ex.Status != tc.wantStatus {
				t.Fatalf("ended %s %q %q, want %s", ex.Status, ex.Error, ex.Cause, tc.wantStatus)
			}
			last := h[len(h)-1]
			if tc.wantStatus == store.StatusSucceeded {
				if last.Type != "ExecutionSucceeded" {
					t.Errorf("last event %s", last.Type)
				}
				return
			}
			wantCause := fmt.Sprintf("The execution reached the maximum number of history events (%d).", tc.maxHistory)
			if ex.Error != failure.Runtime || ex.Cause != wantCause {
				t.Errorf("failed with %q %q, want %q %q", ex.Error, ex.Cause, failure.Runtime, wantCause)
			}
			if last.Type != "ExecutionFailed" || last.Fields["error"] != failure.Runtime || last.Fields["cause"] != wantCause {
				t.Errorf("last event %s", last.Raw)
			}
		})
	}
}

// TestHistoryLimitRefusesRedrive: an execution that filled its history
// cannot be redriven (AWS: "Execution history event limit exceeded"); one
// that failed otherwise still can.
func TestHistoryLimitRefusesRedrive(t *testing.T) {
	t.Parallel()
	f := setup(t, withLimits(interpreter.Limits{MaxPayload: 1000, MaxHistory: 40, StepEvents: 1000}))
	f.put("sm", strings.Replace(loop, "%N%", "1000", 1))
	ex := f.wait(f.start("sm", `{"i":0}`).ID)
	if ex.Status != store.StatusFailed || len(f.history(ex.ID)) != 40 {
		t.Fatalf("ended %s with %d events, want FAILED with 40", ex.Status, len(f.history(ex.ID)))
	}
	if _, err := f.eng.RedriveExecution(f.ctx, ex.ID); !errors.Is(err, interpreter.ErrNotRedrivable) {
		t.Fatalf("redrive of a full history: %v, want ErrNotRedrivable", err)
	}
	if n := len(f.history(ex.ID)); n != 40 {
		t.Errorf("the refused redrive left %d events", n)
	}

	f.put("fails", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`)
	other := f.wait(f.start("fails", `{}`).ID)
	if _, err := f.eng.RedriveExecution(f.ctx, other.ID); err != nil {
		t.Errorf("redrive of a short failed history: %v", err)
	}
}

// TestMapRunsInBoundedWaves: a Map runs at most 40 iterations at once
// whatever its MaxConcurrency says (AWS's inline Map), at most
// MaxConcurrency when that is smaller, and no commit carries more than
// StepEvents events or much more than StepBytes bytes.
func TestMapRunsInBoundedWaves(t *testing.T) {
	t.Parallel()
	// Each iteration of withBig writes a 400-byte output.
	withBig := `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"Big","States":{"Big":{"Type":"Pass","Result":"` + strings.Repeat("x", 400) + `","End":true}}},"End":true}}}`
	withTask := `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"handler:echo","End":true}}},"End":true}}}`
	for _, tc := range []struct {
		name, def, input string
		items            int
		limits           interpreter.Limits
		wantInFlight     int
	}{
		{"no MaxConcurrency", mapOfPass(""), `{"items":` + zeros(500) + `}`, 500,
			interpreter.Limits{StepEvents: 100}, 40},
		{"MaxConcurrency 0", mapOfPass("0"), `{"items":` + zeros(300) + `}`, 300,
			interpreter.Limits{StepEvents: 100}, 40},
		{"MaxConcurrency above 40", mapOfPass("100000"), `{"items":` + zeros(300) + `}`, 300,
			interpreter.Limits{StepEvents: 1000}, 40},
		{"MaxConcurrency below 40", mapOfPass("3"), `{"items":` + zeros(100) + `}`, 100,
			interpreter.Limits{StepEvents: 1000}, 3},
		{"tasks", withTask, `{"items":` + zeros(200) + `}`, 200,
			interpreter.Limits{StepEvents: 50}, 40},
		// The smallest budget that still holds a state's events and the
		// ends of the Map around it (unitEvents: 8).
		{"small steps", mapOfPass(""), `{"items":` + zeros(100) + `}`, 100,
			interpreter.Limits{StepEvents: 8}, 40},
		{"byte bound", withBig, `{"items":` + zeros(200) + `}`, 200,
			interpreter.Limits{StepEvents: 1000, StepBytes: 8 << 10}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &stepRecorder{}
			tc.limits.MaxPayload, tc.limits.MaxHistory = 256<<10, 25000
			f := setup(t, withLimits(tc.limits), withObserver(rec))
			f.eng.RegisterHandler("echo", handlerFunc(func(in map[string]any) (any, error) { return in, nil }))
			f.put("sm", tc.def)
			ex := f.wait(f.start("sm", tc.input).ID)
			if ex.Status != store.StatusSucceeded {
				t.Fatalf("ended %s %q %q", ex.Status, ex.Error, ex.Cause)
			}
			h := f.history(ex.ID)
			checkInvariants(t, h, false)
			if n := count(h, "MapIterationSucceeded"); n != tc.items {
				t.Errorf("%d iterations succeeded, want %d", n, tc.items)
			}
			if got := mapInFlight(h); got != tc.wantInFlight {
				t.Errorf("at most %d iterations in flight, want %d", got, tc.wantInFlight)
			}
			largest := 0
			for _, e := range h {
				largest = max(largest, len(e.Raw))
			}
			stepBytes := tc.limits.StepBytes
			if stepBytes == 0 {
				stepBytes = interpreter.DefaultLimits.StepBytes
			}
			for i, c := range commits(t, h, rec.stepsOf(ex.ID)) {
				if len(c) > tc.limits.StepEvents {
					t.Errorf("commit %d wrote %d events (from %d), more than StepEvents (%d)", i, len(c), c[0].ID, tc.limits.StepEvents)
				}
				size := 0
				for _, e := range c {
					size += len(e.Raw)
				}
				// A step stops beginning work at StepBytes; the state under
				// way writes its few events.
				if size > stepBytes+4*largest {
					t.Errorf("commit %d wrote %d bytes, StepBytes is %d (largest event %d)", i, size, stepBytes, largest)
				}
			}
		})
	}
}

// TestHugeMapStaysSmall runs a Map over 120,000 items (the most a 256 KiB
// input holds) with AWS's limits and no MaxConcurrency: it runs in waves
// of 40 until its history is full, then fails, with exactly 25,000
// events, in commits of at most 1,000, and the process's resident memory
// grows by less than 100 MB. (Before, it started all 120,000 iterations in
// one step of 14.8 MB of history.)
func TestHugeMapStaysSmall(t *testing.T) {
	// Not parallel: the memory measured is the whole process's.
	rec := &stepRecorder{}
	peak := newRSSPeak(t)
	rec.after = peak.sample
	f := setup(t, withLimits(interpreter.DefaultLimits), withObserver(rec))
	f.put("sm", mapOfPass(""))
	input := `{"items":` + zeros(120000) + `}`
	if len(input) > interpreter.DefaultLimits.MaxPayload {
		t.Fatalf("input of %d bytes is over the payload limit", len(input))
	}
	id := f.start("sm", input).ID
	// Its 25,000 events take a few seconds, many more under the race
	// detector: a longer guard than f.wait's.
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Minute)
	defer cancel()
	ex, err := f.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	grew := peak.growth()
	if ex.Status != store.StatusFailed || ex.Error != failure.Runtime {
		t.Fatalf("ended %s %q %q, want FAILED States.Runtime", ex.Status, ex.Error, ex.Cause)
	}
	h := f.history(ex.ID)
	checkInvariants(t, h, false)
	if len(h) != 25000 || h[len(h)-1].Type != "ExecutionFailed" {
		t.Errorf("%d events, the last %s; want 25000, the last ExecutionFailed", len(h), h[len(h)-1].Type)
	}
	if got := mapInFlight(h); got != 40 {
		t.Errorf("at most %d iterations in flight, want 40", got)
	}
	for i, c := range commits(t, h, rec.stepsOf(ex.ID)) {
		if len(c) > 1000 {
			t.Errorf("commit %d wrote %d events", i, len(c))
		}
	}
	t.Logf("resident memory grew by %d MB; %d steps", grew>>20, len(rec.stepsOf(ex.ID)))
	if grew > 100<<20 && !raceDetector {
		t.Errorf("resident memory grew by %d MB, want less than 100 MB", grew>>20)
	}
}

// rssPeak measures how much the process's resident memory grows: the
// kernel's peak (VmHWM, reset through /proc/self/clear_refs where that is
// allowed), and the resident size sampled after every commit otherwise.
type rssPeak struct {
	t     *testing.T
	base  int64
	reset bool
	mu    sync.Mutex
	seen  int64
}

func newRSSPeak(t *testing.T) *rssPeak {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status to read the resident memory from")
	}
	p := &rssPeak{t: t}
	p.reset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	p.base = procStatus(t, "VmRSS")
	p.seen = p.base
	return p
}

func (p *rssPeak) sample() {
	v := procStatus(p.t, "VmRSS")
	p.mu.Lock()
	p.seen = max(p.seen, v)
	p.mu.Unlock()
}

func (p *rssPeak) growth() int64 {
	p.sample()
	p.mu.Lock()
	peak := p.seen
	p.mu.Unlock()
	if p.reset {
		peak = max(peak, procStatus(p.t, "VmHWM"))
	}
	return peak - p.base
}

// procStatus reads a field of /proc/self/status in bytes.
func procStatus(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Errorf("read /proc/self/status: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Errorf("%s: %q: %v", field, line, err)
			}
			return kb << 10
		}
	}
	t.Errorf("no %s in /proc/self/status", field)
	return 0
}
