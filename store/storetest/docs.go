package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sfn-project/sfn/store"
)

var docTests = []test{
	{"GetMissing", testDocGetMissing},
	{"Revisions", testDocRevisions},
	{"Copies", testDocCopies},
	{"Delete", testDocDelete},
	{"List", testDocList},
	{"ListCursorDeleted", testDocListCursorDeleted},
	{"ConcurrentUpdates", testDocConcurrentUpdates},
}

// putDoc puts a document at rev and fails the test unless it lands at rev+1.
func putDoc(t *testing.T, s store.Store, kind, name, data string, rev int64) {
	t.Helper()
	got, err := s.PutDoc(ctxFor(t), store.Doc{Kind: kind, Name: name, Data: []byte(data), Rev: rev})
	if err != nil {
		t.Fatalf("PutDoc(%s/%s, rev %d): %v", kind, name, rev, err)
	}
	if got != rev+1 {
		t.Fatalf("PutDoc(%s/%s, rev %d) = rev %d, want %d", kind, name, rev, got, rev+1)
	}
}

func getDoc(t *testing.T, s store.Store, kind, name string) store.Doc {
	t.Helper()
	d, err := s.GetDoc(ctxFor(t), kind, name)
	if err != nil {
		t.Fatalf("GetDoc(%s/%s): %v", kind, name, err)
	}
	return d
}

// testDocGetMissing: a name never put, or put under another kind, is not found.
func testDocGetMissing(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_, err := s.GetDoc(ctx, "alias", "a")
	wantErr(t, "GetDoc of a document never put", err, store.ErrNotFound)
	putDoc(t, s, "alias", "a", `{}`, 0)
	_, err = s.GetDoc(ctx, "tags", "a")
	wantErr(t, "GetDoc of the same name under another kind", err, store.ErrNotFound)
}

// testDocRevisions: a put applies only at the stored revision and moves it
// by one; a refused put changes nothing.
func testDocRevisions(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	steps := []struct {
		what     string
		rev      int64 // the revision the put names
		data     string
		wantRev  int64 // the put's result; 0 for a conflict
		wantData string
		stored   int64 // the stored revision after the step
	}{
		{"create", 0, `{"v":1}`, 1, `{"v":1}`, 1},
		{"create again", 0, `{"v":"again"}`, 0, `{"v":1}`, 1},
		{"from a revision never stored", 5, `{"v":5}`, 0, `{"v":1}`, 1},
		{"update", 1, `{"v":2}`, 2, `{"v":2}`, 2},
		{"update from the stale revision", 1, `{"v":"stale"}`, 0, `{"v":2}`, 2},
		{"binary data", 2, "\x00\xff{\"v\":3}\n", 3, "\x00\xff{\"v\":3}\n", 3},
		{"empty data", 3, ``, 4, ``, 4},
		{"update after empty", 4, `{"v":5}`, 5, `{"v":5}`, 5},
	}
	for _, st := range steps {
		rev, err := s.PutDoc(ctx, store.Doc{Kind: "machine", Name: "orders", Data: []byte(st.data), Rev: st.rev})
		if st.wantRev == 0 {
			wantErr(t, "PutDoc, "+st.what, err, store.ErrConflict)
		} else if err != nil || rev != st.wantRev {
			t.Fatalf("PutDoc, %s: rev %d, %v; want rev %d", st.what, rev, err, st.wantRev)
		}
		got := getDoc(t, s, "machine", "orders")
		diff(t, "document after "+st.what, store.Doc{Kind: "machine", Name: "orders", Data: []byte(st.wantData), Rev: st.stored}, got)
	}
}

// testDocCopies: the store keeps its own copy of the data it is given and
// hands out copies.
func testDocCopies(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	data := []byte(`{"role":"r"}`)
	if _, err := s.PutDoc(ctx, store.Doc{Kind: "machine", Name: "A", Data: data}); err != nil {
		t.Fatal(err)
	}
	scribble(data)
	want := store.Doc{Kind: "machine", Name: "A", Data: []byte(`{"role":"r"}`), Rev: 1}
	got := getDoc(t, s, "machine", "A")
	diff(t, "document after scribbling on what was put", want, got)
	scribble(got.Data)
	diff(t, "document after scribbling on what was returned", want, getDoc(t, s, "machine", "A"))
	list, _, err := s.ListDocs(ctx, "machine", "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListDocs: %v %v", list, err)
	}
	diff(t, "listed document", want, list[0])
	scribble(list[0].Data)
	diff(t, "document after scribbling on what was listed", want, getDoc(t, s, "machine", "A"))
}

// testDocDelete: a deleted document is gone from reads and listings, a
// delete of an absent one succeeds, and a put after delete creates anew.
func testDocDelete(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	putDoc(t, s, "alias", "a", `{"v":1}`, 0)
	putDoc(t, s, "alias", "a", `{"v":2}`, 1)
	putDoc(t, s, "alias", "b", `{}`, 0)
	putDoc(t, s, "version", "a", `{}`, 0)
	if err := s.DeleteDoc(ctx, "alias", "a"); err != nil {
		t.Fatalf("DeleteDoc(alias/a): %v", err)
	}
	_, err := s.GetDoc(ctx, "alias", "a")
	wantErr(t, "GetDoc after delete", err, store.ErrNotFound)
	for _, absent := range [][2]string{{"alias", "a"}, {"alias", "never"}, {"nokind", "x"}} {
		if err := s.DeleteDoc(ctx, absent[0], absent[1]); err != nil {
			t.Errorf("DeleteDoc(%s/%s) of an absent document: %v", absent[0], absent[1], err)
		}
	}
	list, next, err := s.ListDocs(ctx, "alias", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "aliases after delete", []string{"b"}, docNames(list))
	diff(t, "next cursor", "", next)
	diff(t, "the same name under another kind", store.Doc{Kind: "version", Name: "a", Data: []byte(`{}`), Rev: 1}, getDoc(t, s, "version", "a"))

	_, err = s.PutDoc(ctx, store.Doc{Kind: "alias", Name: "a", Data: []byte(`{"v":3}`), Rev: 2})
	wantErr(t, "PutDoc at the deleted document's revision", err, store.ErrConflict)
	putDoc(t, s, "alias", "a", `{"v":"new"}`, 0)
	diff(t, "document put again", store.Doc{Kind: "alias", Name: "a", Data: []byte(`{"v":"new"}`), Rev: 1}, getDoc(t, s, "alias", "a"))
}

func docNames(docs []store.Doc) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Name)
	}
	return out
}

// listDocPages follows the cursor to the end and returns the names page by page.
func listDocPages(t *testing.T, s store.Store, kind string, limit int) (pages [][]string) {
	t.Helper()
	cursor := ""
	for i := 0; i < 100; i++ {
		docs, next, err := s.ListDocs(ctxFor(t), kind, cursor, limit)
		if err != nil {
			t.Fatalf("ListDocs(%s, %q, %d): %v", kind, cursor, limit, err)
		}
		for _, d := range docs {
			if d.Kind != kind || d.Rev != 1 || string(d.Data) != `{"name":"`+d.Name+`"}` {
				t.Errorf("ListDocs(%s) returned %+v", kind, d)
			}
		}
		pages = append(pages, docNames(docs))
		if next == "" {
			return pages
		}
		cursor = next
	}
	t.Fatalf("ListDocs(%s, limit %d): more than 100 pages", kind, limit)
	return nil
}

// testDocList: a kind's documents in byte order of their names, in pages
// of at most limit, each exactly once, the last page's cursor empty; other
// kinds' documents never among them.
func testDocList(t *testing.T, s store.Store) {
	// Names with the characters a key layout might trip on, put out of order.
	names := []string{"b", "a:b", "Z", "{x}", "a", "%3A", "a%", "é", "a b", "-", "+", "["}
	sorted := []string{"%3A", "+", "-", "Z", "[", "a", "a b", "a%", "a:b", "b", "{x}", "é"}
	for _, n := range names {
		putDoc(t, s, "machine", n, `{"name":"`+n+`"}`, 0)
	}
	for _, n := range []string{"a", "c", "zz"} {
		putDoc(t, s, "activity", n, `{"name":"`+n+`"}`, 0)
	}
	putDoc(t, s, "machine:x", "a", `{"name":"a"}`, 0)

	cases := []struct {
		kind  string
		limit int
		want  [][]string
	}{
		{"machine", 0, [][]string{sorted}},
		{"machine", len(sorted), [][]string{sorted}},
		{"machine", len(sorted) + 1, [][]string{sorted}},
		{"machine", 5, [][]string{sorted[:5], sorted[5:10], sorted[10:]}},
		{"machine", 4, [][]string{sorted[:4], sorted[4:8], sorted[8:]}},
		{"machine", 1, func() (p [][]string) {
			for _, n := range sorted {
				p = append(p, []string{n})
			}
			return p
		}()},
		{"activity", 2, [][]string{{"a", "c"}, {"zz"}}},
		{"machine:x", 0, [][]string{{"a"}}},
		{"machine:", 0, [][]string{nil}},
		{"empty", 3, [][]string{nil}},
	}
	for _, c := range cases {
		diff(t, fmt.Sprintf("pages of %s, limit %d", c.kind, c.limit), c.want, listDocPages(t, s, c.kind, c.limit))
	}

	// A cursor is a name: listing starts after it, whether or not it is stored.
	docs, next, err := s.ListDocs(ctxFor(t), "machine", "a!", 2)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "page after a name not stored", []string{"a%", "a:b"}, docNames(docs))
	diff(t, "its next cursor", "a:b", next)
}

// testDocListCursorDeleted: deleting the document a cursor names, between
// pages, neither repeats nor skips the ones after it.
func testDocListCursorDeleted(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, n := range []string{"a", "b", "c", "d"} {
		putDoc(t, s, "alias", n, `{"name":"`+n+`"}`, 0)
	}
	first, next, err := s.ListDocs(ctx, "alias", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "first page", []string{"a", "b"}, docNames(first))
	diff(t, "cursor", "b", next)
	if err := s.DeleteDoc(ctx, "alias", "b"); err != nil {
		t.Fatal(err)
	}
	rest, next, err := s.ListDocs(ctx, "alias", next, 2)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "second page", []string{"c", "d"}, docNames(rest))
	diff(t, "last cursor", "", next)
}

// testDocConcurrentUpdates: writers each read a counter, add one and put it
// back at the revision they read, retrying on conflict; no increment is
// lost and every successful put moved the revision by exactly one.
func testDocConcurrentUpdates(t *testing.T, s store.Store) {
	const writers, increments = 8, 10
	ctx := ctxFor(t)
	putDoc(t, s, "counter", "c", `{"n":0}`, 0)

	type counter struct{ N int }
	var wg sync.WaitGroup
	var mu sync.Mutex
	winner := map[int64]int{} // revision -> writer
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < increments; {
				d, err := s.GetDoc(ctx, "counter", "c")
				if err != nil {
					errs <- err
					return
				}
				var c counter
				if err := json.Unmarshal(d.Data, &c); err != nil {
					errs <- fmt.Errorf("document %q: %v", d.Data, err)
					return
				}
				c.N++
				data, _ := json.Marshal(c)
				rev, err := s.PutDoc(ctx, store.Doc{Kind: "counter", Name: "c", Data: data, Rev: d.Rev})
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if rev != d.Rev+1 {
					errs <- fmt.Errorf("put at revision %d gave %d", d.Rev, rev)
					return
				}
				done++
				mu.Lock()
				prev, dup := winner[rev]
				winner[rev] = w
				mu.Unlock()
				if dup {
					errs <- fmt.Errorf("revision %d won by writers %d and %d", rev, prev, w)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const total = writers * increments
	got := getDoc(t, s, "counter", "c")
	diff(t, "counter", store.Doc{Kind: "counter", Name: "c", Data: fmt.Appendf(nil, `{"N":%d}`, total), Rev: 1 + total}, got)
}
