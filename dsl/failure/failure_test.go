package failure_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/failure"
)

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii", "abcdefg", 5, "abcde"},
		// Five characters of two bytes each: ten bytes, nothing to cut.
		{"characters not bytes", "ééééé", 5, "ééééé"},
		{"multibyte", "ééééééé", 5, "ééééé"},
		{"mixed", "a€b€c€d", 4, "a€b€"},
		{"empty", "", 3, ""},
		{"zero", "abc", 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := failure.Truncate(c.in, c.max)
			if got != c.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Truncate(%q, %d) split a character: %q", c.in, c.max, got)
			}
			if failure.TooLong(got, c.max) {
				t.Errorf("TooLong(%q, %d) after Truncate", got, c.max)
			}
		})
	}
}

func TestTooLong(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		max  int
		want bool
	}{
		{"abc", 3, false},
		{"abcd", 3, true},
		{"ééé", 3, false}, // six bytes, three characters
		{"éééé", 3, true},
	} {
		if got := failure.TooLong(c.in, c.max); got != c.want {
			t.Errorf("TooLong(%q, %d) = %v, want %v", c.in, c.max, got, c.want)
		}
	}
}

// TestCauseCapped: failures built inside carry at most MaxCause characters
// of cause and MaxName of name, whatever their source produced.
func TestCauseCapped(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("ü", 300000) // 300,000 characters, 600,000 bytes
	longName := strings.Repeat("N", 1000)
	for _, c := range []struct {
		name string
		err  *failure.Error
	}{
		{"New", failure.New(longName, huge)},
		{"Newf", failure.Newf(longName, "body: %s", huge)},
		{"Capped", (&failure.Error{Name: longName, Cause: huge, Heartbeat: true}).Capped()},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if n := utf8.RuneCountInString(c.err.Cause); n != failure.MaxCause {
				t.Errorf("cause of %d characters, want %d", n, failure.MaxCause)
			}
			if n := utf8.RuneCountInString(c.err.Name); n != failure.MaxName {
				t.Errorf("name of %d characters, want %d", n, failure.MaxName)
			}
			if !utf8.ValidString(c.err.Cause) {
				t.Error("the cut split a character")
			}
		})
	}
	in := &failure.Error{Name: longName, Cause: huge, Heartbeat: true}
	if got := in.Capped(); !got.Heartbeat || in.Cause != huge {
		t.Errorf("Capped changed its receiver or lost Heartbeat: %v, receiver cause %d bytes", got.Heartbeat, len(in.Cause))
	}
	small := failure.New("E", "fits")
	if small.Capped() != small {
		t.Error("Capped copied an error that fits")
	}
	var none *failure.Error
	if none.Capped() != nil {
		t.Error("Capped of nil is not nil")
	}
}
