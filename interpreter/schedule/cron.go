package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronExpr is a parsed cron(minutes hours day-of-month month day-of-week
// year), as EventBridge reads it: day-of-week 1-7 is SUN-SAT, one of the
// two day fields is ? and the other is not.
type cronExpr struct {
	minutes, hours, months uint64 // bit n: value n
	years                  [4]uint64

	// Day of month (used when the day of week is ?).
	domAny      bool
	dom         uint64 // days 1-31
	domLast     bool   // L: the last day of the month
	domLastWeek bool   // LW: the last weekday (Mon-Fri) of the month
	domNearest  []int  // nW: the weekday nearest day n, in the same month

	// Day of week (used when the day of month is ?); values 1 (SUN) to 7.
	dowAny  bool
	dow     uint64
	dowLast []int // nL: the last such day of the month
	nthDay  int   // n#k: the k-th such day of the month (nthDay = n)
	nth     int
}

const (
	minYear = 1970
	maxYear = 2199
)

type fieldDef struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	fields     = [6]fieldDef{
		{name: "minutes", min: 0, max: 59},
		{name: "hours", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "day-of-week", min: 1, max: 7, names: dayNames},
		{name: "year", min: minYear, max: maxYear},
	}
)

// fieldParser reads one field; col is the field's first column in the
// whole expression.
type fieldParser struct {
	expr string
	def  fieldDef
	col  int
}

func (p fieldParser) errAt(off int, format string, a ...any) error {
	return &SyntaxError{Expr: p.expr, Field: p.def.name, Column: p.col + off, Msg: fmt.Sprintf(format, a...)}
}

// value reads a number or a name of the field.
func (p fieldParser) value(s string, off int) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < p.def.min || n > p.def.max {
			return 0, p.errAt(off, "%d is out of range %d-%d", n, p.def.min, p.def.max)
		}
		return n, nil
	}
	for i, name := range p.def.names {
		if strings.EqualFold(s, name) {
			return p.def.min + i, nil
		}
	}
	if s == "" {
		return 0, p.errAt(off, "a value is missing")
	}
	if p.def.name != "day-of-month" && p.def.name != "day-of-week" && strings.ContainsAny(s, "LW#?") {
		return 0, p.errAt(off, "%q: L, W, # and ? are only allowed in the day fields", s)
	}
	if p.def.names != nil {
		return 0, p.errAt(off, "%q is not a value: want %d-%d or %s-%s", s, p.def.min, p.def.max, p.def.names[0], p.def.names[len(p.def.names)-1])
	}
	return 0, p.errAt(off, "%q is not a value: want %d-%d", s, p.def.min, p.def.max)
}

// item reads "*", "a", "a-b", each optionally "/step", and sets its
// values in set (bits of value - base).
func (p fieldParser) item(s string, off int, set func(int)) error {
	rng, stepS, hasStep := strings.Cut(s, "/")
	lo, hi := p.def.min, p.def.max
	switch {
	case rng == "*":
	case strings.Contains(rng, "-"):
		a, b, _ := strings.Cut(rng, "-")
		var err error
		if lo, err = p.value(a, off); err != nil {
			return err
		}
		if hi, err = p.value(b, off+len(a)+1); err != nil {
			return err
		}
		if hi < lo {
			return p.errAt(off, "range %s runs backwards", rng)
		}
	default:
		v, err := p.value(rng, off)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepS)
		if err != nil || n < 1 {
			return p.errAt(off+len(rng)+1, "increment %q is not a positive integer", stepS)
		}
		if n > p.def.max-p.def.min+1 {
			return p.errAt(off+len(rng)+1, "increment %d is larger than the field's range %d-%d", n, p.def.min, p.def.max)
		}
		step = n
	}
	for v := lo; v <= hi; v += step {
		set(v)
	}
	return nil
}

// parseCron reads the six fields; col is the column of the body's first
// character in the whole expression.
func parseCron(expr, body string, col int) (*cronExpr, error) {
	type span struct {
		s   string
		off int
	}
	var parts []span
	for i := 0; i < len(body); {
		if body[i] == ' ' || body[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(body) && body[j] != ' ' && body[j] != '\t' {
			j++
		}
		parts = append(parts, span{body[i:j], i})
		i = j
	}
	if len(parts) != 6 {
		return nil, &SyntaxError{Expr: expr, Column: col, Msg: fmt.Sprintf("a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not %d", len(parts))}
	}
	c := &cronExpr{}
	bits := func(dst *uint64) func(int) { return func(v int) { *dst |= 1 << v } }
	for i, part := range parts {
		p := fieldParser{expr: expr, def: fields[i], col: col + part.off}
		var err error
		switch i {
		case 0:
			err = p.list(part.s, bits(&c.minutes))
		case 1:
			err = p.list(part.s, bits(&c.hours))
		case 2:
			err = c.parseDOM(p, part.s)
		case 3:
			err = p.list(part.s, bits(&c.months))
		case 4:
			err = c.parseDOW(p, part.s)
		case 5:
			err = p.list(part.s, func(v int) { y := v - minYear; c.years[y/64] |= 1 << (y % 64) })
		}
		if err != nil {
			return nil, err
		}
	}
	domCol, dowCol := col+parts[2].off, col+parts[4].off
	switch {
	case c.domAny && c.dowAny:
		return nil, &SyntaxError{Expr: expr, Field: "day-of-week", Column: dowCol, Msg: "both day fields are ?: give a value (or *) in one of them"}
	case !c.domAny && !c.dowAny:
		return nil, &SyntaxError{Expr: expr, Field: "day-of-month", Column: domCol,
			Msg: "day-of-month and day-of-week cannot both be given: write ? in one of them (as cron(0 10 * * ? *) or cron(0 10 ? * MON-FRI *))"}
	}
	return c, nil
}

// list reads comma-separated items, "?" refused (only the day fields take it).
func (p fieldParser) list(s string, set func(int)) error {
	off := 0
	for _, it := range strings.Split(s, ",") {
		if it == "?" {
			return p.errAt(off, "? is only allowed in day-of-month or day-of-week")
		}
		if err := p.item(it, off, set); err != nil {
			return err
		}
		off += len(it) + 1
	}
	return nil
}

func (c *cronExpr) parseDOM(p fieldParser, s string) error {
	if s == "?" {
		c.domAny = true
		return nil
	}
	off := 0
	for _, it := range strings.Split(s, ",") {
		switch {
		case it == "?":
			return p.errAt(off, "? stands alone, not in a list")
		case it == "L":
			c.domLast = true
		case it == "LW":
			c.domLastWeek = true
		case strings.HasSuffix(it, "W"):
			n, err := p.value(strings.TrimSuffix(it, "W"), off)
			if err != nil {
				return err
			}
			c.domNearest = append(c.domNearest, n)
		case strings.ContainsAny(it, "L#"):
			return p.errAt(off, "%q: day-of-month takes L, LW or nW (as 15W), and # only in day-of-week", it)
		default:
			if err := p.item(it, off, func(v int) { c.dom |= 1 << v }); err != nil {
				return err
			}
		}
		off += len(it) + 1
	}
	return nil
}

func (c *cronExpr) parseDOW(p fieldParser, s string) error {
	if s == "?" {
		c.dowAny = true
		return nil
	}
	items := strings.Split(s, ",")
	off := 0
	for _, it := range items {
		switch {
		case it == "?":
			return p.errAt(off, "? stands alone, not in a list")
		case it == "L":
			c.dow |= 1 << 7 // the last day of the week: Saturday
		case strings.HasSuffix(it, "L"):
			n, err := p.value(strings.TrimSuffix(it, "L"), off)
			if err != nil {
				return err
			}
			c.dowLast = append(c.dowLast, n)
		case strings.Contains(it, "#"):
			if len(items) > 1 {
				return p.errAt(off, "%q: with #, day-of-week holds that one expression only (3#1,6#3 is two)", it)
			}
			d, k, _ := strings.Cut(it, "#")
			n, err := p.value(d, off)
			if err != nil {
				return err
			}
			nth, err := strconv.Atoi(k)
			if err != nil || nth < 1 || nth > 5 {
				return p.errAt(off+len(d)+1, "%q after # is not an occurrence 1-5 in the month", k)
			}
			c.nthDay, c.nth = n, nth
		case strings.Contains(it, "W"):
			return p.errAt(off, "%q: W is only allowed in day-of-month", it)
		default:
			if err := p.item(it, off, func(v int) { c.dow |= 1 << v }); err != nil {
				return err
			}
		}
		off += len(it) + 1
	}
	return nil
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func weekday(y int, m time.Month, d int) time.Weekday {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()
}

// nearestWeekday is the Monday-Friday nearest day n of the month, never
// in another month (1W on a Saturday is Monday the 3rd); 0 when the month
// has no day n.
func nearestWeekday(y int, m time.Month, n int) int {
	dim := daysIn(y, m)
	if n > dim {
		return 0
	}
	switch weekday(y, m, n) {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == dim {
			return n - 2
		}
		return n + 1
	}
	return n
}

func lastWeekday(y int, m time.Month) int {
	d := daysIn(y, m)
	switch weekday(y, m, d) {
	case time.Saturday:
		return d - 1
	case time.Sunday:
		return d - 2
	}
	return d
}

// dayMatches reports whether the cron fires on that day (its month and
// year already match).
func (c *cronExpr) dayMatches(y int, m time.Month, d int) bool {
	if c.dowAny { // the day of month decides
		if c.dom&(1<<d) != 0 || (c.domLast && d == daysIn(y, m)) || (c.domLastWeek && d == lastWeekday(y, m)) {
			return true
		}
		for _, n := range c.domNearest {
			if nearestWeekday(y, m, n) == d {
				return true
			}
		}
		return false
	}
	wd := int(weekday(y, m, d)) + 1 // 1 = SUN
	if c.dow&(1<<wd) != 0 {
		return true
	}
	for _, n := range c.dowLast {
		if n == wd && d+7 > daysIn(y, m) {
			return true
		}
	}
	return c.nth != 0 && c.nthDay == wd && (d-1)/7+1 == c.nth
}

func (c *cronExpr) year(y int) bool {
	if y < minYear || y > maxYear {
		return false
	}
	i := y - minYear
	return c.years[i/64]&(1<<(i%64)) != 0
}

// next is the first wall-clock minute at or after from (seconds ignored)
// that the cron names and that exists in loc, and its instant, which must
// be after `after`. ok is false when none is left before the year 2200.
func (c *cronExpr) next(from civil, after time.Time, loc *time.Location) (time.Time, bool) {
	cur := civil{y: from.y, mo: from.mo, d: from.d, h: from.h, mi: from.mi}
	norm := func(x civil) civil { return civilOf(x.utc()) }
	for cur.y <= maxYear {
		switch {
		case !c.year(cur.y):
			cur = civil{y: cur.y + 1, mo: time.January, d: 1}
		case c.months&(1<<int(cur.mo)) == 0:
			cur = norm(civil{y: cur.y, mo: cur.mo + 1, d: 1})
		case !c.dayMatches(cur.y, cur.mo, cur.d):
			cur = norm(civil{y: cur.y, mo: cur.mo, d: cur.d + 1})
		case c.hours&(1<<cur.h) == 0:
			cur = norm(civil{y: cur.y, mo: cur.mo, d: cur.d, h: cur.h + 1})
		case c.minutes&(1<<cur.mi) == 0:
			cur = norm(civil{y: cur.y, mo: cur.mo, d: cur.d, h: cur.h, mi: cur.mi + 1})
		default:
			if t, ok := cur.resolve(loc); ok && t.After(after) {
				return t, true
			}
			cur = norm(civil{y: cur.y, mo: cur.mo, d: cur.d, h: cur.h, mi: cur.mi + 1})
		}
	}
	return time.Time{}, false
}
