package jsonata

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/internal/jsonatasuite"
	"github.com/sfn-project/sfn/internal/testenv"
)

var updateFailures = flag.Bool("update-failures", false, "rewrite testdata/suite-failures.txt with the cases that fail now")

const failuresFile = "testdata/suite-failures.txt"

type suiteEntry struct {
	name string
	dir  string
	c    jsonatasuite.Spec
}

// loadSuiteCases reads every case of the suite's groups matching the glob.
func loadSuiteCases(t *testing.T, groupGlob string) ([]suiteEntry, map[string][]byte) {
	t.Helper()
	root := testenv.Shared(t, "jsonata-suite")
	all, datasets, err := jsonatasuite.Load(root, groupGlob)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		testenv.Missing(t, "the suite's groups "+groupGlob, filepath.Join(root, "groups"))
	}
	cases := make([]suiteEntry, len(all))
	for i, c := range all {
		cases[i] = suiteEntry{c.Name(), c.Dir, c.Spec}
	}
	return cases, datasets
}

// runSuiteCase runs one case and says why it failed ("" when it passed).
func runSuiteCase(nc suiteEntry, datasets map[string][]byte) string {
	c := nc.c
	expr, err := suiteExpr(c.Expr)
	if err != nil {
		return err.Error()
	}
	if c.ExprFile != "" {
		b, err := os.ReadFile(filepath.Join(nc.dir, c.ExprFile))
		if err != nil {
			return err.Error()
		}
		expr = string(b)
	}
	var input any = Undefined
	switch {
	case c.Data != nil:
		v, err := DecodeJSON(c.Data)
		if err != nil {
			return "bad data: " + err.Error()
		}
		input = v
	case c.Dataset != nil:
		b, ok := datasets[*c.Dataset]
		if !ok {
			return "unknown dataset " + *c.Dataset
		}
		v, err := DecodeJSON(b)
		if err != nil {
			return "bad dataset: " + err.Error()
		}
		input = v
	}
	bindings := map[string]any{}
	for k, raw := range c.Bindings {
		v, err := DecodeJSON(raw)
		if err != nil {
			return "bad binding: " + err.Error()
		}
		bindings[k] = v
	}
	opts := []Option{WithTimeout(10 * time.Second)}
	if c.Timelimit != nil {
		opts = append(opts, WithTimeout(time.Duration(*c.Timelimit)*time.Millisecond))
	}
	if c.Depth != nil {
		opts = append(opts, WithMaxDepth(*c.Depth))
	}
	wantCode := c.Code
	if c.Error != nil && c.Error.Code != "" {
		wantCode = c.Error.Code
	}
	res, err := suiteEval(expr, input, bindings, opts)
	if wantCode != "" {
		if err == nil {
			return fmt.Sprintf("want error %s, got result %s", wantCode, suiteShort(res))
		}
		e, ok := err.(*Error)
		if !ok || e.Code != wantCode {
			return fmt.Sprintf("want error %s, got %v", wantCode, err)
		}
		return ""
	}
	if err != nil {
		return "error: " + err.Error()
	}
	if c.UndefinedResult || c.Result == nil {
		if !IsUndefined(res) {
			return "want undefined, got " + suiteShort(res)
		}
		return ""
	}
	if IsUndefined(res) {
		return "want " + string(c.Result) + ", got undefined"
	}
	got, err := EncodeJSON(res)
	if err != nil {
		return "cannot encode the result: " + err.Error()
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return "result is not JSON: " + string(got)
	}
	if err := json.Unmarshal(c.Result, &w); err != nil {
		return "bad expected result"
	}
	if c.Unordered {
		if suiteMultisetEqual(g, w) {
			return ""
		}
	} else if reflect.DeepEqual(g, w) {
		return ""
	}
	return fmt.Sprintf("want %s, got %s", suiteClip(string(c.Result)), suiteClip(string(got)))
}

// suiteExpr decodes a case's expression. Two expressions hold a lone
// surrogate inside a string literal, which a Go string cannot: it is
// written as the equivalent JSONata escape \udXXX, as the conformance
// runner does.
func suiteExpr(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", nil
	}
	v, err := DecodeJSON(raw)
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		// WTF-8 form of U+D800..U+DFFF: ED A0..BF xx
		if s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF {
			cp := rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			fmt.Fprintf(&b, "\\u%04x", cp)
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// evalCase compiles and evaluates, turning a panic into a failure so that
// one bad case does not hide the others.
func suiteEval(expr string, input any, bindings map[string]any, opts []Option) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(input, bindings, opts...)
}

func suiteMultisetEqual(a, b any) bool {
	as, ok1 := a.([]any)
	bs, ok2 := b.([]any)
	if !ok1 || !ok2 || len(as) != len(bs) {
		return reflect.DeepEqual(a, b)
	}
	rest := append([]any(nil), bs...)
	for _, x := range as {
		found := false
		for i, y := range rest {
			if reflect.DeepEqual(x, y) {
				rest = append(rest[:i], rest[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func suiteShort(v any) string {
	if IsUndefined(v) {
		return "undefined"
	}
	b, err := EncodeJSON(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return suiteClip(string(b))
}

func suiteClip(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

func readKnownFailures(t *testing.T) map[string]string {
	t.Helper()
	known := map[string]string{}
	f, err := os.Open(failuresFile)
	if err != nil {
		if os.IsNotExist(err) {
			return known
		}
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		known[name] = strings.TrimSpace(reason)
	}
	return known
}

// TestSuite runs the whole JSONata 2.0.6 test suite. The cases known to
// fail are listed in testdata/suite-failures.txt: any other failure fails
// the test, and so does a listed case that passes (the list only shrinks).
func TestSuite(t *testing.T) {
	cases, datasets := loadSuiteCases(t, "*")
	known := readKnownFailures(t)
	failed := map[string]string{}
	passed := 0
	for _, nc := range cases {
		if why := runSuiteCase(nc, datasets); why != "" {
			failed[nc.name] = why
		} else {
			passed++
		}
	}
	t.Logf("JSONata suite: %d passed, %d failed, 0 skipped (of %d)", passed, len(failed), len(cases))
	if *updateFailures {
		writeFailures(t, failed)
		return
	}
	var names []string
	for n := range failed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := known[n]; !ok {
			t.Errorf("%s: %s", n, failed[n])
		}
	}
	for n := range known {
		if _, ok := failed[n]; !ok {
			t.Errorf("%s passes now: remove it from %s", n, failuresFile)
		}
	}
}

func writeFailures(t *testing.T, failed map[string]string) {
	var names []string
	for n := range failed {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# JSONata suite cases known to fail: group/case reason (TestSuite keeps this list exact)\n")
	for _, n := range names {
		reason := strings.Join(strings.Fields(failed[n]), " ")
		if len(reason) > 160 {
			reason = reason[:157] + "..."
		}
		fmt.Fprintf(&b, "%s %s\n", n, reason)
	}
	if err := os.WriteFile(failuresFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
