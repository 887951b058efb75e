package awsmeta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
)

// Definition is a definition to store under a state machine's name: what
// the REST API's PUT, the AWS API's CreateStateMachine and
// UpdateStateMachine, and sfn serve --load upload.
type Definition struct {
	Name   string
	Source []byte
	Format dsl.Format
	// Type is the type asked for: a new state machine gets it ("" is
	// STANDARD); for an existing one "" or its own type, as a state
	// machine's type never changes (another is a *TypeError).
	Type string
	// Fresh is the rest of a new state machine's document (the AWS API's
	// role, tags, logging and tracing); its type, version numbering and
	// first revision are set here.
	Fresh Machine
	// Existing refuses to create the state machine: a name that does not
	// exist is store.ErrNotFound (an update).
	Existing bool
	// CheckExpress refuses, in the caller's words, a definition an
	// EXPRESS state machine cannot run; it is called only for one that
	// will be EXPRESS, and may refuse EXPRESS machines altogether (a
	// server that does not run them). nil: express.Check's error.
	CheckExpress func(source []byte, format dsl.Format) error
	// Now dates the activities created; zero: the current time.
	Now time.Time
}

// TypeError refuses a definition that asks another type for an existing
// state machine.
type TypeError struct {
	Name, Have, Asked string
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("state machine %s is %s, %s was asked for: the type of a state machine cannot change (delete it and create it again)",
		e.Name, e.Have, e.Asked)
}

// Defined is what PutDefinition did: the engine's result and the state
// machine's document after it.
type Defined struct {
	interpreter.PutResult
	Machine Machine
}

// TypeOf is a state machine's type as its document says; a document
// without one (a state machine made through the REST API before types
// were recorded) is STANDARD.
func TypeOf(mc Machine) string {
	if mc.Type == "" {
		return Standard
	}
	return mc.Type
}

// PutDefinition stores a definition as every way of uploading one must:
// it settles the state machine's type (d.Type for a new name, the one it
// has for an existing one), refuses what an EXPRESS machine cannot run,
// gives a new state machine a fresh document before its definition is
// written (so that a new EXPRESS machine is never seen as STANDARD, and a
// document left by a delete that failed half-way does not carry over),
// records its first revision once it is created, and gives the activities
// the definition uses their documents. Errors: the engine's
// (*interpreter.InvalidDefinitionError, interpreter.ErrInvalidName, the
// store's), *TypeError, store.ErrNotFound with d.Existing, CheckExpress's.
//
// Two uploads creating one name at once both write a fresh document: the
// one whose definition lands second sees the name exist, and the document
// is the one written last.
func (m *Meta) PutDefinition(ctx context.Context, eng *interpreter.Engine, d Definition) (Defined, error) {
	// A reset that finds the document changed since it was read (another
	// upload of the name got there) starts over: the name exists now, and
	// the other upload's document must not be wiped.
	for range 5 {
		def, err := m.putDefinition(ctx, eng, d)
		if !errors.Is(err, errRaced) {
			return def, err
		}
	}
	return Defined{}, fmt.Errorf("state machine %s: other uploads of the name kept changing its document: %w", d.Name, store.ErrConflict)
}

// errRaced ends one try of putDefinition whose reset lost a race.
var errRaced = errors.New("the document changed since it was read")

func (m *Meta) putDefinition(ctx context.Context, eng *interpreter.Engine, d Definition) (Defined, error) {
	_, err := eng.Store().GetStateMachine(ctx, d.Name, 0)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Defined{}, err
	}
	if !exists && d.Existing {
		return Defined{}, fmt.Errorf("state machine %s: %w", d.Name, store.ErrNotFound)
	}
	mc, err := m.Machine(ctx, d.Name)
	if err != nil {
		return Defined{}, err
	}
	typ := d.Type
	switch {
	case exists && typ != "" && typ != TypeOf(mc):
		return Defined{}, &TypeError{Name: d.Name, Have: TypeOf(mc), Asked: typ}
	case exists:
		typ = TypeOf(mc)
	case typ == "":
		typ = Standard
	}
	if typ == Express {
		check := d.CheckExpress
		if check == nil {
			check = expressCheck
		}
		if err := check(d.Source, d.Format); err != nil {
			return Defined{}, err
		}
	}
	fresh := d.Fresh
	fresh.Type = typ
	if !exists {
		// A definition the engine would refuse must not leave a document
		// behind.
		if !interpreter.ValidName(d.Name) {
			return Defined{}, fmt.Errorf("state machine name %q: %w", d.Name, interpreter.ErrInvalidName)
		}
		if _, problems := dsl.Load(d.Source, dsl.Options{Format: d.Format}); problems.HasErrors() {
			return Defined{}, &interpreter.InvalidDefinitionError{Problems: problems.Errors()}
		}
		// Written once, at the revision read above: a document changed
		// since is another upload's, and this one starts over.
		mc.replace(fresh)
		if err := m.putMachineAt(ctx, d.Name, &mc); errors.Is(err, store.ErrConflict) {
			return Defined{}, errRaced
		} else if err != nil {
			return Defined{}, err
		}
	}
	res, err := eng.PutStateMachine(ctx, d.Name, d.Source, d.Format)
	if err != nil {
		return Defined{}, err
	}
	if d.Existing && res.Outcome == store.Created {
		// The state machine was deleted between the look above and the
		// put, which made it again: an update of a deleted machine is
		// refused, so the put is taken back.
		if err := eng.DeleteStateMachine(ctx, d.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return Defined{}, err
		}
		return Defined{}, fmt.Errorf("state machine %s was deleted: %w", d.Name, store.ErrNotFound)
	}
	if !exists && res.Outcome != store.Created {
		// Another upload created the name between the look above and
		// this put, and its document or this one's reset stands: one of
		// another type is a conflict, as asking another type is.
		if mc, err = m.Machine(ctx, d.Name); err != nil {
			return Defined{}, err
		}
		if TypeOf(mc) != typ {
			return Defined{}, &TypeError{Name: d.Name, Have: TypeOf(mc), Asked: typ}
		}
	}
	if res.Outcome == store.Created {
		// Also when the name existed at the look above and was deleted
		// since: this is a new state machine, with a fresh document.
		if mc, err = m.UpdateMachine(ctx, d.Name, func(mc *Machine) error {
			mc.replace(fresh) // also over a reset another upload wrote since
			mc.FirstRevision = res.StateMachine.Version
			return nil
		}); err != nil {
			return Defined{}, err
		}
	}
	now := d.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, name := range res.Activities {
		if _, _, err := m.CreateActivity(ctx, name, Activity{CreatedAt: now.UTC()}); err != nil {
			return Defined{}, err
		}
	}
	return Defined{PutResult: res, Machine: mc}, nil
}

// ResetMachine replaces a state machine's document with fresh, as a new
// state machine has: fresh's type (STANDARD when empty), role, tags,
// logging and tracing, no published versions or aliases, numbering from
// 1, no first revision yet. It is written before the new state machine's
// definition, so that a document left by a delete that failed half-way
// never shows under the new state machine.
func (m *Meta) ResetMachine(ctx context.Context, name string, fresh Machine) (Machine, error) {
	return m.UpdateMachine(ctx, name, func(mc *Machine) error {
		mc.replace(fresh)
		return nil
	})
}

// replace makes mc the document of a new state machine from fresh, keeping
// the store revision mc was read at (UpdateMachine writes over it).
func (mc *Machine) replace(fresh Machine) {
	rev := mc.rev
	*mc = fresh
	mc.Type = TypeOf(fresh)
	mc.Published, mc.Aliases = nil, nil
	mc.NextNumber, mc.FirstRevision = 1, 0
	mc.rev = rev
}

// expressCheck refuses what an EXPRESS machine cannot run as
// express.Check's error. A definition that does not load is left to the
// engine, which reports all its problems.
func expressCheck(source []byte, format dsl.Format) error {
	def, problems := dsl.Load(source, dsl.Options{Format: format})
	if def == nil || problems.HasErrors() {
		return nil
	}
	return express.Check(def)
}
