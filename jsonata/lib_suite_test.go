package jsonata

import (
	"testing"
)

// libSuiteGroups are the suite's groups about this part of the library
// (the string, numeric, array, object, boolean and higher-order functions).
var libSuiteGroups = []string{
	"function-abs", "function-append", "function-assert", "function-average", "function-boolean",
	"function-ceil", "function-count", "function-decodeUrl", "function-decodeUrlComponent",
	"function-distinct", "function-each", "function-encodeUrl", "function-encodeUrlComponent",
	"function-error", "function-eval", "function-exists", "function-floor", "function-join",
	"function-keys", "function-length", "function-lookup", "function-lowercase", "function-max",
	"function-merge", "function-number", "function-pad", "function-power", "function-reverse",
	"function-round", "function-shuffle", "function-sift", "function-sort", "function-spread",
	"function-sqrt", "function-string", "function-substring", "function-substringAfter",
	"function-substringBefore", "function-sum", "function-trim", "function-typeOf",
	"function-uppercase", "function-zip", "hof-filter", "hof-map", "hof-reduce", "hof-single",
	"hof-zip-map", "higher-order-functions", "encoding", "string-concat",
}

// TestLibrarySuiteGroups runs the suite's groups of this part of the
// library (with the suite runner's helpers): unlike TestSuite, which
// tolerates the listed known failures, every case here must pass.
func TestLibrarySuiteGroups(t *testing.T) {
	n := 0
	defer func() { t.Logf("%d cases of %d groups", n, len(libSuiteGroups)) }()
	for _, g := range libSuiteGroups {
		cases, datasets := loadSuiteCases(t, g)
		if len(cases) == 0 {
			t.Errorf("suite group %s has no cases", g)
		}
		for _, nc := range cases {
			n++
			if why := runSuiteCase(nc, datasets); why != "" {
				t.Errorf("%s: %s", nc.name, why)
			}
		}
	}
}
