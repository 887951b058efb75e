package metrics

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// overflow is the label value that stands for every value past a limiter's cap.
const overflow = "other"

// maxLabelLen bounds one label value; longer values are cut.
const maxLabelLen = 128

// limiter bounds the distinct values of one label: a workflow that invents
// error names (or a buggy worker) must not make the series grow without end.
type limiter struct {
	max  int
	mu   sync.Mutex
	seen map[string]struct{}
}

func newLimiter(max int) *limiter { return &limiter{max: max, seen: map[string]struct{}{}} }

// value returns v made safe as a label value, or "other" once max distinct
// values have been seen.
func (l *limiter) value(v string) string {
	v = clean(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[v]; ok {
		return v
	}
	if len(l.seen) >= l.max {
		return overflow
	}
	l.seen[v] = struct{}{}
	return v
}

// clean makes v valid UTF-8 of at most maxLabelLen bytes: client_golang
// panics on invalid label values, and names come from outside.
func clean(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if len(v) > maxLabelLen {
		cut := maxLabelLen
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	if v == "" {
		return "none"
	}
	return v
}
