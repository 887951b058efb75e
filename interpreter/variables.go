package interpreter

import (
	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// Workflow variables live in the threads of the record: each thread (the
// top level, a Parallel branch, a Map iteration) holds the variables its
// states assigned (thread.Vars, an object in assignment order), and a
// state reads them through its thread and then its ancestors, so a branch
// or iteration reads the outer variables and what it assigns stays in its
// own thread, dropped with it. (The definition cannot assign an outer name
// inside: dsl refuses that at upload, so a lookup never finds a shadowed
// value.) A state's Assign is evaluated with the values from before the
// state, and applied when it exits (setVars), in the same step as its
// …StateExited event: the committed record holds exactly the values the
// history says were assigned, and a crash, a takeover or a redrive resumes
// with them.

// scope is the variables a thread's state reads: its own, then its
// parent's, up to the top level. It implements intrinsic.Variables.
type scope struct {
	r *run
	t *thread
}

func (s scope) Lookup(name string) (value.Value, bool) {
	for t := s.t; t != nil; t = s.r.threads[t.Parent] {
		if t.Vars != nil {
			if o, ok := t.Vars.V.(*value.Object); ok {
				if v, ok := o.Get(name); ok {
					return v, true
				}
			}
		}
		if t.Parent < 0 {
			break
		}
	}
	return nil, false
}

// checkVars refuses an assignment that would take the variables of the
// whole execution over dsl.MaxVariables bytes (one Assign is bounded to
// dsl.MaxAssign as it is built). AWS fails such a state with
// States.DataLimitExceeded. Otherwise it returns thread t's variables with
// vars assigned (mergeVars), for setVars to store: nil when there is
// nothing to store (no Assign, or an empty one).
func (r *run) checkVars(t *thread, vars *value.Object) (*value.Object, *failure.Error) {
	if vars == nil {
		return nil, nil
	}
	total := 0
	for _, th := range r.threads {
		if th.Vars == nil || th == t {
			continue
		}
		n, _, _ := value.Measure(th.Vars.V, value.Unlimited, value.Unlimited)
		total += n
	}
	merged := mergeVars(t, vars)
	n, _, _ := value.Measure(merged, value.Unlimited, value.Unlimited)
	if total+n > dsl.MaxVariables {
		return nil, failure.Newf(failure.DataLimitExceeded, "The variables of the execution would take %d bytes, more than the maximum of %d bytes", total+n, dsl.MaxVariables)
	}
	if vars.Len() == 0 {
		return nil, nil
	}
	return merged, nil
}

// mergeVars is thread t's variables with vars assigned: a new object (the
// old one may be shared with the record cache's decoded threads), names
// in order of first assignment.
func mergeVars(t *thread, vars *value.Object) *value.Object {
	var old *value.Object
	if t.Vars != nil {
		old, _ = t.Vars.V.(*value.Object)
	}
	n := vars.Len()
	if old != nil {
		n += old.Len()
	}
	out := value.NewObject(n)
	if old != nil {
		for _, m := range old.Members() {
			out.Set(m.Key, m.Value)
		}
	}
	for _, m := range vars.Members() {
		out.Set(m.Key, m.Value)
	}
	return out
}

// setVars applies an Assign's values as its state exits: merged is what
// checkVars returned (nil, for no Assign or an empty one, changes
// nothing). A record that holds variables is written in the encoding that
// has them (encodingVariables, or a later one that the record needs for
// something else): a node of an earlier release refuses it
// instead of running on without them.
func (r *run) setVars(t *thread, merged *value.Object) {
	if merged == nil {
		return
	}
	t.Vars = &jv{merged}
	r.hdr.Enc = max(r.hdr.Enc, encodingVariables)
	r.touch(t)
}

// assigned writes an exited event's assignedVariables (each value as JSON
// text) and assignedVariablesDetails, as AWS records them.
func (w *eventWriter) assigned(vars *value.Object) *eventWriter {
	if vars == nil {
		return w
	}
	w.buf = append(w.buf, `,"assignedVariables":{`...)
	for i, m := range vars.Members() {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = value.AppendString(w.buf, m.Key)
		w.buf = append(w.buf, ':')
		w.buf = value.AppendString(w.buf, value.MarshalString(m.Value))
	}
	w.buf = append(w.buf, `},"assignedVariablesDetails":{"truncated":false}`...)
	return w
}
