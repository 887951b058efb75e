package jsonata

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/internal/testenv"
)

var (
	diffCount = flag.Int("jsonata.diff", 3000, "expressions TestDifferential generates")
	// A fixed seed by default, so that CI judges the same expressions every
	// run; -jsonata.seed 0 explores (the seed is logged).
	diffSeed = flag.Uint64("jsonata.seed", 20261207, "TestDifferential's seed (0: from the clock, logged)")
)

// referenceDir returns jsonata-js 2.0.6, installed with npm under the
// module's .cache (as make bench-jsonata does) when it is not there yet.
func referenceDir(t *testing.T) string {
	t.Helper()
	testenv.Program(t, "node")
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	prefix := filepath.Join(root, ".cache", "jsonata-js")
	dir := filepath.Join(prefix, "node_modules", "jsonata")
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
		return dir
	}
	npm := testenv.Program(t, "npm")
	if b, err := exec.Command(npm, "install", "--no-save", "--prefix", prefix, "jsonata@2.0.6").CombinedOutput(); err != nil {
		testenv.Missing(t, "jsonata-js 2.0.6 (npm install failed: "+strings.TrimSpace(string(b))+")", prefix)
	}
	return dir
}

// The reference runs as one node process answering one line per line: the
// result as JSON text, "u" for undefined, or the error's code.
const referenceDriver = `
const jsonata = require(process.argv[2]);
const rl = require('readline').createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const c = JSON.parse(line);
  let out;
  try {
    const r = await jsonata(c.expr).evaluate(c.input);
    out = r === undefined ? { u: true } : { r: JSON.stringify(r) };
  } catch (e) {
    out = { e: e.code || ('JS:' + e.message) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
`

// TestDifferential compares the engine with jsonata-js 2.0.6 on generated
// expressions over generated data: the same result (as JSON values), both
// undefined, or the same error code.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node")
	}
	ref := referenceDir(t)
	script := filepath.Join(t.TempDir(), "driver.js")
	if err := os.WriteFile(script, []byte(referenceDriver), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script, ref)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	answers := bufio.NewScanner(stdout)
	answers.Buffer(make([]byte, 1<<20), 1<<24)

	seed := *diffSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test ./jsonata -run TestDifferential -jsonata.seed %d repeats this run)", seed, seed)
	g := &exprGen{rnd: rand.New(rand.NewPCG(seed, 0x5f3))}
	mismatches, agreed, errorRace := 0, 0, 0
	for i := 0; i < *diffCount && mismatches < 10; i++ {
		data := g.data(3)
		g.parallel = false
		expr := g.expr(3)
		in, _ := json.Marshal(data)
		line, _ := json.Marshal(map[string]any{"expr": expr, "input": json.RawMessage(in)})
		if _, err := fmt.Fprintf(stdin, "%s\n", line); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() {
			t.Fatalf("node stopped answering: %v", answers.Err())
		}
		var want struct {
			R *string `json:"r"`
			U bool    `json:"u"`
			E string  `json:"e"`
		}
		if err := json.Unmarshal(answers.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		got := evalForDiff(expr, in)
		msg := diffAnswer(got, want.R, want.U, want.E)
		switch {
		case msg == "":
			agreed++
		case g.parallel && want.E != "" && got.code != "":
			errorRace++ // both failed; which failure jsonata-js reports is its scheduling's
		case strings.HasPrefix(want.E, "JS:") && got.code != "":
			// jsonata-js failed with a plain JavaScript error, without a
			// JSONata code (such as a bad regular expression), and so did
			// this engine, with its code.
			errorRace++
		default:
			mismatches++
			t.Errorf("%s\n  input %s\n  %s", expr, in, msg)
		}
	}
	t.Logf("%d expressions agreed with jsonata-js; %d failed in both, with another error of a concurrently evaluated constructor item or a JavaScript error without a code", agreed, errorRace)
	if agreed < *diffCount/2 {
		t.Errorf("only %d of %d expressions agreed", agreed, *diffCount)
	}
}

// diffOutcome is the engine's answer in the reference's terms.
type diffOutcome struct {
	json      []byte
	undefined bool
	code      string
}

func evalForDiff(expr string, in []byte) diffOutcome {
	e, err := Compile(expr)
	if err != nil {
		return diffOutcome{code: errCode(err)}
	}
	input, err := DecodeJSON(in)
	if err != nil {
		return diffOutcome{code: "bad input: " + err.Error()}
	}
	r, err := e.Evaluate(input, nil)
	if err != nil {
		return diffOutcome{code: errCode(err)}
	}
	if IsUndefined(r) {
		return diffOutcome{undefined: true}
	}
	b, err := EncodeJSON(r)
	if err != nil {
		return diffOutcome{code: errCode(err)}
	}
	return diffOutcome{json: b}
}

func errCode(err error) string {
	if je, ok := err.(*Error); ok {
		return je.Code
	}
	return "Go:" + err.Error()
}

func diffAnswer(got diffOutcome, r *string, u bool, code string) string {
	switch {
	case code != "":
		if got.code != code {
			return fmt.Sprintf("jsonata-js: error %s; here: %s", code, describe(got))
		}
	case u:
		if !got.undefined {
			return "jsonata-js: undefined; here: " + describe(got)
		}
	default:
		if got.json == nil {
			return fmt.Sprintf("jsonata-js: %s; here: %s", *r, describe(got))
		}
		var a, b any
		if json.Unmarshal([]byte(*r), &a) != nil || json.Unmarshal(got.json, &b) != nil || !jsonEqual(a, b) {
			return fmt.Sprintf("jsonata-js: %s; here: %s", *r, got.json)
		}
	}
	return ""
}

func describe(o diffOutcome) string {
	switch {
	case o.code != "":
		return "error " + o.code
	case o.undefined:
		return "undefined"
	}
	return string(o.json)
}

// jsonEqual compares decoded JSON (encoding/json maps: key order ignored).
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// exprGen generates expressions and data from a small grammar: paths over
// the keys a–d, literals, the operators, conditionals, constructors, and
// library functions whose results do not depend on time or chance.
type exprGen struct {
	rnd *rand.Rand
	// parallel is set when the expression holds an array or object
	// constructor of several items: jsonata-js evaluates those items
	// concurrently (Promise.all), so when two of them fail, which error it
	// reports depends on its scheduling, not on the language.
	parallel bool
}

var diffKeys = []string{"a", "b", "c", "d"}

func (g *exprGen) pick(options ...string) string { return options[g.rnd.IntN(len(options))] }

func (g *exprGen) data(depth int) any {
	switch n := g.rnd.IntN(10); {
	case depth == 0 || n < 3:
		return g.scalar()
	case n < 6:
		// Never empty: jsonata-js's group-by pushes undefined into an empty
		// input array (it mutates the data, which then reads [null]
		// everywhere), a bug not worth copying.
		arr := make([]any, 1+g.rnd.IntN(3))
		for i := range arr {
			arr[i] = g.data(depth - 1)
		}
		return arr
	default:
		obj := map[string]any{}
		for _, k := range diffKeys {
			if g.rnd.IntN(3) > 0 {
				obj[k] = g.data(depth - 1)
			}
		}
		return obj
	}
}

func (g *exprGen) scalar() any {
	switch g.rnd.IntN(7) {
	case 0:
		return nil
	case 1:
		return g.rnd.IntN(2) == 0
	case 2, 3:
		return float64(g.rnd.IntN(21) - 5)
	case 4:
		return float64(g.rnd.IntN(2000)-1000) / 8
	default:
		return g.pick("x", "hello", "A b", "", "42", "é")
	}
}

func (g *exprGen) path() string {
	p := g.pick(diffKeys...)
	for g.rnd.IntN(3) == 0 {
		switch g.rnd.IntN(6) {
		case 0:
			p += "[" + fmt.Sprint(g.rnd.IntN(4)-1) + "]"
		case 1:
			p += "[" + g.pick(diffKeys...) + " " + g.pick(">", "<", "=", "!=") + " " + fmt.Sprint(g.rnd.IntN(5)) + "]"
		case 2:
			p += ".*"
		default:
			p += "." + g.pick(diffKeys...)
		}
	}
	if g.rnd.IntN(8) == 0 {
		p = "**." + p
	}
	return p
}

func (g *exprGen) expr(depth int) string {
	if depth == 0 {
		switch g.rnd.IntN(4) {
		case 0:
			return fmt.Sprint(g.rnd.IntN(10))
		case 1:
			return `"` + g.pick("s", "ab", "", "X") + `"`
		default:
			return g.path()
		}
	}
	d := depth - 1
	switch g.rnd.IntN(16) {
	case 0, 1, 2:
		return g.path()
	case 3:
		return "(" + g.expr(d) + " " + g.pick("+", "-", "*", "/", "%") + " " + g.expr(d) + ")"
	case 4:
		return "(" + g.expr(d) + " " + g.pick("=", "!=", "<", "<=", ">", ">=", "in") + " " + g.expr(d) + ")"
	case 5:
		return "(" + g.expr(d) + " " + g.pick("and", "or", "&") + " " + g.expr(d) + ")"
	case 6:
		return "(" + g.expr(d) + " ? " + g.expr(d) + " : " + g.expr(d) + ")"
	case 7:
		g.parallel = true
		return "[" + g.expr(d) + ", " + g.expr(d) + "]"
	case 8:
		g.parallel = true
		return `{"k": ` + g.expr(d) + `, "m": ` + g.expr(d) + "}"
	case 9:
		fn := g.pick("$sum", "$count", "$max", "$min", "$average", "$reverse", "$distinct", "$sort", "$append")
		if fn == "$append" {
			return fn + "(" + g.expr(d) + ", " + g.expr(d) + ")"
		}
		return fn + "(" + g.expr(d) + ")"
	case 10:
		return g.pick("$string", "$length", "$uppercase", "$lowercase", "$trim", "$boolean", "$not", "$exists", "$type", "$number", "$keys", "$abs", "$floor") + "(" + g.expr(d) + ")"
	case 11:
		return "$map(" + g.expr(d) + ", function($v, $i) { " + g.pick("$v", "$i", "$v * 2", "$string($v)") + " })"
	case 12:
		return "$filter(" + g.expr(d) + ", function($v) { " + g.pick("$v > 1", "$type($v) = 'number'", "$boolean($v)") + " })"
	case 13:
		return g.path() + "{" + g.pick("$string(a)", `"k"`) + ": " + g.pick("$count(b)", "$sum(c)", "b") + "}"
	case 14:
		return "(" + "$x := " + g.expr(d) + "; " + g.pick("$x", "[$x]", "$count($x)") + ")"
	default:
		return g.path() + "^(" + g.pick("a", ">a", "<b") + ")"
	}
}
