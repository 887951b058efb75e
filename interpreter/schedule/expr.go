package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the form of an expression.
type Kind int

const (
	KindCron Kind = iota + 1 // cron(minutes hours day-of-month month day-of-week year)
	KindRate                 // rate(value unit)
	KindAt                   // at(yyyy-mm-ddThh:mm:ss)
)

// Expression is a parsed schedule expression.
type Expression struct {
	Kind Kind
	src  string
	cron *cronExpr
	rate time.Duration
	at   civil // a local time, in the schedule's time zone
}

// String is the expression as written.
func (e *Expression) String() string { return e.src }

// Rate is a rate expression's interval (0 for the others).
func (e *Expression) Rate() time.Duration { return e.rate }

// SyntaxError is an expression that does not parse: what is wrong, in
// which field, at which column (1-based, in the expression as written).
type SyntaxError struct {
	Expr   string
	Field  string // "minutes", "hours", …; "" for the expression as a whole
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	where := fmt.Sprintf("at column %d", e.Column)
	if e.Field != "" {
		where = fmt.Sprintf("%s field, column %d", e.Field, e.Column)
	}
	return fmt.Sprintf("expression %q: %s: %s", e.Expr, where, e.Msg)
}

// Parse reads cron(...), rate(...) or at(...).
func Parse(s string) (*Expression, error) {
	bad := func(col int, format string, a ...any) error {
		return &SyntaxError{Expr: s, Column: col, Msg: fmt.Sprintf(format, a...)}
	}
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return nil, bad(1, "want cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)")
	}
	body := s[open+1 : len(s)-1]
	switch s[:open] {
	case "cron":
		c, err := parseCron(s, body, open+2)
		if err != nil {
			return nil, err
		}
		return &Expression{Kind: KindCron, src: s, cron: c}, nil
	case "rate":
		d, err := parseRate(s, body, open+2)
		if err != nil {
			return nil, err
		}
		return &Expression{Kind: KindRate, src: s, rate: d}, nil
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			return nil, bad(open+2, "%q is not a local date and time as yyyy-mm-ddThh:mm:ss (no zone: the schedule's timezone applies)", body)
		}
		return &Expression{Kind: KindAt, src: s, at: civilOf(t)}, nil
	}
	return nil, bad(1, "%q is not an expression kind: want cron(...), rate(...) or at(...)", s[:open])
}

// parseRate reads "value unit": a positive integer and minute(s), hour(s)
// or day(s) (a day is 24 hours, whatever daylight saving does).
func parseRate(s, body string, col int) (time.Duration, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return 0, &SyntaxError{Expr: s, Column: col, Msg: "want rate(value unit), as rate(5 minutes)"}
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 {
		return 0, &SyntaxError{Expr: s, Column: col + strings.Index(body, parts[0]), Msg: fmt.Sprintf("value %q is not a positive integer", parts[0])}
	}
	unitCol := col + strings.LastIndex(body, parts[1])
	var unit time.Duration
	switch parts[1] {
	case "minute", "minutes":
		unit = time.Minute
	case "hour", "hours":
		unit = time.Hour
	case "day", "days":
		unit = 24 * time.Hour
	default:
		return 0, &SyntaxError{Expr: s, Column: unitCol, Msg: fmt.Sprintf("unit %q is not minute(s), hour(s) or day(s)", parts[1])}
	}
	if (n == 1) != (parts[1] == "minute" || parts[1] == "hour" || parts[1] == "day") {
		want := strings.TrimSuffix(parts[1], "s")
		if n != 1 {
			want += "s"
		}
		return 0, &SyntaxError{Expr: s, Column: unitCol, Msg: fmt.Sprintf("write rate(%d %s): a value of 1 takes the singular unit, others the plural", n, want)}
	}
	if n > 100*366 {
		return 0, &SyntaxError{Expr: s, Column: col, Msg: fmt.Sprintf("value %d is too large", n)}
	}
	return time.Duration(n) * unit, nil
}

// civil is a wall-clock time without a zone, to the minute or second.
type civil struct {
	y        int
	mo       time.Month
	d, h, mi int
	sec      int
}

func civilOf(t time.Time) civil {
	return civil{y: t.Year(), mo: t.Month(), d: t.Day(), h: t.Hour(), mi: t.Minute(), sec: t.Second()}
}

// utc is the civil time read as if it were UTC (normalised: day 32 is the
// next month's first).
func (c civil) utc() time.Time { return time.Date(c.y, c.mo, c.d, c.h, c.mi, c.sec, 0, time.UTC) }

// resolve is the instant a wall-clock time names in loc, by EventBridge's
// daylight-saving rules: a time the clocks skip names none (ok false); a
// time they repeat names its first occurrence, so it fires once.
func (c civil) resolve(loc *time.Location) (time.Time, bool) {
	w := c.utc()
	var best time.Time
	found := false
	// The instant is within 14 hours of the wall time read as UTC; the
	// zone's offset there is the one before or after any transition.
	for _, probe := range [...]time.Time{w.Add(-14 * time.Hour), w.Add(14 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		i := w.Add(-time.Duration(off) * time.Second)
		if civilOf(i.In(loc)) == civilOf(w) && (!found || i.Before(best)) {
			best, found = i, true
		}
	}
	return best, found
}
