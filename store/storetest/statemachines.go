package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var stateMachineTests = []test{
	{"Versions", testSMVersions},
	{"DeleteAndRecreate", testSMDeleteAndRecreate},
	{"List", testSMList},
	{"Source", testSMSource},
	{"WithoutSource", testSMWithoutSource},
}

func putSM(t *testing.T, s store.Store, name, sha string, at time.Time) (store.StateMachine, store.PutResult) {
	t.Helper()
	sm, res, err := s.PutStateMachine(ctxFor(t), store.StateMachine{
		Name: name, DefinitionSHA256: sha, Definition: []byte(`{"def":"` + sha + `"}`), UpdatedAt: at,
	})
	if err != nil {
		t.Fatalf("PutStateMachine(%s, %s): %v", name, sha, err)
	}
	return sm, res
}

func wantSM(name string, version int, sha string, created, updated time.Time) store.StateMachine {
	return store.StateMachine{Name: name, Version: version, DefinitionSHA256: sha,
		Definition: []byte(`{"def":"` + sha + `"}`), CreatedAt: created, UpdatedAt: updated}
}

func testSMVersions(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	t1, t2 := base, base.Add(time.Minute)
	steps := []struct {
		sha  string
		at   time.Time
		want store.StateMachine
		res  store.PutResult
	}{
		{"sha1", t1, wantSM("A", 1, "sha1", t1, t1), store.Created},
		{"sha1", t2, wantSM("A", 1, "sha1", t1, t1), store.Unchanged},
		{"sha2", t2, wantSM("A", 2, "sha2", t1, t2), store.NewVersion},
		{"sha2", t2.Add(time.Hour), wantSM("A", 2, "sha2", t1, t2), store.Unchanged},
	}
	for i, st := range steps {
		sm, res := putSM(t, s, "A", st.sha, st.at)
		if res != st.res {
			t.Errorf("put %d: result %v, want %v", i, res, st.res)
		}
		diff(t, "put result", st.want, sm)
	}
	gets := []struct {
		version int
		want    store.StateMachine
	}{
		{0, wantSM("A", 2, "sha2", t1, t2)},
		{1, wantSM("A", 1, "sha1", t1, t1)},
		{2, wantSM("A", 2, "sha2", t1, t2)},
	}
	for _, g := range gets {
		got, err := s.GetStateMachine(ctx, "A", g.version)
		if err != nil {
			t.Fatalf("GetStateMachine(A, %d): %v", g.version, err)
		}
		diff(t, "GetStateMachine", g.want, got)
		got, err = s.GetStateMachineVersion(ctx, "A", g.want.Version)
		if err != nil {
			t.Fatalf("GetStateMachineVersion(A, %d): %v", g.want.Version, err)
		}
		diff(t, "GetStateMachineVersion", g.want, got)
	}
	_, err := s.GetStateMachine(ctx, "A", 3)
	wantErr(t, "GetStateMachine(A, 3)", err, store.ErrNotFound)
	_, err = s.GetStateMachine(ctx, "B", 0)
	wantErr(t, "GetStateMachine(B)", err, store.ErrNotFound)
	_, err = s.GetStateMachineVersion(ctx, "B", 1)
	wantErr(t, "GetStateMachineVersion(B, 1)", err, store.ErrNotFound)
	_, err = s.GetStateMachineVersion(ctx, "A", 9)
	wantErr(t, "GetStateMachineVersion(A, 9)", err, store.ErrNotFound)
}

func testSMDeleteAndRecreate(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	t1, t2, t3 := base, base.Add(time.Minute), base.Add(time.Hour)
	putSM(t, s, "A", "sha1", t1)
	putSM(t, s, "A", "sha2", t2)
	wantErr(t, "DeleteStateMachine(B)", s.DeleteStateMachine(ctx, "B"), store.ErrNotFound)
	if err := s.DeleteStateMachine(ctx, "A"); err != nil {
		t.Fatalf("DeleteStateMachine(A): %v", err)
	}
	wantErr(t, "second DeleteStateMachine(A)", s.DeleteStateMachine(ctx, "A"), store.ErrNotFound)
	_, err := s.GetStateMachine(ctx, "A", 0)
	wantErr(t, "GetStateMachine after delete", err, store.ErrNotFound)
	_, err = s.GetStateMachine(ctx, "A", 2)
	wantErr(t, "GetStateMachine(A, 2) after delete", err, store.ErrNotFound)
	// Running executions are pinned to their version: it stays readable.
	got, err := s.GetStateMachineVersion(ctx, "A", 2)
	if err != nil {
		t.Fatalf("GetStateMachineVersion after delete: %v", err)
	}
	diff(t, "GetStateMachineVersion after delete", wantSM("A", 2, "sha2", t1, t2), got)

	// Re-created with the first definition: a new name, a new version number.
	sm, res := putSM(t, s, "A", "sha1", t3)
	if res != store.Created {
		t.Errorf("re-create: result %v, want Created", res)
	}
	diff(t, "re-created", wantSM("A", 3, "sha1", t3, t3), sm)
	sm, res = putSM(t, s, "A", "sha1", t3.Add(time.Minute))
	if res != store.Unchanged || sm.Version != 3 {
		t.Errorf("put after re-create: %v version %d, want Unchanged version 3", res, sm.Version)
	}
	got, err = s.GetStateMachineVersion(ctx, "A", 1)
	if err != nil {
		t.Fatalf("GetStateMachineVersion(A, 1) after re-create: %v", err)
	}
	diff(t, "old version after re-create", wantSM("A", 1, "sha1", t1, t1), got)
	sm, res = putSM(t, s, "A", "sha4", t3.Add(time.Hour))
	if res != store.NewVersion || sm.Version != 4 || !sm.CreatedAt.Equal(t3) {
		t.Errorf("new version after re-create: %v version %d created %v, want NewVersion 4 created %v", res, sm.Version, sm.CreatedAt, t3)
	}
}

func testSMList(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, n := range []string{"c", "a", "e", "d", "b"} {
		putSM(t, s, n, "sha1", base)
	}
	putSM(t, s, "b", "sha2", base.Add(time.Second))
	if err := s.DeleteStateMachine(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	names := func(sms []store.StateMachine) []string {
		var out []string
		for _, sm := range sms {
			out = append(out, sm.Name)
		}
		return out
	}
	all, next, err := s.ListStateMachines(ctx, "", 0)
	if err != nil {
		t.Fatalf("ListStateMachines: %v", err)
	}
	diff(t, "all names", []string{"a", "b", "c", "e"}, names(all))
	if next != "" {
		t.Errorf("next cursor %q after the whole list, want none", next)
	}
	if all[1].Version != 2 || all[1].DefinitionSHA256 != "sha2" {
		t.Errorf("listed b at version %d (%s), want the latest, 2", all[1].Version, all[1].DefinitionSHA256)
	}

	pages := []struct {
		limit int
		want  [][]string
	}{
		{1, [][]string{{"a"}, {"b"}, {"c"}, {"e"}}},
		{2, [][]string{{"a", "b"}, {"c", "e"}}},
		{3, [][]string{{"a", "b", "c"}, {"e"}}},
		{4, [][]string{{"a", "b", "c", "e"}}},
		{10, [][]string{{"a", "b", "c", "e"}}},
	}
	for _, p := range pages {
		cursor := ""
		var got [][]string
		for i := 0; i < 10; i++ {
			sms, next, err := s.ListStateMachines(ctx, cursor, p.limit)
			if err != nil {
				t.Fatalf("ListStateMachines(limit %d): %v", p.limit, err)
			}
			got = append(got, names(sms))
			if next == "" {
				break
			}
			cursor = next
		}
		diff(t, "pages", p.want, got)
	}
	for _, bad := range []string{"!!!", "not a cursor at all"} {
		_, _, err = s.ListStateMachines(ctx, bad, 2)
		wantErr(t, "ListStateMachines(bad cursor "+bad+")", err, store.ErrInvalidCursor)
	}
}

// testSMSource: each version keeps the text it was uploaded with and its
// format beside the canonical form, byte for byte (key order, number
// digits, comments and spacing); an unchanged put keeps the first text.
func testSMSource(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	yamlText := "# a comment\nStartAt: P\nStates:\n  P: {Type: Pass, Result: {b: 1, a: 12345678901234567890, c: 1.0}, End: true}\n"
	jsonText := `{"States": {"P": {"Type": "Pass", "End": true, "Result": {"b": 1, "a": 1.50}}}, "StartAt": "P"}`
	puts := []struct {
		sha, text, format string
		at                time.Time
		res               store.PutResult
		wantText          string
		wantFormat        string
	}{
		{"sha1", yamlText, "yaml", base, store.Created, yamlText, "yaml"},
		// The same identity written differently: unchanged, the first text stays.
		{"sha1", jsonText, "json", base.Add(time.Minute), store.Unchanged, yamlText, "yaml"},
		{"sha2", jsonText, "json", base.Add(time.Hour), store.NewVersion, jsonText, "json"},
	}
	for i, p := range puts {
		canon := []byte(`{"def":"` + p.sha + `"}`)
		src := []byte(p.text)
		got, res, err := s.PutStateMachine(ctx, store.StateMachine{Name: "A", DefinitionSHA256: p.sha, Definition: canon,
			Source: src, SourceFormat: p.format, UpdatedAt: p.at})
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		if res != p.res {
			t.Errorf("put %d: result %v, want %v", i, res, p.res)
		}
		diff(t, fmt.Sprintf("put %d source", i), p.wantText, string(got.Source))
		diff(t, fmt.Sprintf("put %d format", i), p.wantFormat, got.SourceFormat)
		diff(t, fmt.Sprintf("put %d definition", i), `{"def":"`+p.sha+`"}`, string(got.Definition))
		scribble(src) // the store kept its own copy
		scribble(got.Source)
	}
	for _, c := range []struct {
		version      int
		text, format string
	}{{1, yamlText, "yaml"}, {2, jsonText, "json"}} {
		for _, read := range []func() (store.StateMachine, error){
			func() (store.StateMachine, error) { return s.GetStateMachine(ctx, "A", c.version) },
			func() (store.StateMachine, error) { return s.GetStateMachineVersion(ctx, "A", c.version) },
		} {
			sm, err := read()
			if err != nil {
				t.Fatalf("get version %d: %v", c.version, err)
			}
			diff(t, fmt.Sprintf("version %d source", c.version), c.text, string(sm.Source))
			diff(t, fmt.Sprintf("version %d format", c.version), c.format, sm.SourceFormat)
			scribble(sm.Source)
		}
	}
	latest, err := s.GetStateMachine(ctx, "A", 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "latest source", jsonText, string(latest.Source))
	list, _, err := s.ListStateMachines(ctx, "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListStateMachines: %v %v", list, err)
	}
	diff(t, "listed source", jsonText, string(list[0].Source))
	// Pinned executions read a deleted name's versions with their text.
	if err := s.DeleteStateMachine(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	old, err := s.GetStateMachineVersion(ctx, "A", 1)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "deleted name's source", yamlText, string(old.Source))
}

// testSMWithoutSource: a version put without a text (as earlier releases
// stored every version) reads back with none, next to one that has it.
func testSMWithoutSource(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	putSM(t, s, "A", "sha1", base)
	if _, _, err := s.PutStateMachine(ctx, store.StateMachine{Name: "A", DefinitionSHA256: "sha2", Definition: []byte(`{}`),
		Source: []byte(`{ }`), SourceFormat: "json", UpdatedAt: base.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Unchanged against a version without a text: still none.
	if _, _, err := s.PutStateMachine(ctx, store.StateMachine{Name: "B", DefinitionSHA256: "sha1", Definition: []byte(`{}`), UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	b, res, err := s.PutStateMachine(ctx, store.StateMachine{Name: "B", DefinitionSHA256: "sha1", Definition: []byte(`{}`),
		Source: []byte(`{}`), SourceFormat: "json", UpdatedAt: base.Add(time.Minute)})
	if err != nil || res != store.Unchanged {
		t.Fatalf("unchanged put: %v %v", res, err)
	}
	if len(b.Source) != 0 || b.SourceFormat != "" {
		t.Errorf("unchanged put of a version without a text answered source %q format %q", b.Source, b.SourceFormat)
	}
	v1, err := s.GetStateMachineVersion(ctx, "A", 1)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "version without a text", wantSM("A", 1, "sha1", base, base), v1)
	if len(v1.Source) != 0 || v1.SourceFormat != "" {
		t.Errorf("version 1: source %q format %q, want none", v1.Source, v1.SourceFormat)
	}
	v2, err := s.GetStateMachine(ctx, "A", 2)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "version 2 source", `{ }`, string(v2.Source))
}
