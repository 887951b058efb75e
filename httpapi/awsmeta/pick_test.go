package awsmeta

import (
	"errors"
	"testing"
)

func TestPick(t *testing.T) {
	mc := Default()
	mc.Published = []Published{{Number: 1, Revision: 3}, {Number: 2, Revision: 5}, {Number: 4, Revision: 9}}
	mc.Aliases = []Alias{
		{Name: "split", Routing: []Route{{Version: 2, Weight: 30}, {Version: 4, Weight: 70}}},
		{Name: "one", Routing: []Route{{Version: 1, Weight: 100}}},
		{Name: "zero-first", Routing: []Route{{Version: 1, Weight: 0}, {Version: 4, Weight: 100}}},
		{Name: "zero-last", Routing: []Route{{Version: 2, Weight: 100}, {Version: 1, Weight: 0}}},
		{Name: "gone", Routing: []Route{{Version: 3, Weight: 100}}},
	}
	for _, c := range []struct {
		alias    string
		rnd      float64
		number   int
		revision int
		err      error
	}{
		{"split", 0, 2, 5, nil},
		{"split", 0.2999, 2, 5, nil},
		{"split", 0.30, 4, 9, nil},
		{"split", 0.9999999, 4, 9, nil},
		{"one", 0.5, 1, 3, nil},
		{"zero-first", 0, 4, 9, nil},
		{"zero-last", 0.9999999, 2, 5, nil},
		{"nosuch", 0.5, 0, 0, ErrNoAlias},
		{"gone", 0.5, 0, 0, ErrNoVersion},
	} {
		p, err := mc.Pick(c.alias, c.rnd)
		if !errors.Is(err, c.err) || (c.err == nil && (p.Number != c.number || p.Revision != c.revision)) {
			t.Errorf("Pick(%s, %v) = %+v, %v; want number %d revision %d, error %v", c.alias, c.rnd, p, err, c.number, c.revision, c.err)
		}
	}
	// Over many draws the weights hold.
	counts := map[int]int{}
	for i := range 1000 {
		p, err := mc.Pick("split", float64(i)/1000)
		if err != nil {
			t.Fatal(err)
		}
		counts[p.Number]++
	}
	if counts[2] != 300 || counts[4] != 700 {
		t.Errorf("1000 evenly spread draws: %v, want 300 of version 2 and 700 of version 4", counts)
	}
}
