package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenRecord is a schedule in the middle of its life: paused, with a
// buffered slot, a queued backfill, counters and recent executions.
func goldenRecord() *record {
	created := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	next := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	paused := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	return &record{
		Name: "nightly-report",
		Spec: Spec{Target: Target{StateMachine: "report", Alias: "prod"}, Input: json.RawMessage(`{"kind":"daily"}`),
			Expression: "cron(0 9 ? * MON-FRI *)", Timezone: "Europe/Oslo", StartDate: &created, State: Enabled,
			FlexibleTimeWindow: &FlexibleTimeWindow{Mode: WindowFlexible, MaximumWindowInMinutes: 15},
			OverlapPolicy:      BufferOne, CatchupWindowSeconds: 3600, Description: "the daily report"},
		Created: created, Updated: paused, Anchor: created,
		State: State{Cursor: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC), Paused: true, Note: "auditors asked", PausedAt: &paused,
			Queue:    []Pending{{Slot: time.Date(2024, 12, 31, 8, 0, 0, 0, time.UTC), Kind: KindBackfill}},
			Buffered: []Pending{{Slot: time.Date(2024, 12, 30, 8, 0, 0, 0, time.UTC), Kind: KindBuffered}},
			Latest:   "report:nightly-report-20250101T080000Z",
			Counts:   Counts{Fired: 12, Skipped: map[string]int64{SkipOverlap: 2, SkipMissed: 1}},
			Recent: []Started{{Slot: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC), Kind: KindScheduled,
				ExecutionID: "report:nightly-report-20250101T080000Z", At: time.Date(2025, 1, 1, 8, 4, 12, 0, time.UTC), Node: "node-1"}},
			NextFire: &next},
		Fence: 7,
	}
}

// TestGoldenV1: the encoding-1 document reads back as written (a later
// release must keep reading it).
func TestGoldenV1(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "encoding", "v1", "schedule.json")
	if *update {
		var buf bytes.Buffer
		if err := json.Indent(&buf, goldenRecord().encode().Data, "", "  "); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(buf.Bytes(), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeRecord(store.Doc{Kind: docKind, Name: "nightly-report", Data: b, Rev: 3})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer // the file is indented
	if err := json.Compact(&in, r.Spec.Input); err != nil {
		t.Fatal(err)
	}
	r.Spec.Input = in.Bytes()
	want := goldenRecord()
	want.V, want.rev = 1, 3
	if diff := cmp.Diff(want, r, cmp.AllowUnexported(record{})); diff != "" {
		t.Errorf("golden record (-want +got):\n%s", diff)
	}
}

// TestNewerEncodingRefused: a schedule written by a newer release is
// refused by the API and left alone by the runner (not rewritten).
func TestNewerEncodingRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.put("later", everyMinute("pass"))
	d, err := f.eng.Store().GetDoc(f.ctx, docKind, "later")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(d.Data, &m)
	m["v"] = 2
	m["newField"] = "from the future"
	d.Data, _ = json.Marshal(m)
	rev, err := f.eng.Store().PutDoc(f.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Get(f.ctx, "later"); !errors.Is(err, ErrNewerEncoding) || !strings.Contains(err.Error(), "encoding 2 (this node reads up to 1)") {
		t.Errorf("Get: %v", err)
	}
	if _, err := f.s.Pause(f.ctx, "later", "x"); !errors.Is(err, ErrNewerEncoding) {
		t.Errorf("Pause: %v", err)
	}
	f.clock.Set(at("2025-01-01T10:05:00Z"))
	f.s.pass(f.ctx, "later")
	after, err := f.eng.Store().GetDoc(f.ctx, docKind, "later")
	if err != nil {
		t.Fatal(err)
	}
	if after.Rev != rev || !bytes.Equal(after.Data, d.Data) {
		t.Errorf("the runner rewrote a newer document: rev %d -> %d", rev, after.Rev)
	}
	if len(f.executions("pass")) != 0 {
		t.Error("the runner fired a schedule it cannot read")
	}
	if list, _, err := f.s.List(f.ctx, "", 10); err != nil || len(list) != 0 {
		t.Errorf("List shows a schedule it cannot read: %v %v", list, err)
	}
}

// TestStaleFenceDoesNotWrite: a runner whose fence is older than the one
// the document was last written with has lost the partition and leaves
// the schedule alone; with the current fence it fires and records it.
func TestStaleFenceDoesNotWrite(t *testing.T) {
	t.Parallel()
	f := newFixtureOn(t, memory.WithLeases(memory.New(), 4))
	own, fence := f.eng.Owns(ownerKey("tick"))
	if !own || fence == 0 {
		t.Fatalf("the only node holds every partition after Start: owns %v fence %d", own, fence)
	}
	f.put("tick", everyMinute("pass"))
	d, _ := f.eng.Store().GetDoc(f.ctx, docKind, "tick")
	r, _ := decodeRecord(d)
	r.Fence = fence + 1 // a newer holder wrote it
	rev, err := f.eng.Store().PutDoc(f.ctx, r.encode())
	if err != nil {
		t.Fatal(err)
	}
	f.at(at("2025-01-01T10:01:00Z"), "tick")
	if after, _ := f.eng.Store().GetDoc(f.ctx, docKind, "tick"); after.Rev != rev || len(f.executions("pass")) != 0 {
		t.Fatalf("a stale runner wrote (rev %d -> %d) or fired (%v)", rev, after.Rev, f.executions("pass"))
	}
	r.Fence, r.rev = fence, rev
	if _, err := f.eng.Store().PutDoc(f.ctx, r.encode()); err != nil {
		t.Fatal(err)
	}
	f.s.pass(f.ctx, "tick")
	d, _ = f.eng.Store().GetDoc(f.ctx, docKind, "tick")
	r, _ = decodeRecord(d)
	if len(f.executions("pass")) != 1 || r.Fence != fence {
		t.Errorf("the holder fires and writes its fence: %v, fence %d want %d", f.executions("pass"), r.Fence, fence)
	}
}
