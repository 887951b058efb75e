package awsmeta_test

import (
	"strconv"
	"testing"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
)

// A named start's draw is the same every time (a retry picks what the
// first try picked), differs between names, and over many names spreads
// so that a 50/50 alias sends about half to each version.
func TestStartDraw(t *testing.T) {
	mc := awsmeta.Default()
	mc.Published = []awsmeta.Published{{Number: 1, Revision: 1}, {Number: 2, Revision: 2}}
	mc.Aliases = []awsmeta.Alias{{Name: "half", Routing: []awsmeta.Route{{Version: 1, Weight: 50}, {Version: 2, Weight: 50}}}}
	counts := map[int]int{}
	for i := range 2000 {
		name := "order-" + strconv.Itoa(i)
		d := awsmeta.StartDraw("orders", name)
		if d < 0 || d >= 1 {
			t.Fatalf("StartDraw(orders, %s) = %v, outside [0, 1)", name, d)
		}
		if again := awsmeta.StartDraw("orders", name); again != d {
			t.Fatalf("StartDraw(orders, %s) = %v, then %v", name, d, again)
		}
		p, err := mc.Pick("half", d)
		if err != nil {
			t.Fatal(err)
		}
		counts[p.Number]++
	}
	if counts[1] < 900 || counts[2] < 900 {
		t.Errorf("2000 names through a 50/50 alias: %v, want about 1000 each", counts)
	}
	if awsmeta.StartDraw("orders", "o-1") == awsmeta.StartDraw("invoices", "o-1") {
		t.Error("the same name in two state machines draws the same number")
	}
	if awsmeta.StartDraw("orders", "") == awsmeta.StartDraw("orders", "") {
		t.Error("two unnamed starts drew the same number")
	}
}
