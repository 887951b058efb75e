package itemio

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// drain reads a parser to its end or its first error.
func drain(p parser) ([]value.Value, error) {
	var items []value.Value
	for {
		v, ok, err := p.next(context.Background())
		if err != nil || !ok {
			return items, err
		}
		items = append(items, v)
	}
}

// FuzzCSV: the CSV reader never panics, fails only with States.
// ItemReaderFailed, and on data without quotes, backslashes or carriage
// returns agrees with splitting lines and fields by hand.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{r4Body, r5Body, r10Body, "a,b\n\"x,\"\"y\"\"\",z\n", "\\\\\\,\\x\n", "a\r\n\r\nb", "\"open", ""} {
		f.Add(s, byte(','))
	}
	f.Add("a|b\n1|2|3\n", byte('|'))
	f.Fuzz(func(t *testing.T, data string, delim byte) {
		if delim == '"' || delim == '\\' || delim == '\n' || delim == '\r' {
			return
		}
		items, err := drain(newCSVItems(strings.NewReader(data), "s3://f/k", delim, nil, 1<<16))
		var fe *failure.Error
		if err != nil && (!errors.As(err, &fe) || fe.Name != failure.ItemReaderFailed) {
			t.Fatalf("error %v (%T), want States.ItemReaderFailed", err, err)
		}
		if strings.ContainsAny(data, "\"\\\r") || err != nil {
			return
		}
		var lines [][]string
		for _, l := range strings.Split(data, "\n") {
			if l != "" {
				lines = append(lines, strings.Split(l, string([]byte{delim})))
			}
		}
		if len(lines) == 0 {
			if len(items) != 0 {
				t.Fatalf("%d items from no lines", len(items))
			}
			return
		}
		header := lines[0]
		seen := map[string]bool{}
		for _, h := range header {
			if seen[h] {
				return // refused: duplicates (checked by the table tests)
			}
			seen[h] = true
		}
		if len(items) != len(lines)-1 {
			t.Fatalf("%d items, want %d", len(items), len(lines)-1)
		}
		for i, fields := range lines[1:] {
			o := items[i].(*value.Object)
			for j, h := range header {
				want := ""
				if j < len(fields) {
					want = fields[j]
				}
				if got, _ := o.Get(h); got != want {
					t.Fatalf("item %d %q = %q, want %q", i, h, got, want)
				}
			}
		}
	})
}

// FuzzJSONArray: streaming a JSON array gives the elements that decoding
// the whole document gives, and fails only with States.ItemReaderFailed.
func FuzzJSONArray(f *testing.F) {
	for _, s := range []string{`[1,"a",{"b":[null,true]},-0.5e3]`, `[]`, `{"Hello":"world"}`, `[1,2`, `[1] x`, `[[[[]]]]`, `["\u00e9\ud83d\ude00"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var items []value.Value
		p, err := newJSONArray(strings.NewReader(data), "s3://f/k", 1<<16)
		if err == nil {
			items, err = drain(p)
		}
		var fe *failure.Error
		if err != nil && (!errors.As(err, &fe) || fe.Name != failure.ItemReaderFailed) {
			t.Fatalf("error %v (%T), want States.ItemReaderFailed", err, err)
		}
		whole, derr := value.DecodeString(data)
		arr, isArray := whole.([]any)
		if derr != nil || !isArray || len(data) > 1<<16 {
			return
		}
		if err != nil {
			t.Fatalf("a valid array failed: %v", err)
		}
		if len(items) != len(arr) {
			t.Fatalf("%d items, want %d", len(items), len(arr))
		}
		for i := range arr {
			if got, want := value.MarshalString(items[i]), value.MarshalString(arr[i]); got != want {
				t.Fatalf("item %d %s, want %s", i, got, want)
			}
		}
	})
}
