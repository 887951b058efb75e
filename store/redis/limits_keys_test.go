package redis

import (
	"testing"
)

// TestLimitKeyNames: every part of a limit key's state is under one hash
// tag, the whole key, whatever characters it has; different keys get
// different tags.
func TestLimitKeyNames(t *testing.T) {
	t.Parallel()
	k := keys{prefix: "sfn"}
	tests := []struct {
		key, held, tag string
	}{
		{"http:api.example.com", "sfn:{lim:http:api.example.com}:held", "lim:http:api.example.com"},
		{"http:*.example.com", "sfn:{lim:http:*.example.com}:held", "lim:http:*.example.com"},
		{"a b", "sfn:{lim:a b}:held", "lim:a b"},
		{"{x}", "sfn:{lim:%7Bx%7D}:held", "lim:%7Bx%7D"},
		{"%7Bx%7D", "sfn:{lim:%257Bx%257D}:held", "lim:%257Bx%257D"},
		{"}", "sfn:{lim:%7D}:held", "lim:%7D"},
		{"", "sfn:{lim:}:held", "lim:"},
	}
	tags := map[string]string{}
	for _, tc := range tests {
		if got := k.limit(tc.key, "held"); got != tc.held {
			t.Errorf("limit(%q, held) = %q, want %q", tc.key, got, tc.held)
		}
		for _, part := range []string{"held", "wait", "seen", "wnode", "tat"} {
			if got := hashTag(k.limit(tc.key, part)); got != tc.tag {
				t.Errorf("hash tag of limit(%q, %s) = %q, want %q", tc.key, part, got, tc.tag)
			}
		}
		if other, ok := tags[tc.tag]; ok {
			t.Errorf("keys %q and %q share the tag %q", other, tc.key, tc.tag)
		}
		tags[tc.tag] = tc.key
	}
	if got := hashTag(k.limitKeys()); got != "limkeys" {
		t.Errorf("hash tag of limitKeys() = %q, want limkeys", got)
	}
}
