package interpreter

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// TestPreviousReleaseRefusesVariables: a record holding variables is
// written in encoding 2, which a node of the previous release (it reads
// encoding 1) refuses with its check instead of running it, and so
// rewriting it, without the variables; the current node reads it. A
// record without variables stays in encoding 1, which that node still runs.
func TestPreviousReleaseRefusesVariables(t *testing.T) {
	t.Parallel()
	g, r := previousRefuses(t, filepath.Join("testdata", "encoding", "v2", "variables.json"), encodingVariables)
	root := r.rootThread()
	if root == nil || root.Vars == nil || value.MarshalString(root.Vars.V) != `{"factor":2,"label":"L"}` {
		t.Fatalf("top-level variables not decoded: %+v", root)
	}
	// Encoded again, the threads are the bytes stored (nothing lost).
	for k, b := range g.Record.Threads {
		id := 0
		for _, c := range k {
			id = id*10 + int(c-'0')
		}
		enc, err := encodeThread(r.threads[id])
		if err != nil || string(enc) != string(b) {
			t.Errorf("thread %s encodes as\n%s\nwant\n%s", k, enc, b)
		}
	}

	plain := &run{hdr: header{}, threads: map[int]*thread{1: {ID: 1, Parent: -1}}, dirty: map[int]bool{}, deleted: map[int]bool{}, status: store.StatusRunning}
	out, _, _, err := plain.record()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Engine), `"enc":1`) {
		t.Errorf("a record without variables: engine %s, want encoding 1", out.Engine)
	}
}

// TestVariablesTotalLimit: the variables of one execution, all threads
// together, are bounded by dsl.MaxVariables.
func TestVariablesTotalLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", dsl.MaxAssign-100)
	r := &run{threads: map[int]*thread{}}
	for i := 1; i <= 39; i++ { // 39 variables of about 256 KiB: under 10 MiB
		o := value.NewObject(1)
		o.Set("v", big)
		r.threads[i] = &thread{ID: i, Parent: -1, Vars: &jv{o}}
	}
	t0 := &thread{ID: 100, Parent: 1}
	r.threads[100] = t0
	one := value.NewObject(1)
	one.Set("w", big)
	if _, fe := r.checkVars(t0, one); fe != nil {
		t.Fatalf("40 × 256 KiB: %v, want it allowed", fe)
	}
	two := value.NewObject(2)
	two.Set("w", big)
	two.Set("z", big)
	_, fe := r.checkVars(t0, two)
	if fe == nil || fe.Name != failure.DataLimitExceeded {
		t.Fatalf("41 × 256 KiB: %v, want States.DataLimitExceeded", fe)
	}
}

// TestPreviousReleaseRefusesMapRuns: a record with a Map Run (encoding 4)
// is refused by a node of the previous release (it reads encoding 3)
// rather than run, and so rewritten, without it; the current node reads it.
func TestPreviousReleaseRefusesMapRuns(t *testing.T) {
	t.Parallel()
	_, r := previousRefuses(t, filepath.Join("testdata", "encoding", "v4", "map-run.json"), encodingChildren)
	root := r.rootThread()
	if root == nil || root.Children == nil || root.Children.Run == nil || root.Children.Run.Machine != "golden-map-run/Golden" {
		t.Fatalf("the Map Run was not decoded: %+v", root)
	}
}

// TestPreviousReleaseRefusesMocks: a node of the release before mocked
// executions would make their mocked calls for real; it refuses them.
func TestPreviousReleaseRefusesMocks(t *testing.T) {
	t.Parallel()
	g, r := previousRefuses(t, filepath.Join("testdata", "encoding", "v5", "mocked.json"), encodingMocks)
	if r.hdr.Mock == nil || r.hdr.Mock.Case != "Golden" || r.hdr.Mock.Calls["Quote"] != 1 {
		t.Fatalf("the test case and its call counts were not decoded: %+v", r.hdr.Mock)
	}
	// Encoded again, the header is the bytes stored.
	enc, err := appendHeader(nil, &r.hdr)
	if err != nil || string(enc) != string(g.Record.Engine) {
		t.Errorf("header encodes as\n%s\nwant\n%s", enc, g.Record.Engine)
	}
}

// TestPreviousReleaseRefusesLimitWaits: a node of the release before call
// limits would make a waiting call at once, with its timeout suspended for
// good; it refuses the record.
func TestPreviousReleaseRefusesLimitWaits(t *testing.T) {
	t.Parallel()
	_, r := previousRefuses(t, filepath.Join("testdata", "encoding", "v6", "limit-wait.json"), encodingLimits)
	waiting := false
	for _, th := range r.threads {
		if th.Task != nil && !th.Task.LimitWait.IsZero() && th.Task.LimitKey == "handler:double" && th.Task.TimeoutAt.IsZero() {
			waiting = true
		}
	}
	if !waiting {
		t.Fatalf("no thread waits for its limit with its timeout suspended: %+v", r.threads)
	}
}

// previousRefuses reads a golden record of encoding enc and checks that a
// node of the previous release (which reads enc-1) refuses it, and that
// this node decodes it.
func previousRefuses(t *testing.T, file string, enc int) (goldenRecord, *run) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenRecord
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	compactGolden(t, &g)
	var h header
	if err := decodeHeader(g.Record.Engine, &h); err != nil {
		t.Fatal(err)
	}
	if h.Enc != enc {
		t.Fatalf("golden record %s has encoding %d, want %d", file, h.Enc, enc)
	}
	err = refuseNewer(g.Record.ID, h.Enc, enc-1)
	if want := fmt.Sprintf("record encoding %d is newer than this node understands (%d)", enc, enc-1); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a node of the previous release: %v, want a refusal", err)
	}
	def, ps := dsl.Load(g.Definition, dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	threads := map[string][]byte{}
	for k, v := range g.Record.Threads {
		threads[k] = v
	}
	rec := &store.Execution{ID: g.Record.ID, Status: g.Record.Status, Input: g.Record.Input, Engine: g.Record.Engine, Threads: threads}
	r, err := decodeRun(rec, def, false, nil, true)
	if err != nil {
		t.Fatalf("the current node: %v", err)
	}
	return g, r
}
