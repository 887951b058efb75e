package interpreter

import (
	"encoding/json"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// lazyJV keeps a stored value's bytes, indexes an array without decoding
// the rest, and encodes back to the same bytes.
func TestLazyJV(t *testing.T) {
	raw := `[ 0, "a,]}\"[", {"k":[1,{"x":"]"}],"y":null} ,[[]], true, -1.5e3, null ]`
	var l lazyJV
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatal(err)
	}
	want := []string{`0`, `"a,]}\"["`, `{"k":[1,{"x":"]"}],"y":null}`, `[[]]`, `true`, `-1.5e3`, `null`}
	// In order, backwards, and again: the scan position is reused and reset.
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {3, 3, 0, 6}} {
		for _, i := range order {
			v, ok := l.Index(i)
			if !ok || string(value.Marshal(v)) != want[i] {
				t.Fatalf("Index(%d) = %s %v, want %s", i, value.Marshal(v), ok, want[i])
			}
		}
	}
	for _, i := range []int{-1, 7, 100} {
		if _, ok := l.Index(i); ok {
			t.Fatalf("Index(%d) found an element", i)
		}
	}
	if l.raw == nil {
		t.Fatal("Index decoded the whole value")
	}
	b, err := json.Marshal(l)
	if err != nil || string(b) != `[0,"a,]}\"[",{"k":[1,{"x":"]"}],"y":null},[[]],true,-1.5e3,null]` {
		t.Fatalf("re-encoded: %s %v", b, err) // encoding/json compacts a Marshaler's output
	}
	if a, ok := l.Get().([]any); !ok || len(a) != 7 {
		t.Fatalf("Get: %v", l.Get())
	}
	if v, ok := l.Index(2); !ok || string(value.Marshal(v)) != want[2] {
		t.Fatalf("Index after Get: %s", value.Marshal(v))
	}
	for _, notArray := range []string{`{"a":1}`, `"x"`, `[`, `[1,`} {
		var n lazyJV
		_ = json.Unmarshal([]byte(notArray), &n)
		if _, ok := n.Index(0); ok && notArray != `[1,` {
			t.Fatalf("%s: Index(0) found an element", notArray)
		}
		if _, ok := n.Index(1); ok {
			t.Fatalf("%s: Index(1) found an element", notArray)
		}
	}
	set := lazyOf([]any{1.0})
	if _, ok := set.Index(0); !ok {
		t.Fatal("Index of a set value")
	}
}
