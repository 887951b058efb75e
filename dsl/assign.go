package dsl

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Assign is a compiled Assign field: the workflow variables a state (a
// choice rule, a catcher) sets when it exits. In a JSONPath state it is a
// payload template whose top-level keys, without their ".$" suffix, name
// the variables.
type Assign struct {
	tmpl *Template
	// query is a JSONata state's Assign: each value a JSON value in which
	// "{% … %}" strings are expressions (tmpl is nil then).
	query *QueryTemplate
}

// MaxAssign is the most one Assign may set, and so the largest a variable
// may be: 256 KiB of JSON, AWS's limit.
const MaxAssign = 256 * 1024

// MaxVariables is the most the variables of one execution may hold in all,
// 10 MiB of JSON, AWS's limit.
const MaxVariables = 10 * 1024 * 1024

// ReservedVariable is the variable name AWS keeps for itself ($states, the
// state's input, result, error output and context in JSONata states).
const ReservedVariable = "states"

// Eval computes the variables' new values. env's Input is what "$" reads
// (the state's result, or the error output in a catcher) and env.Vars the
// values from before the state: every right-hand side sees those, never a
// value this same Assign sets. The result (names without ".$", in source
// order) is bounded by MaxAssign and value.MaxDepth while it is built
// (States.DataLimitExceeded).
func (a *Assign) Eval(env Env) (*value.Object, error) {
	env.MaxPayload = MaxAssign
	v, err := a.tmpl.Eval(env)
	if err != nil {
		return nil, err
	}
	o, _ := v.(*value.Object)
	if o == nil {
		o = value.NewObject(0)
	}
	return o, nil
}

// EvalQuery computes a JSONata Assign's values: every expression reads
// q's $states and the variables from before the state. Its causes name
// the fields "Assign/<name>".
func (a *Assign) EvalQuery(q *QueryScope) (*value.Object, error) {
	v, err := a.query.evalWithin(q, MaxAssign)
	if err != nil {
		return nil, err
	}
	o, _ := v.(*value.Object)
	if o == nil {
		o = value.NewObject(0)
	}
	return o, nil
}

// compileAssign compiles the Assign member of f: an object whose keys are
// valid variable names (with or without ".$") and not "states".
func (c *compiler) compileAssign(f fields) *Assign {
	o, ok := f.object("Assign")
	if !ok {
		return nil
	}
	a := &Assign{}
	for _, m := range o.Members() {
		name := strings.TrimSuffix(m.Key, ".$")
		ptr := f.ptrOf("Assign") + "/" + escapePointer(m.Key)
		switch {
		case name == ReservedVariable:
			c.keyErrorf(ptr, CodeInvalidVariable, "Assign: %q is reserved: $states holds the state's input, result and context in JSONata states and cannot be assigned", name)
		case !jsonpath.ValidVariableName(name):
			c.keyErrorf(ptr, CodeInvalidVariable, "Assign: %q is not a valid variable name: a letter or '_' first, then letters, digits or '_' (a Unicode identifier), at most %d characters", name, jsonpath.MaxVariableName)
		}
	}
	if c.jsonata {
		a.query = f.queryTemplate("Assign")
		return a
	}
	a.tmpl = f.template("Assign")
	return a
}

// assignedNames returns the variables state s sets, wherever it sets them
// (its own Assign, its choice rules', its catchers'), with the JSON
// Pointer of each Assign member.
func assignedNames(s *State, so *value.Object) map[string]string {
	out := map[string]string{}
	add := func(a *Assign, ptr string, obj *value.Object) {
		if a == nil || obj == nil {
			return
		}
		ao, _ := getObject(obj, "Assign")
		if ao == nil {
			return
		}
		for _, m := range ao.Members() {
			name := strings.TrimSuffix(m.Key, ".$")
			if _, seen := out[name]; !seen {
				out[name] = ptr + "/Assign/" + escapePointer(m.Key)
			}
		}
	}
	add(s.Assign, s.Pointer, so)
	rules, _ := getArray(so, "Choices")
	for i, r := range s.Choices {
		if i < len(rules) {
			ro, _ := rules[i].(*value.Object)
			add(r.Assign, fmt.Sprintf("%s/Choices/%d", s.Pointer, i), ro)
		}
	}
	catchers, _ := getArray(so, "Catch")
	for i, ct := range s.Catch {
		if i < len(catchers) {
			co, _ := catchers[i].(*value.Object)
			add(ct.Assign, fmt.Sprintf("%s/Catch/%d", s.Pointer, i), co)
		}
	}
	return out
}

// scopeVariables refuses an Assign in a Parallel branch or Map iteration
// that names a variable an enclosing scope assigns: inner scopes read the
// outer variables but may not assign (and so shadow) them, as AWS refuses
// such a definition. outer maps each outer name to where it is assigned.
func (v *validator) scopeVariables(m *Machine, outer map[string]string) {
	objs := v.stateObjects(m)
	here := map[string]string{}
	for _, name := range m.Names {
		s := m.States[name]
		if s == nil {
			continue
		}
		for vn, ptr := range assignedNames(s, objs[name]) {
			if at, ok := outer[vn]; ok {
				v.c.keyErrorf(ptr, CodeInvalidVariable, "variable %q is assigned in an outer scope (at %s): a Parallel branch or Map iteration may read an outer variable but not assign it; choose another name", vn, at)
				continue
			}
			if _, ok := here[vn]; !ok {
				here[vn] = ptr
			}
		}
	}
	inner := make(map[string]string, len(outer)+len(here))
	for k, p := range outer {
		inner[k] = p
	}
	for k, p := range here {
		inner[k] = p
	}
	for _, name := range m.Names {
		s := m.States[name]
		if s == nil {
			continue
		}
		for _, b := range s.Branches {
			v.scopeVariables(b, inner)
		}
		if s.Processor != nil {
			v.scopeVariables(s.Processor, inner)
		}
	}
}
