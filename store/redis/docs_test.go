package redis

import "testing"

// TestDocKeys: a document's hash and its kind's name index share the
// state machines' hash tag whatever the names, so put_doc.lua and
// delete_doc.lua stay in one Cluster slot, and an escaped kind cannot make
// two documents share a key.
func TestDocKeys(t *testing.T) {
	t.Parallel()
	k := keys{prefix: "sfn"}
	cases := []struct {
		kind, name      string
		wantDoc, wantIx string
	}{
		{"alias", "orders:prod", "sfn:{sm}:d:alias:orders:prod", "sfn:{sm}:dn:alias"},
		{"a:b", "c", "sfn:{sm}:d:a%3Ab:c", "sfn:{sm}:dn:a%3Ab"},
		{"a", "b:c", "sfn:{sm}:d:a:b:c", "sfn:{sm}:dn:a"},
		{"{x}", "}{", "sfn:{sm}:d:{x}:}{", "sfn:{sm}:dn:{x}"},
		{"", "", "sfn:{sm}:d::", "sfn:{sm}:dn:"},
	}
	for _, c := range cases {
		doc, ix := k.doc(c.kind, c.name), k.docNames(c.kind)
		if doc != c.wantDoc || ix != c.wantIx {
			t.Errorf("keys of %q/%q: %q and %q, want %q and %q", c.kind, c.name, doc, ix, c.wantDoc, c.wantIx)
		}
		for _, key := range []string{doc, ix} {
			if tag := hashTag(key); tag != hashTag(k.machines()) {
				t.Errorf("key %q hashes by %q, want the state machines' tag", key, tag)
			}
		}
	}
}
