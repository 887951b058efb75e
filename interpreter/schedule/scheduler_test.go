package schedule

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

func everyMinute(sm string) Spec {
	return Spec{Target: Target{StateMachine: sm}, Expression: "cron(* * * * ? *)", Input: mustJSON(map[string]int{"n": 1})}
}

func TestFiresEachSlotOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.put("tick", everyMinute("pass"))
	if !v.NextFire.Equal(at("2025-01-01T10:01:00Z")) {
		t.Fatalf("next fire %s, want 10:01", v.NextFire)
	}
	f.at(at("2025-01-01T10:00:59Z"), "tick") // not yet
	if got := f.executions("pass"); len(got) != 0 {
		t.Fatalf("fired before the slot: %v", got)
	}
	v = f.at(at("2025-01-01T10:01:00.200Z"), "tick")
	v = f.at(at("2025-01-01T10:01:10Z"), "tick") // a second look fires nothing more
	want := []string{"pass:tick-20250101T100100Z"}
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Fatalf("executions (-want +got):\n%s", diff)
	}
	if v.State.Counts.Fired != 1 || len(v.State.Recent) != 1 || v.State.Recent[0].Kind != KindScheduled {
		t.Errorf("state after one fire: %+v", v.State)
	}
	if ex := f.status(want[0]); string(ex.Input) != `{"n":1}` || ex.Status != store.StatusSucceeded {
		t.Errorf("execution %s: input %s status %s", ex.ID, ex.Input, ex.Status)
	}
	if !v.NextFire.Equal(at("2025-01-01T10:02:00Z")) {
		t.Errorf("next fire %s, want 10:02", v.NextFire)
	}
	f.at(at("2025-01-01T10:02:00Z"), "tick")
	if got := f.executions("pass"); len(got) != 2 || got[1] != "pass:tick-20250101T100200Z" {
		t.Errorf("executions %v", got)
	}
}

// TestCatchupAfterDowntime: after ten minutes without a pass, the slots of
// the last five (the catch-up window) fire once each, oldest first; the
// older ones are skipped and counted.
func TestCatchupAfterDowntime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("pass")
	spec.CatchupWindowSeconds = 300
	f.put("tick", spec)
	v := f.at(at("2025-01-01T10:10:30Z"), "tick")
	var want []string
	for m := 6; m <= 10; m++ {
		want = append(want, "pass:tick-20250101T10"+two(m)+"00Z")
	}
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Fatalf("executions (-want +got):\n%s", diff)
	}
	if v.State.Counts.Fired != 5 || v.State.Counts.Skipped[SkipMissed] != 5 {
		t.Errorf("counts %+v, want 5 fired and 5 missed", v.State.Counts)
	}
	kinds := map[string]int{}
	for _, r := range v.State.Recent {
		kinds[r.Kind]++
	}
	if kinds[KindCatchup] != 4 || kinds[KindScheduled] != 1 {
		t.Errorf("kinds %v: the 10:10 slot is on time, the others caught up", kinds)
	}
}

func two(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

func TestOverlapPolicies(t *testing.T) {
	t.Parallel()
	slot := func(m int) time.Time { return at("2025-01-01T10:0" + string(rune('0'+m)) + ":00Z") }
	name := func(m int) string { return "hold:job-20250101T100" + string(rune('0'+m)) + "00Z" }
	tests := []struct {
		policy string
		// after slots 1, 2, 3 fire with the first execution running, then
		// the first stopped and one more look:
		running  []string // executions running after slot 3
		afterEnd []string // running after the first one was stopped
		skipped  int64
		stopped  map[string]string // execution -> error
	}{
		{policy: Skip, running: []string{name(1)}, afterEnd: nil, skipped: 2},
		{policy: BufferOne, running: []string{name(1)}, afterEnd: []string{name(2)}, skipped: 1},
		{policy: BufferAll, running: []string{name(1)}, afterEnd: []string{name(2)}, skipped: 0},
		{policy: AllowAll, running: []string{name(1), name(2), name(3)}, afterEnd: []string{name(2), name(3)}},
		{policy: CancelOther, running: []string{name(3)}, afterEnd: []string{name(3)},
			stopped: map[string]string{name(1): "Schedule.Cancelled", name(2): "Schedule.Cancelled"}},
		{policy: TerminateOther, running: []string{name(3)}, afterEnd: []string{name(3)},
			stopped: map[string]string{name(1): "Schedule.Terminated", name(2): "Schedule.Terminated"}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.put("job", Spec{Target: Target{StateMachine: "hold"}, Expression: "cron(* * * * ? *)", OverlapPolicy: tt.policy})
			for m := 1; m <= 3; m++ {
				f.at(slot(m), "job")
			}
			running := func() []string {
				var out []string
				for _, id := range f.executions("hold") {
					if f.status(id).Status == store.StatusRunning {
						out = append(out, id)
					}
				}
				return out
			}
			if diff := cmp.Diff(tt.running, running()); diff != "" {
				t.Fatalf("running after three slots (-want +got):\n%s", diff)
			}
			for id, errName := range tt.stopped {
				ex := f.status(id)
				if ex.Status != store.StatusAborted || ex.Error != errName || !strings.Contains(ex.Cause, "schedule job: slot 2025-01-01T10:0") ||
					!strings.Contains(ex.Cause, tt.policy) {
					t.Errorf("%s: %s %s %q", id, ex.Status, ex.Error, ex.Cause)
				}
			}
			// The first one ends; the next look starts a buffered slot.
			if _, err := f.eng.StopExecution(f.ctx, name(1), "Test.Done", ""); err != nil {
				t.Fatal(err)
			}
			v := f.at(at("2025-01-01T10:03:30Z"), "job")
			if diff := cmp.Diff(tt.afterEnd, running()); diff != "" {
				t.Errorf("running after the first ended (-want +got):\n%s", diff)
			}
			if got := v.State.Counts.Skipped[SkipOverlap]; got != tt.skipped {
				t.Errorf("skipped for overlap: %d, want %d", got, tt.skipped)
			}
			if tt.policy == BufferAll {
				if len(v.State.Buffered) != 1 || !v.State.Buffered[0].Slot.Equal(slot(3)) {
					t.Errorf("buffered %+v, want slot 3 still waiting", v.State.Buffered)
				}
				if _, err := f.eng.StopExecution(f.ctx, name(2), "Test.Done", ""); err != nil {
					t.Fatal(err)
				}
				f.at(at("2025-01-01T10:03:40Z"), "job")
				if diff := cmp.Diff([]string{name(3)}, running()); diff != "" {
					t.Errorf("BUFFER_ALL runs its slots in turn (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPauseResumeTrigger(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put("tick", everyMinute("pass"))
	v, err := f.s.Pause(f.ctx, "tick", "maintenance until noon")
	if err != nil || !v.State.Paused || v.State.Note != "maintenance until noon" {
		t.Fatalf("Pause: %+v %v", v.State, err)
	}
	v = f.at(at("2025-01-01T10:02:10Z"), "tick")
	if got := f.executions("pass"); len(got) != 0 {
		t.Fatalf("a paused schedule fired: %v", got)
	}
	if v.State.Counts.Skipped[SkipPaused] != 2 {
		t.Errorf("paused skips %d, want 2", v.State.Counts.Skipped[SkipPaused])
	}
	// A trigger fires while paused: the slot is the current second.
	p, _, err := f.s.Trigger(f.ctx, "tick")
	if err != nil || !p.Slot.Equal(at("2025-01-01T10:02:10Z")) {
		t.Fatalf("Trigger: %+v %v", p, err)
	}
	f.s.pass(f.ctx, "tick")
	if diff := cmp.Diff([]string{"pass:tick-20250101T100210M"}, f.executions("pass")); diff != "" {
		t.Fatalf("after trigger (-want +got):\n%s", diff)
	}
	f.clock.Set(at("2025-01-01T10:04:10Z"))
	v, err = f.s.Resume(f.ctx, "tick")
	if err != nil || v.State.Paused || v.State.Note != "" {
		t.Fatalf("Resume: %+v %v", v.State, err)
	}
	// Slots that passed while paused are not fired after the resume.
	f.at(at("2025-01-01T10:04:20Z"), "tick")
	v = f.at(at("2025-01-01T10:05:00Z"), "tick")
	want := []string{"pass:tick-20250101T100210M", "pass:tick-20250101T100500Z"}
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Errorf("after resume (-want +got):\n%s", diff)
	}
	if v.State.Counts.Skipped[SkipPaused] != 4 || v.State.Counts.Fired != 2 {
		t.Errorf("counts %+v, want 4 paused (10:01-10:04) and 2 fired", v.State.Counts)
	}
}

func TestBackfill(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := Spec{Target: Target{StateMachine: "pass"}, Expression: "cron(0/15 * * * ? *)", Timezone: "Europe/Oslo"}
	f.put("q", spec)
	slots, _, err := f.s.Backfill(f.ctx, "q", at("2025-01-01T08:00:00Z"), at("2025-01-01T09:00:00Z"))
	if err != nil || len(slots) != 5 {
		t.Fatalf("Backfill: %d slots, %v", len(slots), err)
	}
	f.s.pass(f.ctx, "q")
	want := []string{"pass:q-20250101T080000Z", "pass:q-20250101T081500Z", "pass:q-20250101T083000Z", "pass:q-20250101T084500Z", "pass:q-20250101T090000Z"}
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Fatalf("backfilled (-want +got):\n%s", diff)
	}
	// Backfilling again finds the executions: nothing new starts.
	if _, _, err := f.s.Backfill(f.ctx, "q", at("2025-01-01T08:30:00Z"), at("2025-01-01T08:45:00Z")); err != nil {
		t.Fatal(err)
	}
	v := f.at(f.clock.Now(), "q")
	if len(f.executions("pass")) != 5 || !v.State.Recent[0].Existing || v.State.Counts.Fired != 7 {
		t.Errorf("a second backfill: %d executions, recent %+v, fired %d", len(f.executions("pass")), v.State.Recent[0], v.State.Counts.Fired)
	}
	for _, bad := range []struct {
		from, to string
		msg      string
	}{
		{"2025-01-01T09:00:00Z", "2025-01-01T08:00:00Z", "is not after"},
		{"2025-01-01T09:00:00Z", "2025-01-02T08:00:00Z", "in the future"},
		{"2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z", "more than 1000 slots"},
		{"2025-01-01T08:01:00Z", "2025-01-01T08:14:00Z", "no slot"},
	} {
		_, _, err := f.s.Backfill(f.ctx, "q", at(bad.from), at(bad.to))
		if !errors.Is(err, ErrBadRange) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("Backfill %s..%s: %v, want %q", bad.from, bad.to, err, bad.msg)
		}
	}
	// A rate with a start date backfills the slots it fires: counted from
	// the start date, not from the schedule's creation (10:00:30).
	f.put("r", Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)", StartDate: ptr(at("2025-01-01T00:00:00Z"))})
	slots, _, err = f.s.Backfill(f.ctx, "r", at("2025-01-01T05:00:00Z"), at("2025-01-01T07:00:00Z"))
	var got []string
	for _, p := range slots {
		got = append(got, p.Slot.UTC().Format(time.RFC3339))
	}
	if diff := cmp.Diff([]string{"2025-01-01T05:00:00Z", "2025-01-01T06:00:00Z", "2025-01-01T07:00:00Z"}, got); err != nil || diff != "" {
		t.Errorf("rate backfill: %v (-want +got):\n%s", err, diff)
	}
}

func TestFlexibleWindowFiresAtTheJitter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := Spec{Target: Target{StateMachine: "pass"}, Expression: "cron(0 11 * * ? *)",
		FlexibleTimeWindow: &FlexibleTimeWindow{Mode: WindowFlexible, MaximumWindowInMinutes: 30}}
	v := f.put("flex", spec)
	slot := at("2025-01-01T11:00:00Z")
	fire := slot.Add(Jitter("flex", slot, 30))
	if !v.NextSlot.Equal(slot) || !v.NextFire.Equal(fire) {
		t.Fatalf("next slot %s fire %s, want %s and %s", v.NextSlot, v.NextFire, slot, fire)
	}
	f.at(fire.Add(-time.Second), "flex")
	if len(f.executions("pass")) != 0 {
		t.Fatal("fired before its jittered time")
	}
	f.at(fire, "flex")
	// The execution is named by the slot, not the fire time.
	if diff := cmp.Diff([]string{"pass:flex-20250101T110000Z"}, f.executions("pass")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDisabledAndFailedSlots(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("pass")
	spec.State = Disabled
	f.put("off", spec)
	v := f.at(at("2025-01-01T10:02:00Z"), "off")
	if len(f.executions("pass")) != 0 || v.State.Counts.Skipped[SkipDisabled] != 2 {
		t.Fatalf("disabled: %v, %+v", f.executions("pass"), v.State.Counts)
	}
	f.put("gone", everyMinute("hold"))
	if err := f.eng.DeleteStateMachine(f.ctx, "hold"); err != nil {
		t.Fatal(err)
	}
	v = f.at(at("2025-01-01T10:03:00Z"), "gone")
	if v.State.Counts.Skipped[SkipFailed] != 2 || !strings.Contains(v.State.LastError, "slot 2025-01-01T10:03:00Z") || len(v.State.Queue) != 0 {
		t.Errorf("a start refused for good is counted and not retried: %+v", v.State)
	}
	// Input too deep for an execution (stored before Put checked it) is
	// refused for good too, not retried every poll.
	f.put("deep", everyMinute("pass"))
	d, err := f.eng.Store().GetDoc(f.ctx, docKind, "deep")
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeRecord(d)
	if err != nil {
		t.Fatal(err)
	}
	r.Spec.Input = []byte(strings.Repeat("[", 600) + strings.Repeat("]", 600))
	if _, err := f.eng.Store().PutDoc(f.ctx, r.encode()); err != nil {
		t.Fatal(err)
	}
	v = f.at(at("2025-01-01T10:04:00Z"), "deep")
	if v.State.Counts.Skipped[SkipFailed] != 2 || len(v.State.Queue) != 0 { // 10:03 and 10:04
		t.Errorf("deep input is counted failed and not retried: %+v", v.State)
	}
}

// TestCatchupHardCap: without a retention, a catch-up window is still at
// most 366 days.
func TestCatchupHardCap(t *testing.T) {
	t.Parallel()
	for _, c := range []int{MaxCatchupSeconds + 1, 1e10, 1 << 62} {
		_, err := normalize(Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)", CatchupWindowSeconds: c}, Limits{})
		var se *SpecError
		if !errors.As(err, &se) || se.Problems[0].Path != "/catchupWindowSeconds" {
			t.Errorf("catch-up %d: %v, want a problem at /catchupWindowSeconds", c, err)
		}
	}
	if _, err := normalize(Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)", CatchupWindowSeconds: MaxCatchupSeconds}, Limits{}); err != nil {
		t.Errorf("366 days: %v", err)
	}
}

func TestPutProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		sched string
		spec  Spec
		paths []string
	}{
		{"name too long", strings.Repeat("a", 64), everyMinute("pass"), nil},
		{"bad name", "a b", everyMinute("pass"), nil},
		{"everything wrong", "x", Spec{Target: Target{StateMachine: "no such", Version: 1, Alias: "a"}, Expression: "cron(0 25 * * ? *)",
			Timezone: "Mars/Olympus", State: "ON", OverlapPolicy: "QUEUE", CatchupWindowSeconds: 10, Input: []byte("{"),
			FlexibleTimeWindow: &FlexibleTimeWindow{Mode: WindowFlexible},
			StartDate:          ptr(at("2025-02-01T00:00:00Z")), EndDate: ptr(at("2025-01-01T00:00:00Z"))},
			[]string{"/target/stateMachine", "/target", "/input", "/timezone", "/expression", "/endDate", "/state",
				"/flexibleTimeWindow/maximumWindowInMinutes", "/overlapPolicy", "/catchupWindowSeconds"}},
		{"catch-up beyond retention", "x", Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)", CatchupWindowSeconds: 8 * 86400},
			[]string{"/catchupWindowSeconds"}},
		{"at in a daylight-saving gap", "x", Spec{Target: Target{StateMachine: "pass"}, Expression: "at(2025-03-09T02:30:00)", Timezone: "America/New_York"},
			[]string{"/expression"}},
		{"dates out of range", "x", Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 minute)",
			StartDate: ptr(at("1700-01-01T00:00:00Z")), EndDate: ptr(at("2200-01-01T00:00:00Z"))},
			[]string{"/startDate", "/endDate"}},
		{"catch-up that overflows a Duration", "x", Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)", CatchupWindowSeconds: 1e10},
			[]string{"/catchupWindowSeconds"}},
		{"input nested too deep", "x", Spec{Target: Target{StateMachine: "pass"}, Expression: "rate(1 hour)",
			Input: []byte(strings.Repeat("[", 600) + strings.Repeat("]", 600))}, []string{"/input"}},
		{"unknown state machine", "x", everyMinute("nope"), []string{"/target"}},
		{"unknown version", "x", Spec{Target: Target{StateMachine: "pass", Version: 9}, Expression: "rate(1 hour)"}, []string{"/target"}},
		{"aliases need the API's starter", "x", Spec{Target: Target{StateMachine: "pass", Alias: "prod"}, Expression: "rate(1 hour)"}, []string{"/target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.s.Put(f.ctx, tt.sched, tt.spec)
			if tt.paths == nil {
				if !errors.Is(err, ErrInvalidName) {
					t.Fatalf("Put: %v, want ErrInvalidName", err)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Put: %v, want a SpecError", err)
			}
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.Path)
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("problems %v (-want +got):\n%s", se.Problems, diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestReplaceKeepsState: a replaced schedule keeps its counters and pause,
// and its new expression does not fire slots from before the change.
func TestReplaceKeepsState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put("tick", everyMinute("pass"))
	f.at(at("2025-01-01T10:01:00Z"), "tick")
	if _, err := f.s.Pause(f.ctx, "tick", "why"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(at("2025-01-01T10:20:30Z"))
	spec := everyMinute("pass")
	spec.Expression = "cron(0/10 * * * ? *)"
	v, created, err := f.s.Put(f.ctx, "tick", spec)
	if err != nil || created {
		t.Fatalf("Put: created %v, %v", created, err)
	}
	// 10:02-10:20 passed paused, the runner not there yet: counted paused.
	if v.State.Counts.Fired != 1 || !v.State.Paused || !v.NextSlot.Equal(at("2025-01-01T10:30:00Z")) || v.State.Counts.Skipped[SkipPaused] != 19 {
		t.Errorf("replaced: %+v next %s", v.State, v.NextSlot)
	}
	if !v.Created.Equal(t0) || !v.Updated.Equal(at("2025-01-01T10:20:30Z")) {
		t.Errorf("created %s updated %s", v.Created, v.Updated)
	}
}

func TestDeleteAndNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put("tick", everyMinute("pass"))
	if err := f.s.Delete(f.ctx, "tick"); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"delete": f.s.Delete(f.ctx, "tick"),
		"get":    func() error { _, err := f.s.Get(f.ctx, "tick"); return err }(),
		"pause":  func() error { _, err := f.s.Pause(f.ctx, "tick", ""); return err }(),
		"trigger": func() error {
			_, _, err := f.s.Trigger(f.ctx, "tick")
			return err
		}(),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a deleted schedule: %v", what, err)
		}
	}
	list, _, err := f.s.List(f.ctx, "", 10)
	if err != nil || len(list) != 0 {
		t.Errorf("List: %v %v", list, err)
	}
}

// TestRunnerWakesAtTheSlot: the runner's loop sleeps on the clock until
// the next fire time across its schedules, and fires then.
func TestRunnerWakesAtTheSlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fired := make(chan Fire, 10)
	f.s.afterStart = func(fi Fire) error { fired <- fi; return nil }
	wrote := make(chan string, 100)
	f.s.written = func(name string, fires int) {
		if fires > 0 {
			wrote <- name
		}
	}
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.put("a", everyMinute("pass"))
	spec := everyMinute("pass")
	spec.Expression = "cron(30 10 * * ? *)"
	f.put("b", spec)
	// A poll of an hour: what wakes the runner at the slot is the heap.
	f.s.cfg.Poll = time.Hour
	if err := f.s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.s.Stop()
	for _, want := range []struct {
		at, name string
	}{{"2025-01-01T10:01:00Z", "a-20250101T100100Z"}, {"2025-01-01T10:02:00Z", "a-20250101T100200Z"}} {
		f.clock.waitFor(t, at(want.at))
		f.clock.Set(at(want.at))
		select {
		case fi := <-fired:
			if fi.Name != want.name {
				t.Fatalf("fired %s, want %s", fi.Name, want.name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing fired at %s", want.at)
		}
		for name := ""; name != "a"; {
			select {
			case name = <-wrote:
			case <-time.After(10 * time.Second):
				t.Fatal("the fire's pass wrote nothing")
			}
		}
	}
	if got := testutilCount(f.s.metrics.fires.WithLabelValues(KindScheduled)); got != 2 {
		t.Errorf("fires metric %v, want 2", got)
	}
}

// waitFor blocks until someone waits for the clock to reach t exactly or
// earlier (the runner went to sleep until then).
func (c *testClock) waitFor(t *testing.T, target time.Time) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		found := false
		for _, w := range c.waiters {
			if !w.at.After(target) {
				found = true
			}
		}
		added := c.added
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("nobody waits for the clock at or before %s", target)
		}
	}
}

// TestTransientFailure: while starts fail for now, nothing piles up in the
// queue; when they work again, only the slots within the catch-up window
// fire, the older ones are counted missed, and a queued trigger waits.
func TestTransientFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("pass")
	spec.CatchupWindowSeconds = 300
	f.put("tick", spec)
	down := errors.New("store unavailable")
	f.s.beforeStart = func(Fire) error { return down }
	if _, _, err := f.s.Trigger(f.ctx, "tick"); err != nil {
		t.Fatal(err)
	}
	var v View
	for m := 1; m <= 120; m += 7 { // two hours of failing passes
		v = f.at(at("2025-01-01T10:00:30Z").Add(time.Duration(m)*time.Minute), "tick")
	}
	if len(v.State.Queue) != 1 || v.State.Queue[0].Kind != KindTrigger || !strings.Contains(v.State.LastError, "store unavailable") {
		t.Fatalf("while failing: queue %+v, last error %q", v.State.Queue, v.State.LastError)
	}
	if len(f.executions("pass")) != 0 {
		t.Fatalf("started while failing: %v", f.executions("pass"))
	}
	f.s.beforeStart = nil
	v = f.at(at("2025-01-01T12:00:30Z"), "tick")
	want := []string{"pass:tick-20250101T100030M"} // the trigger
	for m := 56; m <= 60; m++ {
		h, mm := 11, m
		if m == 60 {
			h, mm = 12, 0
		}
		want = append(want, "pass:tick-20250101T"+two(h)+two(mm)+"00Z")
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Errorf("after recovery (-want +got):\n%s", diff)
	}
	// 10:01 to 11:55 missed: 115 slots.
	if v.State.Counts.Fired != 6 || v.State.Counts.Skipped[SkipMissed] != 115 || len(v.State.Queue) != 0 {
		t.Errorf("after recovery: counts %+v, queue %d", v.State.Counts, len(v.State.Queue))
	}
}

// TestPassBound: a pass starts at most maxFiresPerPass, queued ones
// included; the rest follow in the next passes, each once.
func TestPassBound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("pass")
	spec.OverlapPolicy = AllowAll
	spec.CatchupWindowSeconds = 3 * 3600
	f.put("tick", spec)
	if _, _, err := f.s.Backfill(f.ctx, "tick", at("2024-12-31T10:00:00Z"), at("2024-12-31T11:29:00Z")); err != nil { // 90 slots
		t.Fatal(err)
	}
	v := f.at(at("2025-01-01T11:00:30Z"), "tick") // 60 slots due
	if n := len(f.executions("pass")); n != maxFiresPerPass {
		t.Fatalf("first pass started %d, want %d", n, maxFiresPerPass)
	}
	if v.NextFire.After(at("2025-01-01T11:00:30Z")) {
		t.Errorf("more is due at once, next fire %s", v.NextFire)
	}
	v = f.at(at("2025-01-01T11:00:31Z"), "tick")
	if n := len(f.executions("pass")); n != 150 || v.State.Counts.Fired != 150 || len(v.State.Queue) != 0 {
		t.Errorf("after two passes: %d executions, counts %+v, queue %d", n, v.State.Counts, len(v.State.Queue))
	}
}

// TestChangesKeepDueSlots: a PUT that changes neither the slots nor the
// state, and a Resume of a schedule that is not paused, leave the slots
// the runner has not reached to fire; a PUT that changes the expression
// drops them, counted; enabling a disabled schedule counts its slots as
// disabled.
func TestChangesKeepDueSlots(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A name whose 11:00 slot waits at least a minute for its jitter.
	name := ""
	for i := 0; name == ""; i++ {
		if n := "flex" + two(i); Jitter(n, at("2025-01-01T11:00:00Z"), 60) >= time.Minute {
			name = n
		}
	}
	spec := Spec{Target: Target{StateMachine: "pass"}, Expression: "cron(0 * * * ? *)",
		FlexibleTimeWindow: &FlexibleTimeWindow{Mode: WindowFlexible, MaximumWindowInMinutes: 60}}
	v := f.put(name, spec)
	fire := v.NextFire
	f.clock.Set(at("2025-01-01T11:00:30Z"))
	spec.Description = "only the description changes"
	f.put(name, spec)
	v = f.at(fire, name)
	if want := []string{"pass:" + name + "-20250101T110000Z"}; !cmp.Equal(want, f.executions("pass")) {
		t.Errorf("after a description-only PUT: %v, want %v", f.executions("pass"), want)
	}

	f.put("tick", everyMinute("pass"))                                                 // at fire, after 11:00:30
	f.clock.Set(fire.Truncate(time.Minute).Add(3 * time.Minute).Add(10 * time.Second)) // three slots due, no pass yet
	if v, err := f.s.Resume(f.ctx, "tick"); err != nil || v.State.Counts.Skipped[SkipPaused] != 0 {
		t.Fatalf("Resume of a running schedule: %+v %v", v.State.Counts, err)
	}
	v = f.at(f.clock.Now(), "tick")
	if v.State.Counts.Fired != 3 {
		t.Errorf("after a Resume that lifted nothing: %+v, want 3 fired", v.State.Counts)
	}

	f.clock.Set(f.clock.Now().Add(2 * time.Minute))
	spec = everyMinute("pass")
	spec.Expression = "cron(0/5 * * * ? *)"
	v, _, err := f.s.Put(f.ctx, "tick", spec)
	if err != nil || v.State.Counts.Skipped[SkipReplaced] != 2 {
		t.Errorf("a new expression: %+v %v, want 2 replaced", v.State.Counts, err)
	}

	spec = everyMinute("pass")
	spec.State = Disabled
	f.put("off", spec)
	f.clock.Set(f.clock.Now().Add(2 * time.Minute))
	spec.State = Enabled
	if v, _, err := f.s.Put(f.ctx, "off", spec); err != nil || v.State.Counts.Skipped[SkipDisabled] != 2 {
		t.Errorf("enabled: %+v %v, want 2 disabled", v.State.Counts, err)
	}
	if v := f.at(f.clock.Now(), "off"); v.State.Counts.Fired != 0 {
		t.Errorf("slots of a disabled schedule fired once enabled: %+v", v.State.Counts)
	}
}

// TestTriggerApartFromSlots: a trigger in the second of a scheduled slot
// starts its own execution; the slot starts the scheduled one; each is
// counted once.
func TestTriggerApartFromSlots(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put("tick", everyMinute("pass"))
	f.clock.Set(at("2025-01-01T10:01:00.300Z"))
	p, _, err := f.s.Trigger(f.ctx, "tick")
	if err != nil || p.ExecutionName("tick") != "tick-20250101T100100M" {
		t.Fatalf("Trigger: %+v %v", p, err)
	}
	v := f.at(f.clock.Now(), "tick")
	want := []string{"pass:tick-20250101T100100M", "pass:tick-20250101T100100Z"}
	if diff := cmp.Diff(want, f.executions("pass")); diff != "" {
		t.Errorf("executions (-want +got):\n%s", diff)
	}
	if v.State.Counts.Fired != 2 || len(v.State.Recent) != 2 || v.State.Recent[0].Existing || v.State.Recent[1].Existing {
		t.Errorf("state: %+v", v.State)
	}
	// Buffered, a trigger keeps its name.
	spec := everyMinute("hold")
	spec.OverlapPolicy = BufferOne
	f.clock.Set(at("2025-01-01T10:01:59Z"))
	f.put("held", spec)
	f.at(at("2025-01-01T10:02:00Z"), "held") // starts 10:02, which holds
	f.clock.Set(at("2025-01-01T10:02:05Z"))
	if _, _, err := f.s.Trigger(f.ctx, "held"); err != nil {
		t.Fatal(err)
	}
	v = f.at(f.clock.Now(), "held")
	if len(v.State.Buffered) != 1 || v.State.Buffered[0].ExecutionName("held") != "held-20250101T100205M" {
		t.Errorf("buffered trigger: %+v", v.State.Buffered)
	}
}

// TestOwnershipCheckedBeforeEachStart: a node that loses the schedule's
// partition in the middle of a pass starts nothing more in it.
func TestOwnershipCheckedBeforeEachStart(t *testing.T) {
	t.Parallel()
	f := newFixtureOn(t, memory.WithLeases(memory.New(), 16))
	if own, _ := f.eng.Owns(ownerKey("tick")); !own {
		t.Fatal("the only node does not own the schedule")
	}
	f.put("tick", everyMinute("pass"))
	starts := 0
	f.s.beforeStart = func(Fire) error {
		if starts++; starts == 1 {
			f.eng.Stop() // hands its leases back
		}
		return nil
	}
	f.clock.Set(at("2025-01-01T10:03:30Z")) // 10:01, 10:02, 10:03 due
	f.s.pass(f.ctx, "tick")
	if starts != 1 {
		t.Errorf("%d starts after the partition left, want 1", starts)
	}
}

// TestIdlePassDoesNotWrite: a pass that changes nothing (a buffered slot
// still waiting for the running execution) writes nothing.
func TestIdlePassDoesNotWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("hold")
	spec.OverlapPolicy = BufferOne
	f.clock.Set(at("2025-01-01T10:00:59Z"))
	f.put("held", spec)
	f.at(at("2025-01-01T10:01:00Z"), "held") // starts 10:01, which holds
	f.at(at("2025-01-01T10:02:00Z"), "held") // buffers 10:02
	d, err := f.eng.Store().GetDoc(f.ctx, docKind, "held")
	if err != nil {
		t.Fatal(err)
	}
	f.at(at("2025-01-01T10:02:01Z"), "held")
	f.at(at("2025-01-01T10:02:02Z"), "held")
	d2, err := f.eng.Store().GetDoc(f.ctx, docKind, "held")
	if err != nil || d2.Rev != d.Rev {
		t.Errorf("idle passes wrote: revision %d, then %d (%v)", d.Rev, d2.Rev, err)
	}
}

// TestLengthsInCharacters: descriptions and notes are bounded in
// characters, not bytes.
func TestLengthsInCharacters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := everyMinute("pass")
	spec.Description = strings.Repeat("é", MaxDescription) // 2 bytes each
	f.put("tick", spec)
	if _, err := f.s.Pause(f.ctx, "tick", strings.Repeat("€", MaxDescription)); err != nil {
		t.Errorf("a note of %d characters: %v", MaxDescription, err)
	}
	spec.Description += "x"
	var se *SpecError
	if _, _, err := f.s.Put(f.ctx, "tick", spec); !errors.As(err, &se) || se.Problems[0].Path != "/description" {
		t.Errorf("a description of %d characters: %v", MaxDescription+1, err)
	}
}
