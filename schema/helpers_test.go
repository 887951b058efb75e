package schema

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// decode reads JSON text as Validate's callers pass it: plain Go values with
// numbers kept as json.Number.
func decode(t testing.TB, src string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	// Every document a test builds also checks that the fast checker and
	// the library agree on it (see fast.go).
	checkAgreement(t, "decoded document", doc)
	return doc
}

func decodeFile(t testing.TB, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(b))
}
