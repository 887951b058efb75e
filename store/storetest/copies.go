package storetest

import (
	"testing"

	"github.com/sfn-project/sfn/store"
)

var copyTests = []test{
	{"StateMachine", testCopyStateMachine},
	{"Execution", testCopyExecution},
}

// scribble overwrites b in place, as a buggy caller would.
func scribble(b []byte) {
	for i := range b {
		b[i] = '#'
	}
}

func testCopyStateMachine(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	def := []byte(`{"def":"sha1"}`)
	got, _, err := s.PutStateMachine(ctx, store.StateMachine{Name: "A", DefinitionSHA256: "sha1", Definition: def, UpdatedAt: base})
	if err != nil {
		t.Fatal(err)
	}
	scribble(def)
	scribble(got.Definition)
	for _, read := range []func() (store.StateMachine, error){
		func() (store.StateMachine, error) { return s.GetStateMachine(ctx, "A", 0) },
		func() (store.StateMachine, error) { return s.GetStateMachineVersion(ctx, "A", 1) },
	} {
		sm, err := read()
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "definition", `{"def":"sha1"}`, string(sm.Definition))
		scribble(sm.Definition)
	}
	list, _, err := s.ListStateMachines(ctx, "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListStateMachines: %v %v", list, err)
	}
	diff(t, "listed definition", `{"def":"sha1"}`, string(list[0].Definition))
}

func testCopyExecution(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rec := newExec("sm", "e", base)
	evs := events(1, 2)
	acts := []store.ActivityTask{task("A", "t1", rec.ID)}
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: evs, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	want := *newExec("sm", "e", base)
	want.RecordVersion, want.LastEventID = 1, 2
	scribble(rec.Input)
	scribble(rec.Engine)
	scribble(rec.Threads["0"])
	rec.Threads["new"] = []byte("x")
	scribble(evs[0].Data)
	scribble(acts[0].Input)

	got := get(t, s, rec.ID)
	diff(t, "record after scribbling on what was passed in", &want, got)
	scribble(got.Input)
	scribble(got.Engine)
	scribble(got.Threads["0"])
	got.Threads["other"] = []byte("y")
	diff(t, "record after scribbling on what was returned", &want, get(t, s, rec.ID))

	h := history(t, s, rec.ID)
	diff(t, "history", events(1, 2), h)
	scribble(h[1].Data)
	diff(t, "history after scribbling on what was returned", events(1, 2), history(t, s, rec.ID))

	next := *get(t, s, rec.ID)
	set := map[string][]byte{"1": []byte("thread-1")}
	evs = events(3, 1)
	acts = []store.ActivityTask{task("A", "t2", rec.ID)}
	if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: 1, Record: &next,
		SetThreads: set, Events: evs, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	scribble(next.Engine)
	scribble(next.Input)
	scribble(set["1"])
	scribble(evs[0].Data)
	scribble(acts[0].Input)
	want.RecordVersion, want.LastEventID = 2, 3
	want.Threads = map[string][]byte{"0": []byte("thread-0"), "1": []byte("thread-1")}
	diff(t, "record after scribbling on a commit's inputs", &want, get(t, s, rec.ID))
	diff(t, "history after scribbling on a commit's inputs", events(1, 3), history(t, s, rec.ID))

	for _, tok := range []string{"t1", "t2"} {
		tk, err := Take(ctx, s, "A")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "activity task", task("A", tok, rec.ID), *tk)
	}
}
