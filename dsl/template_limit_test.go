package dsl

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// passParameters loads a Pass state with the given Parameters (JSON).
func passParameters(t *testing.T, params string) *Template {
	t.Helper()
	def, ps := Load([]byte(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": `+params+`, "End": true}}}`), Options{Format: JSON})
	if ps.HasErrors() {
		t.Fatal(ps.Error())
	}
	return def.States["P"].Parameters
}

// TestTemplatePayloadLimit: a payload template is bounded while it is
// built, by Env.MaxPayload (default 256 KiB) and value.MaxDepth; over
// either it fails with States.DataLimitExceeded naming the limit.
func TestTemplatePayloadLimit(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("x", 600)
	deep := value.Value("x")
	for range value.MaxDepth - 3 {
		deep = []any{deep}
	}
	input := value.ObjectOf("s", s, "deep", deep, "arr", []any{s, s})
	fields := func(n int, expr string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `"f` + strconv.Itoa(i) + `.$": "` + expr + `"`
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	for _, tc := range []struct {
		name, params string
		limit        int
		cause        string // "" when it fits
	}{
		{"one field fits", fields(1, "$.s"), 1000, ""},
		{"two fields over", fields(2, "$.s"), 1000, "would exceed the maximum payload size of 1000 bytes (at the field 'f1.$')"},
		{"recursive descent over", `{"all.$": "$..*"}`, 1000, "(at the field 'all.$')"},
		{"intrinsic over", `{"a.$": "States.Array($.s, $.s)"}`, 1000, "States.Array: the result would exceed the maximum payload size of 1000 bytes"},
		{"static literal over", `{"lit": "` + strings.Repeat("y", 1000) + `", "x.$": "$.s"}`, 1000, "would exceed the maximum payload size of 1000 bytes"},
		{"nested array over", `{"a": [{"b.$": "$.s"}, {"c.$": "$.s"}]}`, 1000, "(at the field 'c.$')"},
		{"default limit fits", fields(400, "$.s"), 0, ""},
		{"default limit over", fields(500, "$.s"), 0, "would exceed the maximum payload size of 262144 bytes"},
		{"deep value fits", `{"d.$": "$.deep"}`, 0, ""},
		{"deep value too deep", `{"a": {"b": {"c": {"d.$": "$.deep"}}}}`, 0, "nested more than 512 levels deep (at the field 'd.$')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl := passParameters(t, tc.params)
			got, err := tpl.Eval(Env{Input: input, MaxPayload: tc.limit})
			if tc.cause == "" {
				if err != nil {
					t.Fatalf("Eval: %v", err)
				}
				if _, depth, ok := value.Measure(got, 256*1024, value.MaxDepth); !ok {
					t.Errorf("result over the limits (depth %d)", depth)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Name != failure.DataLimitExceeded || !strings.Contains(fe.Cause, tc.cause) {
				t.Fatalf("Eval = %v; want %s containing %q", err, failure.DataLimitExceeded, tc.cause)
			}
		})
	}
}

// TestTemplateHostileMemory: a template of 2,000 fields each holding a
// 200 KB string (400 MB encoded) fails after counting, not encoding. Not
// parallel: it reads the process's allocation counter.
func TestTemplateHostileMemory(t *testing.T) {
	parts := make([]string, 2000)
	for i := range parts {
		parts[i] = `"f` + strconv.Itoa(i) + `.$": "$.s"`
	}
	tpl := passParameters(t, "{"+strings.Join(parts, ",")+"}")
	input := value.ObjectOf("s", strings.Repeat("x", 200*1000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := tpl.Eval(Env{Input: input})
	runtime.ReadMemStats(&after)
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Name != failure.DataLimitExceeded {
		t.Fatalf("Eval = %v; want %s", err, failure.DataLimitExceeded)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 10<<20 {
		t.Errorf("allocated %d MB while failing; want < 10 MB", alloc>>20)
	}
}
