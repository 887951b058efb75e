package dsl

import (
	"math"
	"time"
)

// MaxSeconds is the largest number of seconds AWS accepts for a Wait's
// Seconds and a Task's TimeoutSeconds and HeartbeatSeconds: 99999999, a
// little over three years. sfn holds their path forms (SecondsPath,
// TimeoutSecondsPath, HeartbeatSecondsPath) and an execution's
// TimeoutSeconds to the same bound, which also keeps every duration the
// engine computes far inside time.Duration's ±292 years.
const MaxSeconds = 99999999

// MaxTime is the latest instant the engine can represent: timers and the
// stores keep due times as int64 Unix nanoseconds, which end on
// 2262-04-11T23:47:16.854775807Z. A Wait until a later time would wrap to the
// past and end at once, so it is refused instead.
var MaxTime = time.Unix(0, math.MaxInt64).UTC()

// AddSeconds returns t plus secs seconds. It refuses (false) a number of
// seconds outside 0..MaxSeconds and a result after MaxTime, checking before
// it multiplies, so that no input can wrap the duration.
func AddSeconds(t time.Time, secs int64) (time.Time, bool) {
	if secs < 0 || secs > MaxSeconds {
		return time.Time{}, false
	}
	until := t.Add(time.Duration(secs) * time.Second)
	if until.After(MaxTime) {
		return time.Time{}, false
	}
	return until, true
}

// ParseTimestamp parses a timestamp as the States Language defines it for
// Wait's Timestamp/TimestampPath and the Choice Timestamp* tests: an
// ISO-8601 extended offset date-time (the RFC 3339 profile),
//
//	YYYY-MM-DDThh:mm:ss[.f…]Z
//	YYYY-MM-DDThh:mm:ss[.f…]±hh:mm
//
// The spec requires an upper-case T between date and time and an upper-case
// Z when there is no numeric offset, so "t", "z", a space for T, a missing
// zone and a missing seconds field are all rejected. The fraction has 1 to 9
// digits (nanoseconds, the finest AWS keeps). Fields are range-checked,
// including the day against its month and leap years; offsets go up to
// ±18:00, the range AWS's Java runtime accepts.
//
// A hand-written scanner rather than time.Parse: time.Parse accepts forms
// AWS rejects (a lower-case z in some versions, hour 24 fractions, more than
// nine fractional digits) and Choice evaluates timestamps on hot paths.
func ParseTimestamp(s string) (time.Time, bool) {
	// Shortest form: 2006-01-02T15:04:05Z (20 bytes).
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i := 19
	nsec := 0
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-start < 9 {
				nsec = nsec*10 + int(s[i]-'0')
			}
			i++
		}
		n := i - start
		if n == 0 || n > 9 {
			return time.Time{}, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	if i >= len(s) {
		return time.Time{}, false
	}
	var loc *time.Location
	switch rest := s[i:]; rest[0] {
	case 'Z':
		if len(rest) != 1 {
			return time.Time{}, false
		}
		loc = time.UTC
	case '+', '-':
		if len(rest) != 6 || rest[3] != ':' {
			return time.Time{}, false
		}
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || om > 59 || oh > 18 || oh == 18 && om > 0 {
			return time.Time{}, false
		}
		off := oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
		if off == 0 {
			loc = time.UTC
		} else {
			loc = time.FixedZone("", off)
		}
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

// digits parses a fixed-width run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
