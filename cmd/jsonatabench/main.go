// Command jsonatabench compares the evaluation speed of sfn's JSONata
// engine with the reference implementation, jsonata-js 2.0.6 on node, over
// the expressions of the JSONata test suite, side by side in one run
// (`make bench-jsonata`, which installs jsonata-js under .cache/).
//
// Each suite case with a defined result (and no time or depth limit) is
// compiled once by each engine and evaluated repeatedly against its input
// for at least -min-time; parsing is not measured. It prints the median,
// the 10th and 90th percentiles and the geometric mean of node's time over
// Go's, the median allocations per evaluation in Go, and the cases where Go
// is furthest behind.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/sfn-project/sfn/internal/jsonatasuite"
	"github.com/sfn-project/sfn/jsonata"
)

// benchCase is what both engines evaluate.
type benchCase struct {
	ID       string                     `json:"id"`
	Expr     string                     `json:"expr"`
	Input    json.RawMessage            `json:"input"` // absent: undefined
	Bindings map[string]json.RawMessage `json:"bindings,omitempty"`
}

func main() {
	suite := flag.String("suite", "../shared/jsonata-suite", "the JSONata test suite folder")
	ref := flag.String("jsonata-js", ".cache/jsonata-js/node_modules/jsonata", "jsonata-js 2.0.6 (npm install --prefix .cache/jsonata-js jsonata@2.0.6)")
	minTime := flag.Duration("min-time", 5*time.Millisecond, "how long each case is evaluated, per engine")
	flag.Parse()
	if err := run(*suite, *ref, *minTime); err != nil {
		fmt.Fprintln(os.Stderr, "jsonatabench:", err)
		os.Exit(1)
	}
}

func run(suite, ref string, minTime time.Duration) error {
	cases, err := loadCases(suite)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(ref)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, "package.json")); err != nil {
		return fmt.Errorf("no jsonata-js at %s: %v (make bench-jsonata installs it)", abs, err)
	}
	goNs, allocs, err := measureGo(cases, minTime)
	if err != nil {
		return err
	}
	nodeNs, err := measureNode(cases, abs, minTime)
	if err != nil {
		return err
	}
	type row struct {
		id          string
		goNs, ratio float64
		nodeNs      float64
		allocs      float64
	}
	var rows []row
	for i, c := range cases {
		n, ok := nodeNs[c.ID]
		if !ok || goNs[i] <= 0 || n <= 0 {
			continue
		}
		rows = append(rows, row{id: c.ID, goNs: goNs[i], nodeNs: n, ratio: n / goNs[i], allocs: allocs[i]})
	}
	if len(rows) == 0 {
		return fmt.Errorf("no case was measured by both engines")
	}
	ratios := make([]float64, len(rows))
	gos, nodes, alls := make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows))
	logSum := 0.0
	for i, r := range rows {
		ratios[i], gos[i], nodes[i], alls[i] = r.ratio, r.goNs, r.nodeNs, r.allocs
		logSum += math.Log(r.ratio)
	}
	fmt.Printf("JSONata evaluation, parse excluded: %d suite cases, each run for at least %v per engine (%s, %d CPUs)\n",
		len(rows), minTime, runtime.Version(), runtime.NumCPU())
	fmt.Printf("node time / Go time: median %.2fx, p10 %.2fx, p90 %.2fx, geometric mean %.2fx\n",
		pct(ratios, 0.5), pct(ratios, 0.1), pct(ratios, 0.9), math.Exp(logSum/float64(len(rows))))
	fmt.Printf("per evaluation: Go median %.2f µs, node median %.2f µs; Go allocations median %.0f, p90 %.0f\n",
		pct(gos, 0.5)/1e3, pct(nodes, 0.5)/1e3, pct(alls, 0.5), pct(alls, 0.9))
	sort.Slice(rows, func(i, j int) bool { return rows[i].ratio < rows[j].ratio })
	fmt.Println("where Go is furthest behind (ratio, Go µs, node µs, Go allocs):")
	for _, r := range rows[:min(10, len(rows))] {
		fmt.Printf("  %-40s %6.2fx %9.2f %9.2f %6.0f\n", r.id, r.ratio, r.goNs/1e3, r.nodeNs/1e3, r.allocs)
	}
	return nil
}

func pct(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// loadCases reads the suite's cases that have a defined result.
func loadCases(root string) ([]benchCase, error) {
	cases, datasets, err := jsonatasuite.Load(root, "*")
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no suite groups under %s", root)
	}
	var out []benchCase
	for _, sc := range cases {
		s := sc.Spec
		if s.Result == nil || s.Timelimit != nil || s.Depth != nil {
			continue
		}
		var expr string
		if s.ExprFile != "" {
			eb, err := os.ReadFile(filepath.Join(sc.Dir, s.ExprFile))
			if err != nil {
				return nil, err
			}
			expr = string(eb)
		} else if err := json.Unmarshal(s.Expr, &expr); err != nil {
			continue
		}
		c := benchCase{ID: sc.Group + "/" + sc.Stem, Expr: expr, Bindings: s.Bindings}
		if sc.Count > 1 {
			c.ID += fmt.Sprintf("[%d]", sc.Index)
		}
		switch {
		case s.Data != nil:
			c.Input = s.Data
		case s.Dataset != nil:
			c.Input = datasets[*s.Dataset]
		}
		out = append(out, c)
	}
	return out, nil
}

// measureGo returns ns per evaluation and allocations per evaluation, per
// case (0 for a case that does not compile or evaluate).
func measureGo(cases []benchCase, minTime time.Duration) (ns, allocs []float64, err error) {
	ns, allocs = make([]float64, len(cases)), make([]float64, len(cases))
	for i, c := range cases {
		e, err := jsonata.Compile(c.Expr)
		if err != nil {
			continue
		}
		var input any = jsonata.Undefined
		if c.Input != nil {
			if input, err = jsonata.DecodeJSON(c.Input); err != nil {
				continue
			}
		}
		bindings := map[string]any{}
		for k, raw := range c.Bindings {
			if bindings[k], err = jsonata.DecodeJSON(raw); err != nil {
				return nil, nil, fmt.Errorf("%s: binding %s: %v", c.ID, k, err)
			}
		}
		if _, err := e.Evaluate(input, bindings); err != nil {
			continue
		}
		n := 0
		start := time.Now()
		for time.Since(start) < minTime || n < 10 {
			for range 8 {
				_, _ = e.Evaluate(input, bindings)
			}
			n += 8
		}
		ns[i] = float64(time.Since(start).Nanoseconds()) / float64(n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 20 {
			_, _ = e.Evaluate(input, bindings)
		}
		runtime.ReadMemStats(&after)
		allocs[i] = float64(after.Mallocs-before.Mallocs) / 20
	}
	return ns, allocs, nil
}

// nodeScript evaluates each case the same way with jsonata-js.
const nodeScript = `
const jsonata = require(process.argv[2]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const minNs = BigInt(Math.round(Number(process.argv[4]) * 1e6));
(async () => {
  const out = {};
  for (const c of cases) {
    let e;
    try { e = jsonata(c.expr); } catch (err) { continue; }
    const input = c.input === undefined ? undefined : c.input;
    const bindings = c.bindings || {};
    try { await e.evaluate(input, bindings); } catch (err) { continue; }
    let n = 0;
    const start = process.hrtime.bigint();
    while (process.hrtime.bigint() - start < minNs || n < 10) {
      for (let i = 0; i < 8; i++) { try { await e.evaluate(input, bindings); } catch (err) {} }
      n += 8;
    }
    out[c.id] = Number(process.hrtime.bigint() - start) / n;
  }
  process.stdout.write(JSON.stringify(out));
})();
`

func measureNode(cases []benchCase, ref string, minTime time.Duration) (map[string]float64, error) {
	dir, err := os.MkdirTemp("", "jsonatabench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	casesFile, scriptFile := filepath.Join(dir, "cases.json"), filepath.Join(dir, "bench.js")
	b, err := json.Marshal(cases)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(casesFile, b, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(scriptFile, []byte(nodeScript), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command("node", scriptFile, ref, casesFile, fmt.Sprint(float64(minTime)/float64(time.Millisecond)))
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node: %v", err)
	}
	out := map[string]float64{}
	if err := json.Unmarshal(outb, &out); err != nil {
		return nil, fmt.Errorf("node's answer: %v", err)
	}
	return out, nil
}
