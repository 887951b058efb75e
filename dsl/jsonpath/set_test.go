package jsonpath

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestSet(t *testing.T) {
	t.Parallel()
	const input = `{"master":{"detail":[1,2,3]},"s":"str","arr":[{"x":1},{"x":2}],"n":null}`
	tests := []struct {
		path, v, want string
	}{
		{"$", `6`, `6`},
		{"$.master.result.sum", `6`, `{"master":{"detail":[1,2,3],"result":{"sum":6}},"s":"str","arr":[{"x":1},{"x":2}],"n":null}`},
		{"$.s", `{"new":true}`, `{"master":{"detail":[1,2,3]},"s":{"new":true},"arr":[{"x":1},{"x":2}],"n":null}`},
		{"$['z']", `1`, `{"master":{"detail":[1,2,3]},"s":"str","arr":[{"x":1},{"x":2}],"n":null,"z":1}`},
		{"$.a.b.c", `null`, `{"master":{"detail":[1,2,3]},"s":"str","arr":[{"x":1},{"x":2}],"n":null,"a":{"b":{"c":null}}}`},
		{"$.master.detail[1]", `"two"`, `{"master":{"detail":[1,"two",3]},"s":"str","arr":[{"x":1},{"x":2}],"n":null}`},
		{"$.arr[1].y", `3`, `{"master":{"detail":[1,2,3]},"s":"str","arr":[{"x":1},{"x":2,"y":3}],"n":null}`},
		{"$.n", `1`, `{"master":{"detail":[1,2,3]},"s":"str","arr":[{"x":1},{"x":2}],"n":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			doc := value.MustDecode(input)
			before := value.Clone(doc)
			got, err := MustParse(tt.path).Set(doc, value.MustDecode(tt.v))
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if diff := cmp.Diff(tt.want, value.MarshalString(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(value.MarshalString(before), value.MarshalString(doc)); diff != "" {
				t.Errorf("Set modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

// Set copies only the spine along the path; untouched subtrees are shared.
func TestSetSharesUntouchedSubtrees(t *testing.T) {
	t.Parallel()
	doc := value.MustDecode(`{"keep":{"deep":[1]},"a":{"b":1,"other":{"o":1}}}`).(*value.Object)
	out, err := MustParse("$.a.b").Set(doc, value.Number("2"))
	if err != nil {
		t.Fatal(err)
	}
	o := out.(*value.Object)
	if o == doc {
		t.Fatal("Set returned the input object")
	}
	keepIn, _ := doc.Get("keep")
	keepOut, _ := o.Get("keep")
	if keepIn != keepOut {
		t.Error("untouched member keep was copied, not shared")
	}
	aIn, _ := doc.Get("a")
	aOut, _ := o.Get("a")
	if aIn == aOut {
		t.Error("the spine object a was shared, not copied")
	}
	otherIn, _ := aIn.(*value.Object).Get("other")
	otherOut, _ := aOut.(*value.Object).Get("other")
	if otherIn != otherOut {
		t.Error("untouched member a.other was copied, not shared")
	}
	if b, _ := aIn.(*value.Object).Get("b"); b != value.Number("1") {
		t.Errorf("input a.b = %v, want 1", b)
	}
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	const input = `{"s":"str","arr":[1,2],"n":null,"o":{}}`
	for _, path := range []string{
		"$.s.x",     // a string is not an object
		"$.arr.x",   // nor is an array
		"$.n.x",     // nor null
		"$.s[0]",    // a string is not an array
		"$.o[0]",    // nor an object
		"$.arr[2]",  // out of range
		"$.arr[-1]", // not a reference path
		"$.miss[0]", // no array to create
		"$.miss.a[0]",
		"$.a[*]",
		"$..a",
		"$$.a",
	} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			doc := value.MustDecode(input)
			_, err := MustParse(path).Set(doc, value.Number("1"))
			var se *SetError
			if !errors.As(err, &se) {
				t.Fatalf("Set(%s) error = %v, want a *SetError", path, err)
			}
			want := "Unable to apply ReferencePath " + path + " to input " + input
			if diff := cmp.Diff(want, se.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if se.Path != path {
				t.Errorf("Path = %q", se.Path)
			}
		})
	}
	// The input is shown as JSON: a string input is quoted and escaped.
	_, err := MustParse("$.partitioned").Set(`{"min":1}`, value.Number("1"))
	if want := `Unable to apply ReferencePath $.partitioned to input "{\"min\":1}"`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
