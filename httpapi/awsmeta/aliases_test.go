package awsmeta_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
)

func TestValidAliasName(t *testing.T) {
	for name, want := range map[string]bool{
		"live": true, "v1.2_beta-3": true, "1a": true, strings.Repeat("a", 80): true,
		"": false, "123": false, strings.Repeat("a", 81): false, "a b": false, "a/b": false, "é": false,
	} {
		if got := awsmeta.ValidAliasName(name); got != want {
			t.Errorf("ValidAliasName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckRouting(t *testing.T) {
	mc := awsmeta.Default()
	mc.Published = []awsmeta.Published{{Number: 1, Revision: 1}, {Number: 2, Revision: 4}}
	type r = awsmeta.Route
	for _, c := range []struct {
		name   string
		routes []awsmeta.Route
		want   *awsmeta.RoutingError // nil: accepted
	}{
		{"one", []r{{1, 100}}, nil},
		{"two", []r{{1, 90}, {2, 10}}, nil},
		{"a weight of 0", []r{{1, 0}, {2, 100}}, nil},
		{"none", nil, &awsmeta.RoutingError{Rule: awsmeta.RoutingCount, Count: 0}},
		{"three", []r{{1, 50}, {2, 25}, {3, 25}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingCount, Count: 3}},
		{"negative", []r{{1, 100}, {2, -1}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingWeight, Index: 1, Weight: -1}},
		{"over 100", []r{{1, 101}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingWeight, Weight: 101}},
		{"twice", []r{{2, 50}, {2, 50}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingDuplicate, Version: 2}},
		{"sum", []r{{1, 60}, {2, 30}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingSum, Sum: 90}},
		{"unpublished", []r{{1, 50}, {3, 50}}, &awsmeta.RoutingError{Rule: awsmeta.RoutingUnpublished, Version: 3}},
	} {
		err := mc.CheckRouting(c.routes)
		var re *awsmeta.RoutingError
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != nil && (!errors.As(err, &re) || *re != *c.want):
			t.Errorf("%s: %v, want %+v", c.name, err, *c.want)
		}
		// The package's CheckRouting needs no document: it accepts the
		// unpublished version.
		if err := awsmeta.CheckRouting(c.routes); (err == nil) != (c.want == nil || c.want.Rule == awsmeta.RoutingUnpublished) {
			t.Errorf("%s: CheckRouting = %v", c.name, err)
		}
	}
}

func TestAddAlias(t *testing.T) {
	mc := awsmeta.Default()
	mc.Published = []awsmeta.Published{{Number: 1, Revision: 1}}
	live := []awsmeta.Route{{Version: 1, Weight: 100}}
	for i := range awsmeta.MaxAliases {
		if err := mc.AddAlias(awsmeta.Alias{Name: "a" + strings.Repeat("x", i), Routing: live}); err != nil {
			t.Fatal(err)
		}
	}
	if err := mc.AddAlias(awsmeta.Alias{Name: "one-more", Routing: live}); !errors.Is(err, awsmeta.ErrAliasQuota) {
		t.Errorf("alias %d: %v, want ErrAliasQuota", awsmeta.MaxAliases+1, err)
	}
	mc.Aliases = nil
	if err := mc.AddAlias(awsmeta.Alias{Name: "x", Description: strings.Repeat("d", 257), Routing: live}); !errors.Is(err, awsmeta.ErrDescriptionTooLong) {
		t.Errorf("a long description: %v", err)
	}
	var re *awsmeta.RoutingError
	if err := mc.AddAlias(awsmeta.Alias{Name: "x", Routing: []awsmeta.Route{{Version: 2, Weight: 100}}}); !errors.As(err, &re) || re.Rule != awsmeta.RoutingUnpublished {
		t.Errorf("a route to an unpublished version: %v", err)
	}
	if len(mc.Aliases) != 0 {
		t.Errorf("refused aliases were added: %v", mc.Aliases)
	}
}
