package intrinsic

import (
	"encoding/base64"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// limitEnv reads documents a little under and over a 1,000-byte payload limit.
func limitEnv() Env {
	s := strings.Repeat("x", 600)
	in := value.NewObject(8)
	in.Set("s", s)
	in.Set("tpl", "{}{}")
	in.Set("two", []any{s, s + "y"})
	in.Set("a", value.ObjectOf("a", s))
	in.Set("b", value.ObjectOf("b", s))
	in.Set("nested", []any{[]any{s, s}})
	in.Set("csv", strings.Repeat("a,", 400))
	in.Set("json", "["+strings.Repeat(`"xxxxxxxx",`, 100)+"1]")
	in.Set("b64", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("z", 1500))))
	in.Set("long", strings.Repeat("w", 900))
	ones := make([]any, 300)
	for i := range ones {
		ones[i] = value.Number("1")
	}
	in.Set("ones", ones)
	deep := value.Value("x")
	for range value.MaxDepth - 5 {
		deep = []any{deep}
	}
	in.Set("deep", deep)
	return Env{Input: in, MaxPayload: 1000}
}

// TestEvalPayloadLimit runs every intrinsic that can build a large result
// over and under the payload limit: over it, the call fails with
// States.DataLimitExceeded naming the function and the limit.
func TestEvalPayloadLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		cause      string // "" when the call fits
	}{
		{"Format fits", "States.Format('<{}>', $.s)", ""},
		{"Format over", "States.Format('{}{}', $.s, $.s)", "States.Format: the result would exceed the maximum payload size of 1000 bytes"},
		{"Format template from a path", "States.Format($.tpl, $.s, $.s)", "States.Format: the result would exceed"},
		{"Format literal text over", "States.Format('" + strings.Repeat("t", 1001) + "')", "States.Format: the result would exceed"},
		{"Format rendering an array", "States.Format('{}', $.nested)", "States.Format: the result would exceed"},
		{"Array fits", "States.Array($.s)", ""},
		{"Array over", "States.Array($.s, $.s)", "States.Array: the result would exceed"},
		{"JsonToString over", "States.JsonToString($.two)", "States.JsonToString: the result would exceed"},
		{"ArrayPartition over", "States.ArrayPartition($.ones, 1)", "States.ArrayPartition: the result would exceed"},
		{"ArrayPartition fits", "States.ArrayPartition($.ones, 100)", ""},
		{"ArrayRange over", "States.ArrayRange(1, 999, 1)", "States.ArrayRange: the result would exceed"},
		{"StringSplit over", "States.StringSplit($.csv, ',')", "States.StringSplit: the result would exceed"},
		{"StringToJson over", "States.StringToJson($.json)", "States.StringToJson: the result would exceed"},
		{"JsonMerge over", "States.JsonMerge($.a, $.b, false)", "States.JsonMerge: the result would exceed"},
		{"ArrayUnique over", "States.ArrayUnique($.two)", "States.ArrayUnique: the result would exceed"},
		{"Base64Encode over", "States.Base64Encode($.long)", "States.Base64Encode: the result would exceed"},
		{"Base64Decode over", "States.Base64Decode($.b64)", "States.Base64Decode: the result would exceed"},
		{"ArrayGetItem over", "States.ArrayGetItem($.nested, 0)", "States.ArrayGetItem: the result would exceed"},
		{"nested calls stop at the inner one", "States.ArrayLength(States.Array($.s, $.s))", "States.Array: the result would exceed"},
		{"too deep", "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array($.deep))))))", "nested more than 512 levels deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			env := limitEnv()
			if tc.name == "too deep" {
				env.MaxPayload = 1 << 20
			}
			got, err := c.Eval(env)
			if tc.cause == "" {
				if err != nil {
					t.Fatalf("Eval(%s): %v", tc.expr, err)
				}
				if size, _, _ := value.Measure(got, value.Unlimited, value.Unlimited); size > 1000 {
					t.Errorf("Eval(%s) is %d bytes, over the limit", tc.expr, size)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.DataLimitExceeded || !strings.Contains(fe.Cause, tc.cause) {
				t.Fatalf("Eval(%s) = %.80s, %v; want %s containing %q", tc.expr, value.MarshalString(got), err, failure.DataLimitExceeded, tc.cause)
			}
		})
	}
}

// TestEvalDefaultLimit checks that without Env.MaxPayload the limit is AWS's
// 256 KiB.
func TestEvalDefaultLimit(t *testing.T) {
	t.Parallel()
	in := value.ObjectOf("s", strings.Repeat("x", 100*1024))
	for n, fits := range map[int]bool{2: true, 3: false} {
		c, err := Parse("States.Format('" + strings.Repeat("{}", n) + "'" + strings.Repeat(", $.s", n) + ")")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Eval(Env{Input: in})
		if fits != (err == nil) {
			t.Errorf("%d × 100 KiB under the default limit: error %v, want fits=%v", n, err, fits)
		}
	}
}

// TestEvalHostileMemory is issue 14's case: States.Format with 2,000
// placeholders over a 200 KB string (400 MB of result; 1.1 GB allocated
// before the limit was enforced while building) and calls whose arguments
// are each large and fresh. Each fails with States.DataLimitExceeded and
// allocates far less than 100 MB. Not parallel: it reads the process's
// allocation counter.
func TestEvalHostileMemory(t *testing.T) {
	in := value.ObjectOf("s", strings.Repeat("x", 200*1000), "o", value.ObjectOf("k", strings.Repeat("y", 200*1000)))
	many := func(arg string, n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(arg)
		}
		return b.String()
	}
	for _, tc := range []struct{ name, expr string }{
		{"Format 2,000 placeholders", "States.Format('" + strings.Repeat("{}", 2000) + "', " + many("$.s", 2000) + ")"},
		{"Array of 1,000 fresh strings", "States.Array(" + many("States.JsonToString($.o)", 1000) + ")"},
		{"Format of 1,000 fresh strings", "States.Format('" + strings.Repeat("{}", 1000) + "', " + many("States.JsonToString($.o)", 1000) + ")"},
		{"Array of 2,000 shared strings", "States.Array(" + many("$.s", 2000) + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = c.Eval(Env{Input: in})
			runtime.ReadMemStats(&after)
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.DataLimitExceeded || !strings.Contains(fe.Cause, strconv.Itoa(DefaultMaxPayload)) {
				t.Fatalf("Eval: %v; want %s naming the limit %d", err, failure.DataLimitExceeded, DefaultMaxPayload)
			}
			t.Logf("allocated %d KB", (after.TotalAlloc-before.TotalAlloc)>>10)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("allocated %d MB while failing; want < 100 MB", alloc>>20)
			}
		})
	}
}

// TestStringToJsonDepth: a string holding JSON nested deeper than
// value.MaxDepth fails with States.IntrinsicFailure naming the limit, the
// same limit as every other place JSON enters.
func TestStringToJsonDepth(t *testing.T) {
	t.Parallel()
	c, err := Parse("States.StringToJson($.j)")
	if err != nil {
		t.Fatal(err)
	}
	for levels, ok := range map[int]bool{value.MaxDepth: true, value.MaxDepth + 1: false, 10000: false} {
		j := strings.Repeat("[", levels) + strings.Repeat("]", levels)
		_, err := c.Eval(Env{Input: value.ObjectOf("j", j)})
		var fe *failure.Error
		switch {
		case ok && err != nil:
			t.Errorf("%d levels: %v", levels, err)
		case !ok && (!errors.As(err, &fe) || fe.Name != failure.IntrinsicFailure || !strings.Contains(fe.Cause, "nested more than 512 levels deep")):
			t.Errorf("%d levels: %v; want %s naming the limit", levels, err, failure.IntrinsicFailure)
		}
	}
}
