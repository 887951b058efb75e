package teststate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
)

// singleStateName is the name a definition of one state runs under: the
// name AWS gives it ($$.State.Name is "StateName" in its answers).
const singleStateName = "StateName"

// load compiles the definition and finds the state to test: the definition
// is one state (an object with "Type") or a whole state machine (with
// "States"), whose state stateName (default StartAt) is tested; a state
// inside a Parallel branch or a Map's processor may be named too.
func load(text, stateName string) (*dsl.Definition, *dsl.State, error) {
	data := []byte(text)
	doc, srcProblems := source.Parse(data, dsl.Sniff)
	if len(srcProblems) > 0 {
		ps := make(dsl.Problems, 0, len(srcProblems))
		for _, p := range srcProblems {
			ps = append(ps, dsl.Problem{Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Path,
				Code: dsl.CodeSyntax, Severity: dsl.SeverityError, Message: p.Message})
		}
		return nil, nil, invalidDefinition(ps)
	}
	root, ok := doc.Root.(*value.Object)
	if !ok {
		return nil, nil, &ValidationError{Field: "definition", Definition: true,
			Message: fmt.Sprintf("is %s, not a state (an object with Type) or a state machine (an object with StartAt and States)", value.TypeName(doc.Root))}
	}
	if root.Has("States") {
		def, ps := dsl.Load(data, dsl.Options{Format: dsl.Sniff})
		if def == nil {
			return nil, nil, invalidDefinition(ps)
		}
		if stateName == "" {
			stateName = def.StartAt
		}
		s := findState(&def.Machine, stateName)
		if s == nil {
			return nil, nil, &ValidationError{Field: "stateName", Message: fmt.Sprintf("the state machine has no state named %q", stateName)}
		}
		return def, s, nil
	}
	if !root.Has("Type") {
		return nil, nil, &ValidationError{Field: "definition", Definition: true,
			Message: "is neither a state (an object with Type) nor a state machine (an object with StartAt and States)"}
	}
	if stateName != "" {
		return nil, nil, &ValidationError{Field: "stateName",
			Message: "names a state of a state machine, and the definition is a single state: give the whole state machine, or leave stateName out"}
	}
	return loadSingle(text, root, doc)
}

// loadSingle compiles one state as the only state of a state machine, with
// a Succeed state standing in for each state it names (Next, Default, a
// choice rule's or a catcher's Next), so that the transitions a state
// machine would check resolve. Problems point into the state's own text:
// a JSON state is wrapped as text on its first line, so that dsl places
// every problem exactly; a YAML one is wrapped as a value, and its
// problems are placed at the value they point to.
func loadSingle(text string, state *value.Object, doc *source.Document) (*dsl.Definition, *dsl.State, error) {
	targets := transitionTargets(state)
	name := singleStateName
	for i := 2; targets[name]; i++ {
		name = fmt.Sprintf("%s%d", singleStateName, i)
	}
	names := slices.Sorted(maps.Keys(targets))
	var def *dsl.Definition
	var ps dsl.Problems
	shift := 0 // columns the wrapping adds before the state on line 1
	if doc.Format == dsl.JSON {
		var b strings.Builder
		b.WriteString(`{"StartAt":` + value.MarshalString(name) + `,"States":{` + value.MarshalString(name) + `:`)
		shift = b.Len()
		b.WriteString(strings.TrimPrefix(text, "\uFEFF"))
		for _, n := range names {
			b.WriteString("\n," + value.MarshalString(n) + `:{"Type":"Succeed"}`)
		}
		b.WriteString("}}")
		def, ps = dsl.Load([]byte(b.String()), dsl.Options{Format: dsl.JSON})
	} else {
		states := value.NewObject(len(names) + 1)
		states.Set(name, state)
		for _, n := range names {
			states.Set(n, value.ObjectOf("Type", "Succeed"))
		}
		def, ps = dsl.LoadValue(value.ObjectOf("StartAt", name, "States", states))
	}
	if def != nil {
		return def, def.States[name], nil
	}
	prefix := source.Child("/States", name)
	errs := ps.Errors()
	for i := range errs {
		p := &errs[i]
		if p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/") {
			p.Path = strings.TrimPrefix(p.Path, prefix)
		}
		if doc.Format != dsl.JSON {
			pos := doc.ValuePos(p.Path)
			p.Line, p.Column = pos.Line, pos.Column
		} else if p.Line == 1 {
			p.Column = max(p.Column-shift, 1)
		}
	}
	return nil, nil, invalidDefinition(errs)
}

// transitionTargets are the state names a state's transitions name.
func transitionTargets(state *value.Object) map[string]bool {
	out := map[string]bool{}
	add := func(o *value.Object, key string) {
		if o == nil {
			return
		}
		if v, ok := o.Get(key); ok {
			if s, ok := v.(string); ok && s != "" {
				out[s] = true
			}
		}
	}
	add(state, "Next")
	add(state, "Default")
	for _, list := range []string{"Choices", "Catch"} {
		v, _ := state.Get(list)
		arr, _ := v.([]any)
		for _, e := range arr {
			o, _ := e.(*value.Object)
			add(o, "Next")
		}
	}
	return out
}

// findState looks name up in m, then in the branches and processors of
// its states (in source order).
func findState(m *dsl.Machine, name string) *dsl.State {
	if s, ok := m.States[name]; ok {
		return s
	}
	for _, n := range m.Names {
		s := m.States[n]
		for _, b := range s.Branches {
			if found := findState(b, name); found != nil {
				return found
			}
		}
		if s.Processor != nil {
			if found := findState(s.Processor, name); found != nil {
				return found
			}
		}
	}
	return nil
}

func invalidDefinition(ps dsl.Problems) *ValidationError {
	errs := ps.Errors()
	return &ValidationError{Field: "definition", Definition: true, Problems: errs,
		Message: "is not a valid definition:\n" + errs.Error()}
}
