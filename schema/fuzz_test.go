package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzValidate checks that no JSON document makes Validate panic and that
// every violation has a pointer into the document and a message, and that the
// fast checker agrees with the library on whether the document conforms.
func FuzzValidate(f *testing.F) {
	for _, file := range []string{"testdata/valid/every-field.json", "testdata/invalid/order-with-typos.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"StartAt": "A", "States": {"A": {"Type": "Pas", "Nxt": 1}}}`))
	f.Add([]byte(`[null, true, 1.5, "x"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return
		}
		checkAgreement(t, "fuzzed document", doc)
		for _, v := range Validate(doc) {
			if v.Message == "" {
				t.Errorf("violation without a message: %+v", v)
			}
			tokens := splitPointer(v.Pointer)
			if v.OnKey && len(tokens) > 0 {
				tokens = tokens[:len(tokens)-1]
			}
			if _, ok := lookup(doc, tokens); !ok {
				t.Errorf("pointer %q is not in the document", v.Pointer)
			}
		}
	})
}
