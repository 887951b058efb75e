package main

import (
	"encoding/json"
	"testing"
)

func TestWithField(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{}`, `{"handledBy":"w1"}`},
		{` { } `, `{"handledBy":"w1"}`},
		{`{"b":1,"a":[2]}`, `{"b":1,"a":[2],"handledBy":"w1"}`},
		{`[1,2]`, `{"handledBy":"w1","input":[1,2]}`},
		{`"s"`, `{"handledBy":"w1","input":"s"}`},
		{`null`, `{"handledBy":"w1","input":null}`},
	}
	for _, tc := range tests {
		got, err := withField(json.RawMessage(tc.in), "handledBy", "w1")
		if err != nil || string(got) != tc.want || !json.Valid(got) {
			t.Errorf("withField(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
