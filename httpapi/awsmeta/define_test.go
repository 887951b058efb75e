package awsmeta_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

const (
	passDef     = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	passDef2    = `{"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}`
	activityDef = `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:pack","End":true}}}`
)

// typeAtPut is a store that records, when a definition is written, the
// type the state machine's document says then.
type typeAtPut struct {
	store.Store
	seen []string
}

func (s *typeAtPut) PutStateMachine(ctx context.Context, sm store.StateMachine) (store.StateMachine, store.PutResult, error) {
	mc, err := awsmeta.New(s.Store).Machine(ctx, sm.Name)
	if err != nil {
		return store.StateMachine{}, 0, err
	}
	s.seen = append(s.seen, mc.Type)
	return s.Store.PutStateMachine(ctx, sm)
}

func define(t *testing.T, m *awsmeta.Meta, eng *interpreter.Engine, d awsmeta.Definition) awsmeta.Defined {
	t.Helper()
	if d.Format == 0 {
		d.Format = dsl.JSON
	}
	got, err := m.PutDefinition(context.Background(), eng, d)
	if err != nil {
		t.Fatalf("PutDefinition(%s): %v", d.Name, err)
	}
	return got
}

func TestPutDefinition(t *testing.T) {
	ctx := context.Background()
	st := &typeAtPut{Store: memory.New()}
	eng := interpreter.New(interpreter.Config{Store: st})
	m := awsmeta.New(st)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	// A new EXPRESS machine's document says EXPRESS before its definition
	// is written: it is never seen as STANDARD.
	got := define(t, m, eng, awsmeta.Definition{Name: "fast", Source: []byte(passDef), Type: awsmeta.Express,
		Fresh: awsmeta.Machine{RoleArn: "arn:aws:iam::123456789012:role/r"}})
	if got.Outcome != store.Created || got.Machine.Type != awsmeta.Express || got.Machine.FirstRevision != 1 ||
		got.Machine.RoleArn != "arn:aws:iam::123456789012:role/r" || len(st.seen) != 1 || st.seen[0] != awsmeta.Express {
		t.Fatalf("new EXPRESS machine: %+v, types at the write %v", got, st.seen)
	}
	// Updating it keeps its type and checks the definition as EXPRESS.
	_, err := m.PutDefinition(ctx, eng, awsmeta.Definition{Name: "fast", Source: []byte(activityDef), Format: dsl.JSON})
	var unsupported *express.UnsupportedError
	if !errors.As(err, &unsupported) {
		t.Fatalf("an activity in an EXPRESS machine: %v, want *express.UnsupportedError", err)
	}
	var te *awsmeta.TypeError
	if _, err := m.PutDefinition(ctx, eng, awsmeta.Definition{Name: "fast", Source: []byte(passDef2), Format: dsl.JSON, Type: awsmeta.Standard}); !errors.As(err, &te) ||
		te.Have != awsmeta.Express || te.Asked != awsmeta.Standard {
		t.Fatalf("another type for an existing machine: %v, want a TypeError", err)
	}
	// The caller's check words the refusal; it runs only for EXPRESS.
	refuse := errors.New("no EXPRESS here")
	check := func([]byte, dsl.Format) error { return refuse }
	if _, err := m.PutDefinition(ctx, eng, awsmeta.Definition{Name: "fast", Source: []byte(passDef2), Format: dsl.JSON, CheckExpress: check}); !errors.Is(err, refuse) {
		t.Fatalf("CheckExpress's refusal: %v", err)
	}
	define(t, m, eng, awsmeta.Definition{Name: "slow", Source: []byte(activityDef), CheckExpress: check, Now: now})

	// The activities a definition uses get their documents.
	if a, err := m.Activity(ctx, "pack"); err != nil || !a.CreatedAt.Equal(now) {
		t.Fatalf("activity pack: %+v, %v", a, err)
	}

	// A document left behind (a delete that failed half-way) does not
	// carry over to a new state machine of the name, which starts past
	// the deleted one's revisions.
	define(t, m, eng, awsmeta.Definition{Name: "again", Source: []byte(passDef)})
	if _, err := m.UpdateMachine(ctx, "again", func(mc *awsmeta.Machine) error {
		mc.Tags = []awsmeta.Tag{{Key: "k", Value: "v"}}
		_, _, err := mc.Publish(1, "", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := eng.DeleteStateMachine(ctx, "again"); err != nil {
		t.Fatal(err)
	}
	got = define(t, m, eng, awsmeta.Definition{Name: "again", Source: []byte(passDef2)})
	if mc := got.Machine; got.Outcome != store.Created || mc.Type != awsmeta.Standard || len(mc.Tags) != 0 || len(mc.Published) != 0 ||
		mc.NextNumber != 1 || mc.FirstRevision != got.StateMachine.Version || mc.FirstRevision < 2 {
		t.Fatalf("made again: %+v", got)
	}
	if mc, _ := m.Machine(ctx, "again"); mc.FirstRevision != got.StateMachine.Version || len(mc.Published) != 0 {
		t.Fatalf("stored document: %+v", mc)
	}

	// A refused new definition leaves no document; Existing refuses to
	// create.
	if _, err := m.PutDefinition(ctx, eng, awsmeta.Definition{Name: "broken", Source: []byte(`{"StartAt":"X"}`), Format: dsl.JSON, Type: awsmeta.Express}); err == nil {
		t.Fatal("a broken definition was stored")
	}
	if _, err := m.PutDefinition(ctx, eng, awsmeta.Definition{Name: "absent", Source: []byte(passDef), Format: dsl.JSON, Existing: true}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Existing for an absent name: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"broken", "absent"} {
		if _, err := st.GetDoc(ctx, "machine", name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s has a document: %v", name, err)
		}
	}
}
