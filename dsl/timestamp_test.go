package dsl

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	accept := []struct {
		in   string
		want time.Time
	}{
		{"2016-03-05T21:29:29Z", utc(2016, 3, 5, 21, 29, 29, 0)},
		{"2016-03-14T01:59:00Z", utc(2016, 3, 14, 1, 59, 0, 0)},
		{"2016-03-05T21:29:29.243167252Z", utc(2016, 3, 5, 21, 29, 29, 243167252)},
		{"2016-03-05T21:29:29.1Z", utc(2016, 3, 5, 21, 29, 29, 100000000)},
		{"2016-03-05T21:29:29.123Z", utc(2016, 3, 5, 21, 29, 29, 123000000)},
		{"2016-03-05T21:29:29+01:00", utc(2016, 3, 5, 20, 29, 29, 0)},
		{"2016-03-05T21:29:29-05:30", utc(2016, 3, 6, 2, 59, 29, 0)},
		{"2016-03-05T21:29:29.5+00:00", utc(2016, 3, 5, 21, 29, 29, 500000000)},
		{"2016-03-05T21:29:29-00:00", utc(2016, 3, 5, 21, 29, 29, 0)},
		{"2016-03-05T21:29:29+18:00", utc(2016, 3, 5, 3, 29, 29, 0)},
		{"2016-02-29T00:00:00Z", utc(2016, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29T23:59:59Z", utc(2000, 2, 29, 23, 59, 59, 0)},
		{"0001-01-01T00:00:00Z", utc(1, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59.999999999Z", utc(9999, 12, 31, 23, 59, 59, 999999999)},
	}
	for _, tt := range accept {
		got, ok := ParseTimestamp(tt.in)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	reject := []string{
		"",
		"2016-12-05T21:29:29",             // no zone (validation: reject-wait-timestamp-without-zone)
		"2016-12-05 21:29:29Z",            // no T (wait-timestamppath-invalid-no-t)
		"2016-12-05t21:29:29Z",            // the spec requires an upper-case T …
		"2016-12-05T21:29:29z",            // … and an upper-case Z
		"2016-12-05T21:29Z",               // seconds are required
		"2016-12-05",                      // date only
		"21:29:29Z",                       // time only
		"2016-12-05T21:29:29.Z",           // empty fraction
		"2016-12-05T21:29:29.1234567891Z", // more than nanoseconds
		"2016-12-05T21:29:29,5Z",          // comma fraction
		"2016-12-05T21:29:29+0100",        // offset without colon
		"2016-12-05T21:29:29+01",          // offset without minutes
		"2016-12-05T21:29:29+01:00:00",
		"2016-12-05T21:29:29+19:00", // beyond ±18:00
		"2016-12-05T21:29:29+18:01",
		"2016-12-05T21:29:29+01:60",
		"2016-12-05T21:29:29ZZ",
		"2016-12-05T21:29:29Z ",
		" 2016-12-05T21:29:29Z",
		"2016-13-05T21:29:29Z",
		"2016-00-05T21:29:29Z",
		"2016-12-00T21:29:29Z",
		"2016-12-32T21:29:29Z",
		"2015-02-29T21:29:29Z", // not a leap year
		"1900-02-29T21:29:29Z",
		"2016-04-31T21:29:29Z",
		"2016-12-05T24:00:00Z",
		"2016-12-05T23:60:00Z",
		"2016-12-05T23:59:60Z", // leap seconds are not accepted
		"16-12-05T21:29:29Z",
		"+2016-12-05T21:29:29Z",
		"2016-1a-05T21:29:29Z",
		"2016/12/05T21:29:29Z",
		"2016-12-05T21:29:29UTC",
		"2016-12-05T21:29:29 +01:00",
		"not a time",
		"2016-12-05T21:29:29.12a4Z",
	}
	for _, in := range reject {
		if got, ok := ParseTimestamp(in); ok {
			t.Errorf("ParseTimestamp(%q) = %v, want rejection", in, got)
		}
	}
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2016-03-05T21:29:29Z", "2016-03-05T21:29:29.243167252+01:00", "2016-12-05 21:29:29Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTimestamp(s)
		if !ok {
			return
		}
		// Whatever is accepted is a valid RFC 3339 time to Go as well, at the same instant.
		ref, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !ref.Equal(got) {
			t.Fatalf("ParseTimestamp(%q) = %v, time.Parse = %v, %v", s, got, ref, err)
		}
	})
}
