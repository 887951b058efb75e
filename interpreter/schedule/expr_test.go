package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// slots lists the first n slots of expr in zone after `after`.
func slots(t *testing.T, expr, zone, after string, n int) []string {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	p := Plan{Expr: e, Loc: mustLoc(t, zone), Anchor: utc(after)}
	var out []string
	at := utc(after)
	for len(out) < n {
		next, ok := p.Next(at)
		if !ok {
			break
		}
		if !next.After(at) {
			t.Fatalf("%s: Next(%s) = %s, not after it", expr, at, next)
		}
		out = append(out, next.UTC().Format(time.RFC3339))
		at = next
	}
	return out
}

func TestCronFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, after string
		want              []string
	}{
		{"every day at 10:00", "cron(0 10 * * ? *)", "2025-01-01T10:00:00Z",
			[]string{"2025-01-02T10:00:00Z", "2025-01-03T10:00:00Z"}},
		{"list", "cron(5,35 14 * * ? *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T14:05:00Z", "2025-01-01T14:35:00Z", "2025-01-02T14:05:00Z"}},
		{"increment from zero", "cron(0/15 * * * ? *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T00:15:00Z", "2025-01-01T00:30:00Z", "2025-01-01T00:45:00Z", "2025-01-01T01:00:00Z"}},
		{"increment from one", "cron(1/10 * * * ? *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T00:01:00Z", "2025-01-01T00:11:00Z", "2025-01-01T00:21:00Z"}},
		{"star increment", "cron(*/20 9 * * ? *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T09:00:00Z", "2025-01-01T09:20:00Z", "2025-01-01T09:40:00Z", "2025-01-02T09:00:00Z"}},
		{"range with increment", "cron(0 8-18/5 * * ? *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T08:00:00Z", "2025-01-01T13:00:00Z", "2025-01-01T18:00:00Z", "2025-01-02T08:00:00Z"}},
		{"weekdays by name", "cron(0 18 ? * MON-FRI *)", "2025-01-03T18:00:00Z", // a Friday
			[]string{"2025-01-06T18:00:00Z", "2025-01-07T18:00:00Z"}},
		{"weekdays by number", "cron(0 18 ? * 2-6 *)", "2025-01-03T18:00:00Z",
			[]string{"2025-01-06T18:00:00Z", "2025-01-07T18:00:00Z"}},
		{"first of the month", "cron(0 8 1 * ? *)", "2025-01-15T00:00:00Z",
			[]string{"2025-02-01T08:00:00Z", "2025-03-01T08:00:00Z"}},
		{"month names, any case", "cron(0 0 1 JAN,jul ? *)", "2025-01-02T00:00:00Z",
			[]string{"2025-07-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
		{"last day of the month", "cron(0 0 L * ? *)", "2025-01-31T00:00:00Z",
			[]string{"2025-02-28T00:00:00Z", "2025-03-31T00:00:00Z", "2025-04-30T00:00:00Z"}},
		{"last day of February in a leap year", "cron(0 0 L 2 ? *)", "2027-06-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"}},
		{"last weekday of the month", "cron(0 0 LW * ? *)", "2025-05-01T00:00:00Z",
			// May 31 2025 is a Saturday, Aug 31 2025 a Sunday.
			[]string{"2025-05-30T00:00:00Z", "2025-06-30T00:00:00Z", "2025-07-31T00:00:00Z", "2025-08-29T00:00:00Z"}},
		{"nearest weekday", "cron(0 0 15W * ? *)", "2025-03-01T00:00:00Z",
			// Mar 15 2025 is a Saturday -> Friday 14; Jun 15 a Sunday -> Monday 16.
			[]string{"2025-03-14T00:00:00Z", "2025-04-15T00:00:00Z", "2025-05-15T00:00:00Z", "2025-06-16T00:00:00Z"}},
		{"nearest weekday stays in the month", "cron(0 0 1W 2 ? *)", "2025-01-01T00:00:00Z",
			// Feb 1 2025 is a Saturday: Monday the 3rd, not Friday Jan 31.
			[]string{"2025-02-03T00:00:00Z", "2026-02-02T00:00:00Z"}},
		{"nearest weekday of the 31st", "cron(0 0 31W * ? *)", "2025-08-01T00:00:00Z",
			// Aug 31 2025 is a Sunday: Friday 29 (the month has no 32nd).
			[]string{"2025-08-29T00:00:00Z", "2025-10-31T00:00:00Z"}},
		{"second Tuesday", "cron(0 0 ? * 3#2 *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-14T00:00:00Z", "2025-02-11T00:00:00Z"}},
		{"fifth Friday, only in months that have one", "cron(0 0 ? * FRI#5 *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-31T00:00:00Z", "2025-05-30T00:00:00Z"}},
		{"last Friday", "cron(15 10 ? * 6L 2025-2026)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-31T10:15:00Z", "2025-02-28T10:15:00Z", "2025-03-28T10:15:00Z"}},
		{"L alone in day-of-week is Saturday", "cron(0 0 ? * L *)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-04T00:00:00Z", "2025-01-11T00:00:00Z"}},
		{"years", "cron(0 0 1 1 ? 2027,2030)", "2025-06-01T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"}},
		{"a year gone fires never", "cron(0 0 1 1 ? 2020)", "2025-06-01T00:00:00Z", nil},
		{"February 30th fires never", "cron(0 0 30 2 ? 2025-2030)", "2025-01-01T00:00:00Z", nil},
		{"rate in minutes from the anchor", "rate(5 minutes)", "2025-01-01T00:00:07Z",
			[]string{"2025-01-01T00:05:07Z", "2025-01-01T00:10:07Z"}},
		{"rate of one hour", "rate(1 hour)", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T01:00:00Z", "2025-01-01T02:00:00Z"}},
		{"at", "at(2025-02-01T09:30:00)", "2025-01-01T00:00:00Z", []string{"2025-02-01T09:30:00Z"}},
		{"at gone", "at(2024-02-01T09:30:00)", "2025-01-01T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := slots(t, tt.expr, "UTC", tt.after, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s after %s (-want +got):\n%s", tt.expr, tt.after, diff)
			}
		})
	}
}

// TestDaylightSaving: a local time the clocks skip is skipped; a local
// time they repeat fires once, at its first occurrence; rates count real
// hours.
func TestDaylightSaving(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, zone, after string
		want                    []string
	}{
		// New York, 2025: 02:00 EST -> 03:00 EDT on March 9; 02:00 EDT -> 01:00 EST on November 2.
		{"NY spring: 02:30 does not exist on March 9", "cron(30 2 * * ? *)", "America/New_York", "2025-03-08T12:00:00Z",
			[]string{"2025-03-10T06:30:00Z", "2025-03-11T06:30:00Z"}},
		{"NY spring: 03:30 the same day exists", "cron(30 3 * * ? *)", "America/New_York", "2025-03-08T12:00:00Z",
			[]string{"2025-03-09T07:30:00Z", "2025-03-10T07:30:00Z"}},
		{"NY fall: 01:30 fires once", "cron(30 1 * * ? *)", "America/New_York", "2025-11-01T12:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}},
		{"NY fall: every half hour through the repeated hour", "cron(0/30 * * * ? *)", "America/New_York", "2025-11-02T04:15:00Z",
			// 00:30 EDT, 01:00 EDT, 01:30 EDT, then the repeated 01:00 and 01:30 EST are not fired again: 02:00 EST.
			[]string{"2025-11-02T04:30:00Z", "2025-11-02T05:00:00Z", "2025-11-02T05:30:00Z", "2025-11-02T07:00:00Z", "2025-11-02T07:30:00Z"}},
		{"NY fall: asked during the repeated hour", "cron(45 1 * * ? *)", "America/New_York", "2025-11-02T06:10:00Z", // 01:10 EST
			[]string{"2025-11-03T06:45:00Z"}},
		{"NY rate of one day counts 24 hours", "rate(1 day)", "America/New_York", "2025-03-08T17:00:00Z", // noon EST
			[]string{"2025-03-09T17:00:00Z", "2025-03-10T17:00:00Z"}}, // 13:00 EDT: the wall time moves
		// Oslo, 2025: 02:00 CET -> 03:00 CEST on March 30; 03:00 CEST -> 02:00 CET on October 26.
		{"Oslo spring: 02:15 skipped", "cron(15 2 * * ? *)", "Europe/Oslo", "2025-03-29T12:00:00Z",
			[]string{"2025-03-31T00:15:00Z", "2025-04-01T00:15:00Z"}},
		{"Oslo fall: 02:15 once, in summer time", "cron(15 2 * * ? *)", "Europe/Oslo", "2025-10-25T12:00:00Z",
			[]string{"2025-10-26T00:15:00Z", "2025-10-27T01:15:00Z"}},
		{"Oslo fall: every minute of the repeated hour fires once", "cron(58-59,0-1 1-3 26 10 ? 2025)", "Europe/Oslo", "2025-10-25T12:00:00Z",
			[]string{"2025-10-25T23:00:00Z", "2025-10-25T23:01:00Z", "2025-10-25T23:58:00Z", "2025-10-25T23:59:00Z",
				"2025-10-26T00:00:00Z", "2025-10-26T00:01:00Z", "2025-10-26T00:58:00Z", "2025-10-26T00:59:00Z",
				"2025-10-26T02:00:00Z", "2025-10-26T02:01:00Z", "2025-10-26T02:58:00Z", "2025-10-26T02:59:00Z"}},
		{"Oslo at in the gap never fires", "at(2025-03-30T02:30:00)", "Europe/Oslo", "2025-01-01T00:00:00Z", nil},
		{"Oslo at in the repeated hour fires at the first", "at(2025-10-26T02:30:00)", "Europe/Oslo", "2025-01-01T00:00:00Z",
			[]string{"2025-10-26T00:30:00Z"}},
		{"Kathmandu's 45-minute offset", "cron(0 9 * * ? *)", "Asia/Kathmandu", "2025-01-01T00:00:00Z",
			[]string{"2025-01-01T03:15:00Z", "2025-01-02T03:15:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := slots(t, tt.expr, tt.zone, tt.after, max(len(tt.want), 1))
			if len(tt.want) == 0 && len(got) == 0 {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s in %s after %s (-want +got):\n%s", tt.expr, tt.zone, tt.after, diff)
			}
		})
	}
}

func TestPlanBounds(t *testing.T) {
	t.Parallel()
	e, _ := Parse("cron(0 * * * ? *)")
	p := Plan{Expr: e, Loc: time.UTC, Start: utc("2025-01-01T05:00:00Z"), End: utc("2025-01-01T07:00:00Z")}
	var got []string
	for at := utc("2025-01-01T00:00:00Z"); ; {
		n, ok := p.Next(at)
		if !ok {
			break
		}
		got = append(got, n.Format(time.RFC3339))
		at = n
	}
	want := []string{"2025-01-01T05:00:00Z", "2025-01-01T06:00:00Z"} // start included, end excluded
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r, _ := Parse("rate(30 minutes)")
	p = Plan{Expr: r, Loc: time.UTC, Anchor: utc("2020-01-01T00:00:00Z"), Start: utc("2025-01-01T05:10:00Z")}
	if n, _ := p.Next(utc("2025-01-01T00:00:00Z")); !n.Equal(utc("2025-01-01T05:10:00Z")) {
		t.Errorf("a rate starts at its start date: got %s", n)
	}
	if n, _ := p.Next(utc("2025-01-01T05:10:00Z")); !n.Equal(utc("2025-01-01T05:40:00Z")) {
		t.Errorf("a rate counts from its start date: got %s", n)
	}
}

// TestRateFarFromItsAnchor: a rate counts in whole seconds, however far
// (centuries) the time asked about is from its anchor: the next slot is
// after the time and on the grid (a Duration would saturate at 292 years).
func TestRateFarFromItsAnchor(t *testing.T) {
	t.Parallel()
	e, _ := Parse("rate(1 minute)")
	tests := []struct{ anchor, after, want string }{
		{"1700-01-01T00:00:00Z", "2025-01-01T10:00:30Z", "2025-01-01T10:01:00Z"},
		{"2025-01-01T00:00:00Z", "1700-01-01T00:00:00Z", "1700-01-01T00:01:00Z"},
		{"1970-01-01T00:00:07Z", "2199-12-31T23:59:59.5Z", "2200-01-01T00:00:07Z"},
	}
	for _, tt := range tests {
		p := Plan{Expr: e, Loc: time.UTC, Anchor: utc(tt.anchor)}
		if n, ok := p.Next(utc(tt.after)); !ok || !n.Equal(utc(tt.want)) {
			t.Errorf("anchor %s, after %s: got %s %v, want %s", tt.anchor, tt.after, n, ok, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, field string
		column      int
		msg         string
	}{
		{"every(5 minutes)", "", 1, "not an expression kind"},
		{"cron 0 * * * ? *", "", 1, "want cron("},
		{"cron(0 10 * * ?)", "", 6, "6 fields"},
		{"cron(60 * * * ? *)", "minutes", 6, "60 is out of range 0-59"},
		{"cron(0 25 * * ? *)", "hours", 8, "25 is out of range 0-23"},
		{"cron(0 1-25 * * ? *)", "hours", 10, "25 is out of range"},
		{"cron(0 0 32 * ? *)", "day-of-month", 10, "32 is out of range 1-31"},
		{"cron(0 0 * 13 ? *)", "month", 12, "13 is out of range 1-12"},
		{"cron(0 0 ? FOO * *)", "month", 12, `"FOO" is not a value: want 1-12 or JAN-DEC`},
		{"cron(0 0 ? * 8 *)", "day-of-week", 14, "8 is out of range 1-7"},
		{"cron(0 0 1 1 ? 1969)", "year", 16, "1969 is out of range 1970-2199"},
		{"cron(0 0 * * * *)", "day-of-month", 10, "cannot both be given"},
		{"cron(0 0 ? * ? *)", "day-of-week", 14, "both day fields are ?"},
		{"cron(0 0 ? * 3#1,6#3 *)", "day-of-week", 14, "that one expression only"},
		{"cron(0 0 ? * 3#6 *)", "day-of-week", 16, "occurrence 1-5"},
		{"cron(0 L * * ? *)", "hours", 8, "only allowed in the day fields"},
		{"cron(? 0 * * ? *)", "minutes", 6, "? is only allowed"},
		{"cron(0 0 5L * ? *)", "day-of-month", 10, "day-of-month takes L, LW or nW"},
		{"cron(0 0 ? * 2W *)", "day-of-week", 14, "W is only allowed in day-of-month"},
		{"cron(0/0 * * * ? *)", "minutes", 8, "increment \"0\""},
		{"cron(0/61 * * * ? *)", "minutes", 8, "larger than the field's range"},
		{"cron(5-2 * * * ? *)", "minutes", 6, "runs backwards"},
		{"cron(0,,5 * * * ? *)", "minutes", 8, "a value is missing"},
		{"rate(5)", "", 6, "want rate(value unit)"},
		{"rate(0 minutes)", "", 6, `value "0" is not a positive integer`},
		{"rate(5 weeks)", "", 8, `unit "weeks"`},
		{"rate(5 minute)", "", 8, "write rate(5 minutes)"},
		{"rate(1 hours)", "", 8, "write rate(1 hour)"},
		{"at(2025-13-01T00:00:00)", "", 4, "yyyy-mm-ddThh:mm:ss"},
		{"at(2025-01-01 00:00:00)", "", 4, "yyyy-mm-ddThh:mm:ss"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a SyntaxError", tt.expr, err)
			}
			if se.Field != tt.field || se.Column != tt.column || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q): field %q column %d %q; want field %q column %d containing %q",
					tt.expr, se.Field, se.Column, se.Msg, tt.field, tt.column, tt.msg)
			}
			if !strings.Contains(err.Error(), tt.expr) {
				t.Errorf("the message %q does not quote the expression", err)
			}
		})
	}
}

func TestJitterIsStableAndBounded(t *testing.T) {
	t.Parallel()
	slot := utc("2025-01-01T09:00:00Z")
	a, b := Jitter("nightly", slot, 15), Jitter("nightly", slot, 15)
	if a != b {
		t.Fatalf("jitter differs between two computations: %s, %s", a, b)
	}
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		j := Jitter("nightly", slot.Add(time.Duration(i)*time.Minute), 15)
		if j < 0 || j >= 15*time.Minute || j%time.Second != 0 {
			t.Fatalf("jitter %s is not whole seconds within 15 minutes", j)
		}
		seen[j] = true
	}
	if len(seen) < 50 {
		t.Errorf("jitter takes only %d values over 200 slots", len(seen))
	}
	if Jitter("nightly", slot, 0) != 0 {
		t.Error("no window, no jitter")
	}
}

func TestExecutionNameFits(t *testing.T) {
	t.Parallel()
	name := ExecutionName(strings.Repeat("a", MaxNameLength), utc("2025-01-02T03:04:05Z"))
	if len(name) != 80 || !strings.HasSuffix(name, "-20250102T030405Z") {
		t.Errorf("ExecutionName = %q (%d characters)", name, len(name))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"cron(0 10 * * ? *)", "cron(0/15 8-18 ? * MON-FRI 2025)", "cron(0 0 LW * ? *)",
		"cron(0 0 ? * 6L *)", "cron(0 0 ? * 3#2 *)", "rate(5 minutes)", "at(2025-01-01T00:00:00)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %v is not a SyntaxError", s, err)
			}
			return
		}
		p := Plan{Expr: e, Loc: time.UTC, Anchor: utc("2025-01-01T00:00:00Z")}
		at := utc("2025-01-01T00:00:00Z")
		for i := 0; i < 3; i++ {
			n, ok := p.Next(at)
			if !ok {
				return
			}
			if !n.After(at) {
				t.Fatalf("%q: Next(%s) = %s", s, at, n)
			}
			at = n
		}
	})
}
