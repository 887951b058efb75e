package interpreter

import (
	"encoding/json"
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

// The hand-written lists encode exactly as encoding/json encodes the plain
// slices (the records of earlier releases), and read them back.
func TestListsEncodeAsSlices(t *testing.T) {
	obj := value.ObjectOf("k", "<v>", "n", value.Int(2))
	type plain struct {
		Kids    []int  `json:"kids"`
		Results []jv   `json:"results"`
		Done    []bool `json:"done"`
	}
	type lists struct {
		Kids    intList  `json:"kids"`
		Results jvList   `json:"results"`
		Done    boolList `json:"done"`
	}
	for _, p := range []plain{
		{},
		{Kids: []int{}, Results: []jv{}, Done: []bool{}},
		{Kids: []int{0, 7, -3, 1 << 40}, Results: []jv{{nil}, {obj}, {[]any{1.5, "x"}}, {"a\u2028<b>"}}, Done: []bool{false, true}},
	} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		l := lists{Kids: p.Kids, Results: p.Results, Done: p.Done}
		got, err := json.Marshal(l)
		if err != nil || string(got) != string(want) {
			t.Fatalf("lists encode as\n%s\nslices as\n%s (%v)", got, want, err)
		}
		var back lists
		if err := json.Unmarshal(want, &back); err != nil {
			t.Fatalf("decode %s: %v", want, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(want) {
			t.Fatalf("round trip: %s, want %s", again, want)
		}
	}
	var l intList
	for _, bad := range []string{`[1,true]`, `[1.5]`, `{"a":1}`, `"x"`} {
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("intList accepted %s", bad)
		}
	}
	var b boolList
	if err := json.Unmarshal([]byte(`[true, 1]`), &b); err == nil {
		t.Error("boolList accepted [true, 1]")
	}
	if err := json.Unmarshal([]byte(` [ 1 , 2 ] `), &l); err != nil || len(l) != 2 || l[1] != 2 {
		t.Errorf("intList with spaces: %v %v", l, err)
	}
}
