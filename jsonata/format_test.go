package jsonata

import (
	"math"
	"testing"
)

// TestFormatSuiteGroups runs the suite groups of the formatting and date
// functions: every case must pass.
func TestFormatSuiteGroups(t *testing.T) {
	for _, group := range []string{
		"function-formatNumber", "function-formatBase", "function-formatInteger",
		"function-parseInteger", "function-fromMillis", "function-tomillis",
	} {
		t.Run(group, func(t *testing.T) {
			cases, datasets := loadSuiteCases(t, group)
			if len(cases) == 0 {
				t.Fatalf("no cases in %s", group)
			}
			for _, nc := range cases {
				if why := runSuiteCase(nc, datasets); why != "" {
					t.Errorf("%s: %s (%s)", nc.name, why, nc.c.Expr)
				}
			}
		})
	}
}

// evalAt evaluates expr with a fixed evaluation timestamp.
func evalFormat(t *testing.T, expr string) (any, error) {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		t.Fatalf("compile %s: %v", expr, err)
	}
	return e.Evaluate(Undefined, nil)
}

// nanResult stands for a NaN result in a table.
type nanResult struct{}

var nan = nanResult{}

// TestFormatFunctions are results checked against jsonata-js 2.0.6 (node),
// beyond the suite: its quirks, JavaScript's number text and rounding, and
// inputs on which jsonata-js fails or never returns.
func TestFormatFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want any // a string or float64 result, nan for NaN, or an error code as "!D3085"
	}{
		{`$formatNumber(1e21, "#")`, "1e+21"},
		{`$formatNumber(1.5e300, "#,###.00")`, "1.5e+3"},
		{`$formatNumber(0.5, "#")`, "0"},
		{`$formatNumber(2.5, "#")`, "2"},
		{`$formatNumber(1.005, "#.00")`, "1.00"},
		{`$formatNumber(-1.5, "#.0;(#.0)")`, "(1.5)"},
		{`$formatNumber(12, "#", {"per-mille":"pm", "decimal-separator": ","})`, "12"},
		{`$formatNumber(1234.5678, "#,##0.00", {"decimal-separator": ",", "grouping-separator": "."})`, "!D3091"},
		{`$formatNumber(1234.5678, "#.##0,00", {"decimal-separator": ",", "grouping-separator": "."})`, "1.234,57"},
		{`$formatNumber(1, "abc")`, "!D3085"},       // jsonata-js: TypeError
		{`$formatNumber(0, "0.0e0")`, "0.0e0"},      // jsonata-js: never returns
		{`$formatNumber(-1234, "0.0e0")`, "-1.2e3"}, // jsonata-js: never returns
		{`$formatNumber(5, "#", {"zero-digit": 5})`, "!T0410"},
		{`$formatBase(1e30, 2)`, "1100100111110010110010011100110100000100011001110101000000000000000000000000000000000000000000000000"},
		{`$formatBase(1e21)`, "1e+21"},
		{`$formatBase(-2.5)`, "-2"},
		{`$formatBase(3.5, 16)`, "4"},
		{`$formatInteger(-0.5, "0")`, "-1"},
		{`$formatInteger(1e21, "0")`, "1e+21"},
		{`$formatInteger(1e21, "#,##0")`, "1e,+21"},
		{`$formatInteger(0, "w")`, "zero"},
		{`$formatInteger(0, "a")`, ""},
		{`$formatInteger(5, "0;o,xx")`, "5th"},
		{`$formatInteger(5, "01;o")`, "05th"},
		{`$formatInteger(11, "0;o")`, "11th"},
		{`$formatInteger(113, "0;o")`, "113th"},
		{`$formatInteger(1e9, "I")`, "!D3130"}, // jsonata-js: stack overflow
		{`$parseInteger("abc","0")`, nan},
		{`$parseInteger("zz","i")`, nan},
		{`$parseInteger("foo","w")`, nan},
		{`$toMillis("mcmlxxxiv", "[YI]")`, nan},
		{`$toMillis("2018-02-30")`, 1519948800000.0},
		{`$toMillis("2018-13-01")`, nan},
		{`$toMillis("2018-02-01T24:00:00")`, 1517529600000.0},
		{`$toMillis("2018.5")`, 1525132800000.0},
		{`$toMillis("2018-01-02-03")`, nan},
		{`$toMillis("2018T10:00:00")`, 1514800800000.0},
		{`$toMillis("2018-01-01T10:00:00.123456+05:30")`, 1514781000123.0},
		{`$toMillis("2018-01-01T10:00:00+0530")`, 1514781000000.0},
		{`$toMillis("2018-01-01T10:00:00+2959")`, nan},
		{`$toMillis("2018-01-00")`, nan},
		{`$toMillis("2018-01-01T23:59:59.9999Z")`, 1514851199999.0},
		{`$toMillis("0000-01-01")`, -62167219200000.0},
		{`$toMillis("2018-01-01T24:30:00Z")`, nan},
		{`$toMillis("2018-01-01+05:00")`, nan},
		{`$toMillis("2018-01.5")`, 1515110400000.0},
		{`$toMillis("2018-01-01T10:60:00")`, "!D3110"},
		{`$fromMillis(1e16)`, "0NaN-NaN-NaNTNaN:NaN:NaN.NaNZ"},
		{`$fromMillis(8.64e15)`, "5760-09-13T00:00:00.000Z"},
		{`$fromMillis(-8.64e15)`, "-1821-04-20T00:00:00.000Z"},
		{`$fromMillis(1.7)`, "1970-01-01T00:00:00.001Z"},
		{`$fromMillis(-1.7)`, "1969-12-31T23:59:59.999Z"},
		{`$fromMillis(0, "[Y]", "abc")`, "NaN"},
		{`$fromMillis(0, "[H01]:[m01][Z]", "-0530")`, "17:30-06:30"},
		{`$fromMillis(0, undefined, "-0530")`, "1969-12-31T17:30:00.000-06:30"},
		{`$fromMillis(-62167219200001)`, "-0001-12-31T23:59:59.999Z"},
		{`$fromMillis(253402300800000)`, "0000-01-01T00:00:00.000Z"},
		{`$fromMillis(0, "[q1]")`, "undefined"},
		{`$fromMillis(0, "[Y,]")`, "1970"},
		{`$fromMillis(1e16, "[MNn]")`, "undefined"},
		{`$fromMillis(0, "[]")`, "!D3132"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := evalFormat(t, tc.expr)
			if want, ok := tc.want.(string); ok && len(want) > 1 && want[0] == '!' {
				je, isJ := err.(*Error)
				if !isJ || je.Code != want[1:] {
					t.Fatalf("got %v, %v; want error %s", got, err, want[1:])
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v; want %v", err, tc.want)
			}
			if _, ok := tc.want.(nanResult); ok {
				if f, ok := got.(float64); !ok || !math.IsNaN(f) {
					t.Fatalf("got %#v; want NaN", got)
				}
				return
			}
			if !DeepEqual(got, tc.want) {
				t.Fatalf("got %#v; want %#v", got, tc.want)
			}
		})
	}
}

// TestFormatOddPicturesNoPanic feeds malformed pictures and options: each
// gives a result or a JSONata error, never a panic.
func TestFormatOddPicturesNoPanic(t *testing.T) {
	t.Parallel()
	exprs := []string{
		`$fromMillis(0, "[,1]")`, `$fromMillis(0, "[Y,2-x]")`, `$fromMillis(0, "[Z,]")`, `$fromMillis(0, "[ZN]")`,
		`$fromMillis(0, "[fN]")`, `$fromMillis(0, "[Y٠٠٠١]")`, `$fromMillis(0, "[M,*-0]")`, `$fromMillis(0, "[[]]]")`,
		`$toMillis("12x30", "[H]:[m][Z01x01]")`, `$toMillis("+12X30", "[Z01x01]")`, `$toMillis("a", "[Y,3000]")`,
		`$toMillis("2018", "[Yα]")`, `$toMillis("x", "[C]")`, `$toMillis("", "")`,
		`$formatNumber(1, "")`, `$formatNumber(1, "#", {"pattern-separator": ""})`, `$formatNumber(1, "#", {"zero-digit": ""})`,
		`$formatNumber(1, "e#")`, `$formatNumber(1e-300, "0.0e0")`, `$formatNumber(1e300, "#,##0.###e0")`,
		`$formatInteger(1e300, "W")`, `$formatInteger(1e300, "a")`, `$parseInteger("", "0;o")`, `$parseInteger("x", "#,##0")`,
	}
	for _, expr := range exprs {
		_, err := evalFormat(t, expr)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Errorf("%s: error %T %v is not a JSONata error", expr, err, err)
			}
		}
	}
}
