package jsonata

import (
	"math"
	"regexp"
	"strings"
)

// Date/time pictures (XPath F&O 3.1 §9.8) as jsonata-js 2.0.6 formats and
// parses them, and the calendar arithmetic of JavaScript's Date in UTC.

const msPerDay = 86400000.0

// dtPart is a literal or a variable marker of a date/time picture.
type dtPart struct {
	literal  string
	isMarker bool
	comp     string // the component specifier: one character, "" for []
	maxWidth int    // the width modifier's maximum, 0 when there is none
	pres1    string
	pres2    string
	hasNames bool
	names    letterCase
	intFmt   *intPicture
	n        int // digits of a Y, M or D component; -1: as many as needed
}

var defaultPresentation = map[string]string{
	"Y": "1", "M": "1", "D": "1", "d": "1", "F": "n", "W": "1", "w": "1", "X": "1", "x": "1", "H": "1", "h": "1",
	"P": "n", "m": "01", "s": "01", "f": "1", "Z": "01:01", "z": "01:01", "C": "n", "E": "n",
}

// isoPicture is the picture of $fromMillis without one; its analysis is
// made once and only read.
const isoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

var isoParts = mustAnalyse(isoPicture)

func mustAnalyse(picture string) []dtPart {
	parts, err := analyseDateTimePicture(picture)
	if err != nil {
		panic(err) // a constant picture: a programming error
	}
	return parts
}

// analyseDateTimePicture splits a picture into literals and markers.
func analyseDateTimePicture(picture string) ([]dtPart, error) {
	var parts []dtPart
	addLiteral := func(start, end int) {
		if end > start {
			parts = append(parts, dtPart{literal: strings.ReplaceAll(picture[start:end], "]]", "]")})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] != '[' {
			pos++
			continue
		}
		if pos+1 < len(picture) && picture[pos+1] == '[' {
			addLiteral(start, pos)
			parts = append(parts, dtPart{literal: "["})
			pos += 2
			start = pos
			continue
		}
		addLiteral(start, pos)
		end := strings.IndexByte(picture[pos:], ']')
		if end < 0 {
			return nil, newError("D3135", 0, "", nil)
		}
		end += pos
		part, err := analyseMarker(picture[pos+1 : end])
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		pos = end + 1
		start = pos
	}
	addLiteral(start, pos)
	return parts, nil
}

// analyseMarker reads the inside of a variable marker: a component, then
// presentation modifiers, then after the last comma a width modifier.
func analyseMarker(marker string) (dtPart, error) {
	marker = strings.Join(strings.FieldsFunc(marker, isJSSpace), "")
	p := dtPart{isMarker: true, n: -1}
	rest := ""
	if marker != "" {
		r := []rune(marker)
		p.comp = string(r[0])
		rest = string(r[1:])
	}
	presMod := rest
	minWidth := math.NaN()
	if comma := strings.LastIndexByte(marker, ','); comma >= 0 {
		widthMod := marker[comma+1:]
		minText, maxText, hasMax := strings.Cut(widthMod, "-")
		minWidth = widthValue(minText)
		if hasMax {
			if v := widthValue(maxText); v > 0 {
				p.maxWidth = int(math.Min(v, 1<<20))
			}
		}
		from, to := len(p.comp), comma
		if from > to { // JavaScript's substring swaps them: "[,1]"
			from, to = to, from
		}
		presMod = marker[from:to]
	}
	switch r := []rune(presMod); {
	case len(r) == 1:
		p.pres1 = presMod
	case len(r) > 1:
		last := r[len(r)-1]
		if strings.ContainsRune("atco", last) {
			p.pres2 = string(last)
			p.pres1 = string(r[:len(r)-1])
		} else {
			p.pres1 = presMod
		}
	default:
		def, ok := defaultPresentation[p.comp]
		if !ok {
			return p, newError("D3132", 0, "", p.comp)
		}
		p.pres1 = def
	}
	switch {
	case strings.HasPrefix(p.pres1, "n"):
		p.hasNames, p.names = true, caseLower
	case strings.HasPrefix(p.pres1, "N"):
		p.hasNames, p.names = true, caseUpper
		if strings.HasPrefix(p.pres1[1:], "n") {
			p.names = caseTitle
		}
	case p.comp != "" && strings.Contains("YMDdFWwXxHhmsf", p.comp):
		pattern := p.pres1
		if p.pres2 != "" {
			pattern += ";" + p.pres2
		}
		f, err := analyseIntPicture(pattern)
		if err != nil {
			return p, err
		}
		if minWidth > float64(f.mandatory) {
			f.mandatory = int(math.Min(minWidth, 1<<20))
		}
		if strings.Contains("YMD", p.comp) {
			if p.maxWidth > 0 {
				p.n = p.maxWidth
				f.mandatory = p.n
			} else if w := f.mandatory + f.optional; w >= 2 {
				p.n = w
			}
		}
		p.intFmt = f
	}
	if p.comp == "Z" || p.comp == "z" {
		f, err := analyseIntPicture(p.pres1)
		if err != nil {
			return p, err
		}
		p.intFmt = f
	}
	return p, nil
}

// widthValue reads a width: "*" or nothing is no width (NaN).
func widthValue(s string) float64 {
	if s == "*" {
		return math.NaN()
	}
	return jsParseInt(s)
}

// dtFields are the UTC calendar fields of a time value.
type dtFields struct {
	valid                                  bool
	t                                      float64
	year, month, day, hour, min, sec, msec float64 // month 0-11
	weekday                                float64 // 0 Sunday … 6 Saturday
}

// timeClip is JavaScript's TimeClip: the time value of a Date, or NaN.
func timeClip(t float64) float64 {
	if math.IsNaN(t) || math.IsInf(t, 0) || math.Abs(t) > 8.64e15 {
		return math.NaN()
	}
	return math.Trunc(t) + 0 // no -0
}

func fieldsOf(t float64) dtFields {
	t = timeClip(t)
	if math.IsNaN(t) {
		n := math.NaN()
		return dtFields{t: n, year: n, month: n, day: n, hour: n, min: n, sec: n, msec: n, weekday: n}
	}
	days := math.Floor(t / msPerDay)
	inDay := int64(t - days*msPerDay)
	y, m, d := civilFromDays(int64(days))
	return dtFields{
		valid: true, t: t,
		year: float64(y), month: float64(m - 1), day: float64(d),
		hour: float64(inDay / 3600000), min: float64(inDay / 60000 % 60), sec: float64(inDay / 1000 % 60), msec: float64(inDay % 1000),
		weekday: float64(((int64(days)+4)%7 + 7) % 7),
	}
}

// civilFromDays is the proleptic Gregorian date of a day count from
// 1970-01-01 (H. Hinnant's algorithm).
func civilFromDays(z int64) (year int64, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, int(m), int(d)
}

// daysFromCivil is the day count from 1970-01-01 of a Gregorian date.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := int64((153*mp+2)/5 + d - 1)
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// makeDay is JavaScript's MakeDay: days since the epoch of a year, a month
// (any integer, 0 is January) and a date (any integer).
func makeDay(year, month, date float64) float64 {
	if math.IsNaN(year) || math.IsNaN(month) || math.IsNaN(date) ||
		math.IsInf(year, 0) || math.IsInf(month, 0) || math.IsInf(date, 0) {
		return math.NaN()
	}
	y, m, dt := math.Trunc(year), math.Trunc(month), math.Trunc(date)
	ym := y + math.Floor(m/12)
	if math.Abs(ym) > 1e6 { // far outside any valid time value
		return math.NaN()
	}
	mn := math.Mod(m, 12)
	if mn < 0 {
		mn += 12
	}
	return float64(daysFromCivil(int64(ym), int(mn)+1, 1)) + dt - 1
}

// dateUTC is JavaScript's Date.UTC (a year 0 to 99 is 1900 to 1999).
func dateUTC(year, month, day, hour, min, sec, ms float64) float64 {
	if !math.IsNaN(year) {
		if y := math.Trunc(year); y >= 0 && y <= 99 {
			year = 1900 + y
		}
	}
	days := makeDay(year, month, day)
	clock := math.Trunc(hour)*3600000 + math.Trunc(min)*60000 + math.Trunc(sec)*1000 + math.Trunc(ms)
	return timeClip(days*msPerDay + clock)
}

// startOfFirstWeek is the time of the Monday starting week 1 of a month
// (or, with month 0, of a year): the week holding its first Thursday.
func startOfFirstWeek(year, month float64) float64 {
	first := dateUTC(year, month, 1, 0, 0, 0, 0)
	dow := fieldsOf(first).weekday
	if dow == 0 {
		dow = 7
	}
	if dow > 4 {
		return first + (8-dow)*msPerDay
	}
	return first - (dow-1)*msPerDay
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(msPerDay*7) + 1 }

// fragment is a numeric component of a date (NaN for an invalid date).
func fragment(d dtFields, comp string) float64 {
	switch comp {
	case "Y":
		return d.year
	case "M":
		return d.month + 1
	case "D":
		return d.day
	case "d":
		today := dateUTC(d.year, d.month, d.day, 0, 0, 0, 0)
		return (today-dateUTC(d.year, 0, 1, 0, 0, 0, 0))/msPerDay + 1
	case "F":
		if d.weekday == 0 {
			return 7
		}
		return d.weekday
	case "W":
		start := startOfFirstWeek(d.year, 0)
		today := dateUTC(d.year, d.month, d.day, 0, 0, 0, 0)
		week := deltaWeeks(start, today)
		if week > 52 {
			if today >= startOfFirstWeek(d.year+1, 0) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(d.year-1, 0), today)
		}
		return math.Floor(week)
	case "w":
		start := startOfFirstWeek(d.year, d.month)
		today := dateUTC(d.year, d.month, d.day, 0, 0, 0, 0)
		week := deltaWeeks(start, today)
		if week > 4 {
			ny, nm := d.year, d.month+1
			if d.month == 11 {
				ny, nm = d.year+1, 0
			}
			if today >= startOfFirstWeek(ny, nm) {
				week = 1
			}
		} else if week < 1 {
			py, pm := d.year, d.month-1
			if d.month == 0 {
				py, pm = d.year-1, 11
			}
			week = deltaWeeks(startOfFirstWeek(py, pm), today)
		}
		return math.Floor(week)
	case "X":
		switch {
		case d.t < startOfFirstWeek(d.year, 0):
			return d.year - 1
		case d.t >= startOfFirstWeek(d.year+1, 0):
			return d.year + 1
		}
		return d.year
	case "x":
		ny, nm := d.year, d.month+1
		if d.month == 11 {
			ny, nm = d.year+1, 0
		}
		switch {
		case d.t < startOfFirstWeek(d.year, d.month):
			if d.month == 0 {
				return 12
			}
			return d.month
		case d.t >= startOfFirstWeek(ny, nm):
			return nm + 1
		}
		return d.month + 1
	case "H":
		return d.hour
	case "h":
		h := math.Mod(d.hour, 12)
		if h == 0 {
			return 12
		}
		return h
	case "m":
		return d.min
	case "s":
		return d.sec
	case "f":
		return d.msec
	}
	return math.NaN()
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [...]string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// jsRem is JavaScript's % (the sign of the dividend).
func jsRem(a, b float64) float64 { return math.Mod(a, b) }

// formatDateTime formats millis with a picture (nil: ISO 8601) in a
// timezone given as ±HHMM ("" for UTC).
func formatDateTime(millis float64, parts []dtPart, timezone string, hasTZ bool) (string, error) {
	offHours, offMinutes := 0.0, 0.0
	if hasTZ {
		offset := jsParseInt(timezone)
		offHours = math.Floor(offset / 100)
		offMinutes = jsRem(offset, 100)
	}
	d := fieldsOf(millis + (60*offHours+offMinutes)*60000)
	var b strings.Builder
	for i := range parts {
		p := &parts[i]
		if !p.isMarker {
			b.WriteString(p.literal)
			continue
		}
		s, err := formatComponent(d, p, offHours, offMinutes)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func formatComponent(d dtFields, p *dtPart, offHours, offMinutes float64) (string, error) {
	switch c := p.comp; {
	case c != "" && strings.Contains("YMDdFWwXxHhms", c):
		v := fragment(d, c)
		if c == "Y" && p.n != -1 && !p.hasNames {
			v = jsRem(v, math.Pow(10, float64(p.n)))
		}
		if !p.hasNames {
			return formatInt(v, p.intFmt)
		}
		var name string
		switch {
		case c == "M" || c == "x":
			if !d.valid {
				return "undefined", nil
			}
			name = monthNames[int(v)-1]
		case c == "F":
			if !d.valid {
				return "undefined", nil
			}
			name = dayNames[int(v)]
		default:
			return "", newError("D3133", 0, "", c)
		}
		switch p.names {
		case caseUpper:
			name = strings.ToUpper(name)
		case caseLower:
			name = strings.ToLower(name)
		}
		if p.maxWidth > 0 && len(name) > p.maxWidth {
			name = name[:p.maxWidth]
		}
		return name, nil
	case c == "f":
		if p.intFmt == nil {
			return "", newError("D3133", 0, "", c)
		}
		return formatInt(fragment(d, c), p.intFmt)
	case c == "Z" || c == "z":
		return formatZone(p, offHours, offMinutes)
	case c == "P":
		ampm := "am"
		if d.hour >= 12 {
			ampm = "pm"
		}
		if p.hasNames && p.names == caseUpper {
			ampm = strings.ToUpper(ampm)
		}
		return ampm, nil
	case c == "C" || c == "E":
		return "ISO", nil
	}
	return "undefined", nil // jsonata-js writes an unknown component so
}

// formatZone writes the timezone offset of a Z or z marker (F&O 9.8.4.6).
func formatZone(p *dtPart, offHours, offMinutes float64) (string, error) {
	offset := offHours*100 + offMinutes
	var s string
	var err error
	if p.intFmt.regular {
		s, err = formatInt(offset, p.intFmt)
	} else {
		switch digits := p.intFmt.mandatory; {
		case p.intFmt.kind == intDecimal && (digits == 1 || digits == 2):
			s, err = formatInt(offHours, p.intFmt)
			if err == nil && offMinutes != 0 {
				m, _ := formatInt(math.Floor(offMinutes), &intPicture{kind: intDecimal, zero: '0', mandatory: 2})
				s += ":" + m
			}
		case p.intFmt.kind == intDecimal && (digits == 3 || digits == 4):
			s, err = formatInt(offset, p.intFmt)
		default:
			return "", newError("D3134", 0, "", digits)
		}
	}
	if err != nil {
		return "", err
	}
	if offset >= 0 {
		s = "+" + s
	}
	if p.comp == "z" {
		s = "GMT" + s
	}
	if offset == 0 && p.pres2 == "t" {
		s = "Z"
	}
	return s, nil
}

// dtMatcher reads one part of a timestamp being parsed.
type dtMatcher struct {
	re    string
	comp  string
	parse func(string) (float64, bool) // false: no value (an unknown name)
}

// wordsPattern matches number words as jsonata-js's does (the same
// alternatives in the same order, which decides what is matched).
var wordsPattern = "(?:" + strings.Join(wordKeys, "|") + "|and|[\\-, ])+"

// intMatcher is the pattern and reader of an integer component.
func intMatcher(f *intPicture, n int) (dtMatcher, error) {
	m := dtMatcher{}
	upper := f.cas == caseUpper
	switch f.kind {
	case intLetters:
		m.re = "[a-z]+"
		if upper {
			m.re = "[A-Z]+"
		}
	case intRoman:
		m.re = "[mdclxvi]+"
		if upper {
			m.re = "[MDCLXVI]+"
		}
	case intWords:
		m.re = wordsPattern
	case intDecimal:
		occurrences := "+"
		if n > 0 {
			if f.optional == 0 {
				occurrences = "{" + itoa(n) + "}"
			} else {
				occurrences = "{" + itoa(max(n-f.optional, 0)) + "," + itoa(n) + "}"
			}
		}
		m.re = "[0-9]" + occurrences
		if f.ordinal {
			m.re += "(?:th|st|nd|rd)"
		}
	default:
		return m, newError("D3130", 0, "", f.token)
	}
	m.parse = func(s string) (float64, bool) {
		v, _ := parseInt(s, f)
		return v, true
	}
	return m, nil
}

func itoa(n int) string { return jsNumberString(float64(n)) }

// partMatcher is the pattern and reader of one part of a picture.
func partMatcher(p *dtPart) (dtMatcher, error) {
	if !p.isMarker {
		return dtMatcher{re: regexp.QuoteMeta(p.literal)}, nil
	}
	switch {
	case p.comp == "Z" || p.comp == "z":
		return zoneMatcher(p), nil
	case p.intFmt != nil:
		m, err := intMatcher(p.intFmt, p.n)
		m.comp = p.comp
		return m, err
	}
	// a name: of a month, a day or am/pm
	lookup := map[string]float64{}
	switch p.comp {
	case "M", "x":
		for i, name := range monthNames {
			if p.maxWidth > 0 && len(name) > p.maxWidth {
				name = name[:p.maxWidth]
			}
			lookup[name] = float64(i + 1)
		}
	case "F":
		for i, name := range dayNames[1:] {
			if p.maxWidth > 0 && len(name) > p.maxWidth {
				name = name[:p.maxWidth]
			}
			lookup[name] = float64(i + 1)
		}
	case "P":
		lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
	default:
		return dtMatcher{}, newError("D3133", 0, "", p.comp)
	}
	return dtMatcher{re: "[a-zA-Z]+", comp: p.comp, parse: func(s string) (float64, bool) {
		v, ok := lookup[s]
		return v, ok
	}}, nil
}

// zoneMatcher reads a timezone offset as minutes east of UTC.
func zoneMatcher(p *dtPart) dtMatcher {
	sep := ""
	if p.intFmt.regular {
		sep = p.intFmt.sep.ch
	}
	re := "[-+][0-9]+"
	if sep != "" {
		re += regexp.QuoteMeta(sep) + "[0-9]+"
	}
	if p.comp == "z" {
		re = "GMT" + re
	}
	gmt := p.comp == "z"
	return dtMatcher{re: re, comp: p.comp, parse: func(s string) (float64, bool) {
		if gmt && len(s) >= 3 {
			s = s[3:]
		}
		var hours, minutes float64
		if sep != "" {
			i := strings.Index(s, sep)
			if i < 0 { // a letter separator matched in the other case
				i = strings.Index(strings.ToLower(s), strings.ToLower(sep))
			}
			if i < 0 {
				return math.NaN(), true
			}
			hours = jsParseInt(s[:i])
			minutes = jsParseInt(s[i+len(sep):])
		} else if len(s)-1 <= 2 {
			hours = jsParseInt(s)
		} else {
			hours = jsParseInt(s[:3])
			minutes = jsParseInt(s[3:])
		}
		return hours*60 + minutes, true
	}}
}

// dtComponents holds the parsed components by letter.
type dtComponents struct {
	v   [128]float64
	set [128]bool
}

func (c *dtComponents) get(comp byte) (float64, bool) { return c.v[comp], c.set[comp] }
func (c *dtComponents) put(comp byte, v float64)      { c.v[comp], c.set[comp] = v, true }

// truthy is a component's JavaScript truth (0, NaN and no value are false).
func (c *dtComponents) truthy(comp byte) bool {
	return c.set[comp] && c.v[comp] != 0 && !math.IsNaN(c.v[comp])
}

// parseDateTime reads timestamp with a picture; now fills the components
// more significant than those given. ok is false when the timestamp does
// not match the picture or the picture has no marker.
func parseDateTime(timestamp, picture string, now int64) (float64, bool, error) {
	parts, err := analyseDateTimePicture(picture)
	if err != nil {
		return 0, false, err
	}
	matchers := make([]dtMatcher, len(parts))
	var re strings.Builder
	re.WriteString("(?i)^")
	for i := range parts {
		m, err := partMatcher(&parts[i])
		if err != nil {
			return 0, false, err
		}
		matchers[i] = m
		re.WriteByte('(')
		re.WriteString(m.re)
		re.WriteByte(')')
	}
	re.WriteByte('$')
	matcher, err := regexp.Compile(re.String())
	if err != nil {
		return 0, false, errorf("D3136", "The date/time picture string %q cannot be used to parse a timestamp: %v", picture, err)
	}
	info := matcher.FindStringSubmatch(timestamp)
	if info == nil {
		return 0, false, nil
	}
	var comps dtComponents
	assigned := 0
	for i, m := range matchers {
		if m.parse == nil {
			continue
		}
		assigned++
		if len(m.comp) != 1 || m.comp[0] >= 128 {
			continue
		}
		c := m.comp[0]
		if v, ok := m.parse(info[i+1]); ok {
			comps.put(c, v)
		} else {
			comps.set[c] = false
		}
	}
	if assigned == 0 {
		return 0, false, nil
	}
	// which combination of date and time components was given: a mask of
	// the truthy components, which must hit at least one of a combination's
	// components and none outside it
	mask := 0
	shift := func(letters string) {
		mask = 0
		for i := 0; i < len(letters); i++ {
			mask <<= 1
			if comps.truthy(letters[i]) {
				mask++
			}
		}
	}
	isType := func(t int) bool { return ^t&mask == 0 && t&mask != 0 }
	shift("YXMxWwdD")
	dateA := isType(161)           // Y M D
	dateB := !dateA && isType(130) // Y d
	dateC := isType(84)            // X x w F
	dateD := !dateC && isType(72)  // X W F
	shift("PHhmsf")
	timeA := isType(23)           // H m s f
	timeB := !timeA && isType(47) // P h m s f

	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD" // as jsonata-js: the day of the year comes from d below
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	nowFields := fieldsOf(float64(now))
	startSpecified, endSpecified := false, false
	for _, part := range dateComps + timeComps {
		c := byte(part)
		if _, ok := comps.get(c); ok {
			startSpecified = true
			if endSpecified {
				return 0, false, newError("D3136", 0, "", nil)
			}
			continue
		}
		switch {
		case startSpecified:
			if c == 'M' || c == 'D' || c == 'd' {
				comps.put(c, 1)
			} else {
				comps.put(c, 0)
			}
			endSpecified = true
		case c == 'P':
			comps.put(c, 0) // now's "am"/"pm" is never the 1 that means pm
		default:
			comps.put(c, fragment(nowFields, string(c)))
		}
	}
	if m, _ := comps.get('M'); m > 0 {
		comps.put('M', m-1)
	} else {
		comps.put('M', 0)
	}
	Y, _ := comps.get('Y')
	if dateB {
		d, _ := comps.get('d')
		derived := fieldsOf(dateUTC(Y, 0, 1, 0, 0, 0, 0) + (d-1)*msPerDay)
		comps.put('M', derived.month)
		comps.put('D', derived.day)
	}
	if dateC || dateD {
		// jsonata-js cannot parse week dates either
		return 0, false, newError("D3136", 0, "", nil)
	}
	if timeB {
		h, _ := comps.get('h')
		H := h
		if h == 12 {
			H = 0
		}
		if p, ok := comps.get('P'); ok && p == 1 {
			H += 12
		}
		comps.put('H', H)
	}
	M, _ := comps.get('M')
	D, _ := comps.get('D')
	H, _ := comps.get('H')
	mi, _ := comps.get('m')
	s, _ := comps.get('s')
	f, _ := comps.get('f')
	millis := dateUTC(Y, M, D, H, mi, s, f)
	if comps.truthy('Z') {
		z, _ := comps.get('Z')
		millis -= z * 60 * 1000
	} else if comps.truthy('z') {
		z, _ := comps.get('z')
		millis -= z * 60 * 1000
	}
	return millis, true, nil
}

// isoTimestamp is the shape $toMillis accepts without a picture.
var isoTimestamp = regexp.MustCompile(`^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

// parseISO reads a timestamp that matches isoTimestamp as JavaScript's
// Date.parse does (NaN when it names no time: a month 13, a second
// time part …). A date-time without an offset is taken as UTC, the local
// time of the servers sfn runs on. A fraction without a time fills the
// next date field, as V8's fallback parser reads "2018.5" as May 2018.
func parseISO(s string) float64 {
	num := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			n = n*10 + int(t[i]-'0')
		}
		return n
	}
	year := num(s[:4])
	i := 4
	var fields []int
	for i+3 <= len(s) && s[i] == '-' && isDigit(s[i+1]) {
		fields = append(fields, num(s[i+1:i+3]))
		i += 3
	}
	times := 0
	hour, minute, second, ms := 0, 0, 0, 0
	for i < len(s) && s[i] == 'T' {
		times++
		hour, minute, second = num(s[i+1:i+3]), num(s[i+4:i+6]), num(s[i+7:i+9])
		i += 9
	}
	fraction := ""
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		fraction = s[i+1 : j]
		i = j
	}
	zone := s[i:]
	if len(fields) > 2 || times > 1 {
		return math.NaN()
	}
	if fraction != "" {
		if times == 0 {
			if len(fields) == 2 {
				return math.NaN()
			}
			fields = append(fields, num(fraction))
		} else {
			ms = num((fraction + "00")[:3])
		}
	}
	month, day := 1, 1
	if len(fields) > 0 {
		month = fields[0]
	}
	if len(fields) > 1 {
		day = fields[1]
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 ||
		(hour == 24 && (minute != 0 || second != 0 || ms != 0)) {
		return math.NaN()
	}
	offset := 0
	if zone != "" && zone != "Z" {
		if times == 0 {
			return math.NaN()
		}
		zh := num(zone[1:3])
		zm := num(zone[len(zone)-2:])
		if zh > 23 {
			return math.NaN()
		}
		offset = zh*60 + zm
		if zone[0] == '-' {
			offset = -offset
		}
	}
	days := makeDay(float64(year), float64(month-1), float64(day))
	t := days*msPerDay + float64(hour*3600000+minute*60000+second*1000+ms) - float64(offset)*60000
	return timeClip(t)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
