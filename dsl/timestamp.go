package dsl

import "time"

// ParseTimestamp parses an ISO-8601 extended offset date-time (placeholder; being written).
func ParseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
