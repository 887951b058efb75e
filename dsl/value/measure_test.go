package value_test

import (
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// TestMeasureMatchesMarshal checks that Measure counts exactly the bytes
// Marshal writes and the depth of the nesting.
func TestMeasureMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc   string
		depth int
	}{
		{`null`, 0},
		{`true`, 0},
		{`false`, 0},
		{`-12.5e3`, 0},
		{`"plain"`, 0},
		{`"quote \" back \\ nl \n tab \t cr \r bs \b ff \f ctl \u0001 uni \u00e9 slash \/"`, 0},
		{`[]`, 1},
		{`{}`, 1},
		{`[1,[2,[3]],{"a":{"b":[]}}]`, 4},
		{`{"k\"ey":"v","n":null,"arr":[true,false,"x"]}`, 2},
	} {
		v := value.MustDecode(tc.doc)
		size, depth, ok := value.Measure(v, value.Unlimited, value.Unlimited)
		if want := len(value.Marshal(v)); !ok || size != want || depth != tc.depth {
			t.Errorf("Measure(%s) = %d, %d, %v; want %d, %d, true", tc.doc, size, depth, ok, want, tc.depth)
		}
	}
	// Values built in Go rather than decoded.
	for _, v := range []value.Value{int(42), int64(-7), float64(1.5), value.Number(""), value.ObjectOf("a", int(1))} {
		if size, _, _ := value.Measure(v, value.Unlimited, value.Unlimited); size != len(value.Marshal(v)) {
			t.Errorf("Measure(%#v) = %d, want %d", v, size, len(value.Marshal(v)))
		}
	}
}

// TestMeasureStopsEarly shows that the cost of Measure is bounded by its
// limit: an array that holds one 1 MB string a million times (a terabyte
// encoded, 16 MB in memory) is refused after a couple of elements.
func TestMeasureStopsEarly(t *testing.T) { // not parallel: AllocsPerRun
	big := strings.Repeat("x", 1<<20)
	arr := make([]any, 1<<20)
	for i := range arr {
		arr[i] = big
	}
	size, _, ok := value.Measure(arr, 256*1024, value.MaxDepth)
	if ok || size > 2<<20 {
		t.Fatalf("Measure of a terabyte document = %d, %v; want refused after at most 2 MB counted", size, ok)
	}
	allocs := testing.AllocsPerRun(5, func() { value.Measure(arr, 256*1024, value.MaxDepth) })
	if allocs != 0 {
		t.Errorf("Measure allocates %v times per run; want 0", allocs)
	}

	deep := value.Value("x")
	for range 600 {
		deep = []any{deep}
	}
	if _, depth, ok := value.Measure(deep, value.Unlimited, value.MaxDepth); ok || depth != value.MaxDepth+1 {
		t.Errorf("Measure of 600 levels = depth %d, ok %v; want refused at depth %d", depth, ok, value.MaxDepth+1)
	}
}

func TestDepthWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc   string
		limit int
		want  bool
	}{
		{`"x"`, 0, true},
		{`"x"`, -1, false},
		{`[]`, 0, false},
		{`[]`, 1, true},
		{`[1,[2,{"a":[]}]]`, 4, true},
		{`[1,[2,{"a":[]}]]`, 3, false},
		{`{"a":{"b":1},"c":[[[]]]}`, 3, false},
		{`{"a":{"b":1},"c":[[[]]]}`, 4, true},
	} {
		if got := value.DepthWithin(value.MustDecode(tc.doc), tc.limit); got != tc.want {
			t.Errorf("DepthWithin(%s, %d) = %v, want %v", tc.doc, tc.limit, got, tc.want)
		}
	}
}
