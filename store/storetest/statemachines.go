package storetest

import (
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var stateMachineTests = []test{
	{"Versions", testSMVersions},
	{"DeleteAndRecreate", testSMDeleteAndRecreate},
	{"List", testSMList},
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
