package interpreter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// A stored version keeps two forms of its definition. The canonical one
// (RFC 8785: keys sorted, numbers as ECMAScript prints them) is its
// identity: DefinitionSHA256 is computed over it, so a re-upload that only
// reorders keys or reformats is the same version. The uploaded text and its
// format are what runs: a Pass Result, a Parameters template and
// everything they produce keep the key order and the number digits of the
// definition, as execution data keeps those of its input. Versions stored
// by releases before the text was kept have the canonical form only, and
// run from it.

// sourceOf returns the stored text of a version and its format; ok is
// false for a version without one (or with a format this release does not
// know, which it then reads as the canonical form).
func sourceOf(sm store.StateMachine) (text []byte, f dsl.Format, ok bool) {
	if len(sm.Source) == 0 {
		return nil, dsl.Sniff, false
	}
	f, ok = dsl.ParseFormat(sm.SourceFormat)
	return sm.Source, f, ok
}

// CompileVersion compiles a stored version: from its uploaded text when it
// has one, else from its canonical form.
func CompileVersion(sm store.StateMachine) (*dsl.Definition, error) {
	var (
		def      *dsl.Definition
		problems dsl.Problems
	)
	if text, f, ok := sourceOf(sm); ok {
		def, problems = dsl.Load(text, dsl.Options{Format: f})
	} else {
		root, err := value.Decode(sm.Definition)
		if err != nil {
			return nil, fmt.Errorf("state machine %s version %d: stored definition: %w", sm.Name, sm.Version, err)
		}
		def, problems = dsl.LoadValue(root)
	}
	if def == nil {
		return nil, fmt.Errorf("state machine %s version %d: stored definition no longer compiles: %s", sm.Name, sm.Version, problems.Error())
	}
	return def, nil
}

// DefinitionJSON is a stored version's definition as clients read it: its
// uploaded text (JSON or YAML) as compact JSON, keys in their order and
// numbers as written; the canonical form for a version without a text or
// whose text no longer parses.
func DefinitionJSON(sm store.StateMachine) []byte {
	if text, f, ok := sourceOf(sm); ok {
		if doc, problems := source.Parse(text, f); len(problems) == 0 {
			return value.Append(make([]byte, 0, len(text)), doc.Root)
		}
	}
	return sm.Definition
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ValidName reports whether s is a valid state machine or execution name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// PutResult is what PutStateMachine did.
type PutResult struct {
	StateMachine store.StateMachine
	Outcome      store.PutResult
	Warnings     dsl.Problems
	// Activities names the activities the definition uses.
	Activities []string
}

// PutStateMachine validates a definition and stores it under name (a new
// version when it changed).
func (e *Engine) PutStateMachine(ctx context.Context, name string, source []byte, format dsl.Format) (PutResult, error) {
	if !ValidName(name) {
		return PutResult{}, fmt.Errorf("state machine name %q: %w", name, ErrInvalidName)
	}
	def, problems := dsl.Load(source, dsl.Options{Format: format})
	if problems.HasErrors() {
		return PutResult{}, &InvalidDefinitionError{Problems: problems.Errors()}
	}
	e.forgetLatest(name)
	defer e.forgetLatest(name) // also after the write: no start here sees the old version
	canon := value.Canonical(def.Source)
	sum := sha256.Sum256(canon)
	sm, outcome, err := e.store.PutStateMachine(ctx, store.StateMachine{
		Name: name, DefinitionSHA256: hex.EncodeToString(sum[:]), Definition: canon,
		Source: source, SourceFormat: def.Format.String(), UpdatedAt: e.cfg.Clock.Now().UTC(),
	})
	if err != nil {
		return PutResult{}, err
	}
	return PutResult{StateMachine: sm, Outcome: outcome, Warnings: problems, Activities: def.Activities}, nil
}

// definition returns the compiled definition of a state machine version,
// compiling it once per node.
func (e *Engine) definition(ctx context.Context, name string, version int) (*dsl.Definition, error) {
	key := fmt.Sprintf("%s@%d", name, version)
	e.defsMu.RLock()
	def := e.defs[key]
	e.defsMu.RUnlock()
	if def != nil {
		return def, nil
	}
	sm, err := e.store.GetStateMachineVersion(ctx, name, version)
	if err != nil {
		return nil, err
	}
	def, err = CompileVersion(sm) // from the uploaded text: key order and numbers as written
	if err != nil {
		return nil, err
	}
	e.defsMu.Lock()
	e.defs[key] = def
	e.defsMu.Unlock()
	return def, nil
}

// latestTTL is how long a node trusts the latest version it read of a state
// machine. Starts on this node see its own PUT and DELETE at once; a change
// made on another node reaches this node's starts within latestTTL. It saves
// a store round trip (and the definition's bytes) on every start.
const latestTTL = 250 * time.Millisecond

type latestEntry struct {
	version int
	until   time.Time
}

func (e *Engine) latestVersion(ctx context.Context, name string) (int, error) {
	now := time.Now()
	e.latestMu.Lock()
	ent, ok := e.latest[name]
	e.latestMu.Unlock()
	if ok && now.Before(ent.until) {
		return ent.version, nil
	}
	sm, err := e.store.GetStateMachine(ctx, name, 0)
	if err != nil {
		return 0, err
	}
	e.latestMu.Lock()
	if len(e.latest) > 10000 {
		clear(e.latest) // bounded: names come from users
	}
	e.latest[name] = latestEntry{version: sm.Version, until: now.Add(latestTTL)}
	e.latestMu.Unlock()
	return sm.Version, nil
}

func (e *Engine) forgetLatest(name string) {
	e.latestMu.Lock()
	delete(e.latest, name)
	e.latestMu.Unlock()
}

// DeleteStateMachine deletes a state machine; running executions finish on
// their pinned version.
func (e *Engine) DeleteStateMachine(ctx context.Context, name string) error {
	e.forgetLatest(name)
	defer e.forgetLatest(name)
	return e.store.DeleteStateMachine(ctx, name)
}
