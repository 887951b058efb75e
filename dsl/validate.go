package dsl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// Codes used only by the semantic rules.
const (
	// CodeMissingEnd is AWS's code for a scope in which no state ends it.
	CodeMissingEnd = "MISSING_END_STATE"
)

// maxStateName is AWS's limit on a state's name, in characters.
const maxStateName = 80

// errorAll matches every error; it must stand alone in the last retrier or catcher.
const errorAll = "States.ALL"

// validate checks the rules the schema cannot express: state names are
// unique, transitions stay in their scope and name existing states, Next and
// End are used correctly, retriers and catchers are well formed, mutually
// exclusive fields are not combined, and every state is reachable. Every problem is reported; none
// stops the others.
//
// The compiled model drops what it could not compile, so the rules that must
// see exactly what was written (is a field present? which element of
// ErrorEquals?) read the source value beside it.
func (c *compiler) validate(d *Definition) {
	root, ok := d.Source.(*value.Object)
	if !ok {
		return
	}
	v := validator{c: c, root: root, scopes: map[string]string{}, first: map[string]string{}, broken: map[*Machine]int{}, elsewhere: map[string]bool{}}
	v.collectNames(&d.Machine)
	if n, ok := root.Get("TimeoutSeconds"); ok {
		if i, isInt := numberInt(n); isInt && i <= 0 && !c.schemaBad["/TimeoutSeconds"] {
			c.errorf("/TimeoutSeconds", CodeSchema, "TimeoutSeconds must be a positive number of seconds, got %d; remove it for no execution timeout", i)
		}
		v.maxSeconds(root, "", "TimeoutSeconds", CodeSchema)
	}
	v.machine(&d.Machine)
	v.scopeVariables(&d.Machine, nil)
}

// validator carries what the rules share across scopes.
type validator struct {
	c    *compiler
	root *value.Object
	// broken counts each scope's transition mistakes (a target that does
	// not exist, a state without Next or End). Its graph is then
	// incomplete, so it is not also told that it has no end or that states
	// are unreachable: one mistake, one problem.
	broken map[*Machine]int
	// elsewhere holds the names that a transition tried to reach in another
	// scope: that mistake is already reported, so the target is not also
	// called unreachable.
	elsewhere map[string]bool
	// scopes maps every state name to the pointer of a scope that holds it,
	// to explain a transition that tries to leave its scope.
	scopes map[string]string
	// first maps every state name to the pointer of its first definition.
	first map[string]string
}

// collectNames records the scope of every state, in source order, and
// reports a name used twice: state names are unique in the whole state
// machine, across Parallel branches and Map processors (ASL specification;
// AWS answers DUPLICATE_STATE_NAME). The second and later uses are reported.
func (v *validator) collectNames(m *Machine) {
	for _, name := range m.Names {
		s := m.States[name]
		if _, seen := v.scopes[name]; !seen {
			v.scopes[name] = m.Pointer
			v.first[name] = s.Pointer
		} else {
			v.c.keyErrorf(s.Pointer, CodeDuplicateName, "Duplicate State name: %q (first defined at %s); state names must be unique in the whole state machine, Parallel branches and Map processors included", name, v.first[name])
		}
		for _, b := range s.Branches {
			v.collectNames(b)
		}
		if s.Processor != nil {
			v.collectNames(s.Processor)
		}
	}
}

// machine checks one scope and, recursively, the scopes inside its states.
func (v *validator) machine(m *Machine) {
	c := v.c
	src := lookupObject(v.root, m.Pointer)
	if src == nil {
		return
	}
	statesPtr := m.Pointer + "/States"
	startOK := false
	if raw, ok := src.Get("StartAt"); !ok {
		if !c.schemaBad[m.Pointer] {
			c.keyErrorf(m.Pointer, CodeSchema, "StartAt is required: name the first state to run%s", suggestStart(m))
		}
	} else if _, isStr := raw.(string); isStr {
		startOK = v.target(m, m.Pointer+"/StartAt", "StartAt", m.StartAt)
	}

	statesObj, _ := getObject(src, "States")
	for _, name := range m.Names {
		s := m.States[name]
		so, _ := getObject(statesObj, name)
		if so == nil {
			continue
		}
		v.name(s)
		v.transitions(m, s, so)
		switch s.Kind {
		case Task:
			v.task(s, so)
		case Wait:
			v.wait(s, so)
		case Fail:
			v.exclusive(s, so, CodeSchema, "Error", "ErrorPath")
			v.exclusive(s, so, CodeSchema, "Cause", "CausePath")
		case Parallel:
			for _, b := range s.Branches {
				v.machine(b)
			}
		case Map:
			v.exclusive(s, so, CodeInvalidMap, "MaxConcurrency", "MaxConcurrencyPath")
			v.exclusive(s, so, CodeInvalidMap, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
			v.exclusive(s, so, CodeInvalidMap, "ToleratedFailureCount", "ToleratedFailureCountPath")
			if s.Processor != nil {
				v.machine(s.Processor)
			}
		}
		switch s.Kind {
		case Task, Parallel, Map:
			v.retry(s, so)
			v.catch(m, s, so)
		}
	}

	if v.broken[m] > 0 || len(m.Names) == 0 {
		return
	}
	if v.ends(m, statesObj) && startOK && !v.schemaBadStates(m) {
		v.reachable(m, statesPtr)
	}
}

// schemaBadStates reports whether the schema found a mistake in one of m's
// states (not in the scopes nested in them). A misspelt or mistyped field
// may be the transition that was meant, so the states it would have reached
// are not also called unreachable: one mistake, one problem.
func (v *validator) schemaBadStates(m *Machine) bool {
	for bad := range v.c.schemaBad {
		for _, name := range m.Names {
			s := m.States[name]
			if bad != s.Pointer && !strings.HasPrefix(bad, s.Pointer+"/") {
				continue
			}
			if !withinScopes(bad, s) {
				return true
			}
		}
	}
	return false
}

// withinScopes reports whether ptr lies inside one of the scopes nested in
// s (a Parallel branch or a Map processor).
func withinScopes(ptr string, s *State) bool {
	scopes := s.Branches
	if s.Processor != nil {
		scopes = append(scopes[:len(scopes):len(scopes)], s.Processor)
	}
	for _, b := range scopes {
		if ptr == b.Pointer || strings.HasPrefix(ptr, b.Pointer+"/") {
			return true
		}
	}
	return false
}

// target checks that a transition names a state of its own scope and
// reports whether it does.
func (v *validator) target(m *Machine, ptr, field, name string) bool {
	if v.c.schemaBad[ptr] {
		return false
	}
	if _, ok := m.States[name]; ok {
		return true
	}
	var hint string
	if other, ok := v.scopes[name]; ok {
		v.elsewhere[name] = true
		where := "the top level"
		if other != "" {
			where = other
		}
		hint = fmt.Sprintf("; %q belongs to %s, and transitions cannot leave their own scope", name, where)
	} else if close := closeNames(name, m.Names); len(close) > 0 {
		hint = "; did you mean " + quoteList(close, "or") + "?"
	} else if len(m.Names) > 0 && len(m.Names) <= 8 {
		hint = "; the states here are " + quoteList(m.Names, "and")
	}
	v.broken[m]++
	v.c.errorf(ptr, CodeMissingTarget, "%s names state %q, which does not exist in this scope%s", field, name, hint)
	return false
}

// suggestStart proposes the first state as StartAt.
func suggestStart(m *Machine) string {
	if len(m.Names) == 0 {
		return ""
	}
	return fmt.Sprintf(", e.g. StartAt: %q", m.Names[0])
}

func (v *validator) name(s *State) {
	n := utf8.RuneCountInString(s.Name)
	switch {
	case n == 0:
		v.c.keyErrorf(s.Pointer, CodeInvalidName, "a state name must not be empty")
	case n > maxStateName:
		v.c.keyErrorf(s.Pointer, CodeInvalidName, "state name is %d characters long; the limit is %d", n, maxStateName)
	}
}

// transitions checks Next, End and Default.
func (v *validator) transitions(m *Machine, s *State, so *value.Object) {
	c := v.c
	nextPtr, endPtr := s.Pointer+"/Next", s.Pointer+"/End"
	nextRaw, hasNext := so.Get("Next")
	endRaw, hasEnd := so.Get("End")
	_, nextIsStr := nextRaw.(string)
	switch s.Kind {
	case Pass, Task, Wait, Parallel, Map:
		if hasEnd && !c.schemaBad[endPtr] {
			if b, ok := endRaw.(bool); ok && !b {
				// AWS's schema only knows End: true; false is a
				// half-finished edit, so say what to do instead.
				if hasNext {
					c.keyErrorf(endPtr, CodeInvalidTransition, "End must be true when present; remove \"End: false\" (Next already says where to go)")
				} else {
					c.keyErrorf(endPtr, CodeInvalidTransition, "End must be true when present; use \"End: true\" to end here, or replace End with Next")
				}
				hasEnd = false
			} else if hasNext {
				c.keyErrorf(endPtr, CodeInvalidTransition, "%s state %q has both Next and End; keep exactly one", s.Kind, s.Name)
			}
		} else if !hasNext && !hasEnd {
			v.broken[m]++
			c.keyErrorf(s.Pointer, CodeInvalidTransition, "%s state %q needs a transition: add Next (the state to run after it) or End: true", s.Kind, s.Name)
		}
		if hasNext && nextIsStr {
			v.target(m, nextPtr, "Next", s.Next)
		}
	case Choice, Succeed, Fail:
		why := "a " + string(s.Kind) + " state ends its scope"
		if s.Kind == Choice {
			why = "a Choice state goes where its Choices and Default say"
		}
		if hasNext && !c.schemaBad[nextPtr] {
			c.keyErrorf(nextPtr, CodeInvalidTransition, "%s state %q must not have Next: %s", s.Kind, s.Name, why)
		}
		if hasEnd && !c.schemaBad[endPtr] {
			c.keyErrorf(endPtr, CodeInvalidTransition, "%s state %q must not have End: %s", s.Kind, s.Name, why)
		}
	}
	if s.Kind == Choice {
		if raw, ok := so.Get("Default"); ok {
			if _, isStr := raw.(string); isStr {
				v.target(m, s.Pointer+"/Default", "Default", s.Default)
			}
		}
		rules, _ := getArray(so, "Choices")
		for i, r := range rules {
			ro, ok := r.(*value.Object)
			if !ok {
				continue
			}
			if next, ok := ro.Get("Next"); ok {
				if name, isStr := next.(string); isStr {
					v.target(m, fmt.Sprintf("%s/Choices/%d/Next", s.Pointer, i), "Next", name)
				}
			}
		}
	}
}

// successors lists the states a state may go to, for reachability. A Next
// that is itself reported as misplaced still counts, so that one mistake
// gives one problem rather than a second warning about its target.
func successors(s *State, so *value.Object) []string {
	var out []string
	if n, ok := so.Get("Next"); ok {
		if name, ok := n.(string); ok {
			out = append(out, name)
		}
	}
	if s.Kind == Choice {
		if d, ok := so.Get("Default"); ok {
			if name, ok := d.(string); ok {
				out = append(out, name)
			}
		}
		rules, _ := getArray(so, "Choices")
		for _, r := range rules {
			if ro, ok := r.(*value.Object); ok {
				if n, ok := ro.Get("Next"); ok {
					if name, ok := n.(string); ok {
						out = append(out, name)
					}
				}
			}
		}
	}
	catchers, _ := getArray(so, "Catch")
	for _, ct := range catchers {
		if co, ok := ct.(*value.Object); ok {
			if n, ok := co.Get("Next"); ok {
				if name, ok := n.(string); ok {
					out = append(out, name)
				}
			}
		}
	}
	return out
}

// reachable refuses states that no transition reaches from StartAt, with
// AWS's code and message: AWS refuses them too ("MISSING_TRANSITION_TARGET:
// State "X" is not reachable.").
func (v *validator) reachable(m *Machine, statesPtr string) {
	src := v.stateObjects(m)
	seen := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		s, ok := m.States[name]
		if !ok || src[name] == nil {
			continue
		}
		for _, next := range successors(s, src[name]) {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, name := range m.Names {
		if !seen[name] && !v.elsewhere[name] {
			v.c.keyErrorf(statesPtr+"/"+escapePointer(name), CodeMissingTarget, "State \"%s\" is not reachable.", name)
		}
	}
}

// stateObjects maps each state of m to its source object.
func (v *validator) stateObjects(m *Machine) map[string]*value.Object {
	out := make(map[string]*value.Object, len(m.Names))
	scope := lookupObject(v.root, m.Pointer)
	states, _ := getObject(scope, "States")
	for _, name := range m.Names {
		if so, ok := getObject(states, name); ok {
			out[name] = so
		}
	}
	return out
}

// ends reports a scope in which no state can end it: every run would loop
// forever (AWS refuses these too). It reports whether the scope can end.
func (v *validator) ends(m *Machine, statesObj *value.Object) bool {
	for _, name := range m.Names {
		s := m.States[name]
		if s.IsTerminal() {
			return true
		}
		if so, ok := getObject(statesObj, name); ok && (so.Has("End") || s.Kind == "") {
			return true // already reported as a bad End, or a state of unknown kind
		}
	}
	v.c.keyErrorf(m.Pointer+"/States", CodeMissingEnd, "no state here ends the workflow: give one state End: true, or add a Succeed or Fail state")
	return false
}

func (v *validator) task(s *State, so *value.Object) {
	v.exclusive(s, so, CodeSchema, "TimeoutSeconds", "TimeoutSecondsPath")
	v.exclusive(s, so, CodeSchema, "HeartbeatSeconds", "HeartbeatSecondsPath")
	v.maxSeconds(so, s.Pointer, "TimeoutSeconds", CodeSchema)
	v.maxSeconds(so, s.Pointer, "HeartbeatSeconds", CodeSchema)
	t, tok := getInt(so, "TimeoutSeconds")
	h, hok := getInt(so, "HeartbeatSeconds")
	if tok && hok && h >= t && !v.c.schemaBad[s.Pointer+"/HeartbeatSeconds"] && !v.c.schemaBad[s.Pointer+"/TimeoutSeconds"] {
		v.c.errorf(s.Pointer+"/HeartbeatSeconds", CodeSchema, "HeartbeatSeconds (%d) must be less than TimeoutSeconds (%d)", h, t)
	}
}

// waitFields are a Wait state's alternatives; exactly one is allowed.
var waitFields = []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}

func (v *validator) wait(s *State, so *value.Object) {
	v.maxSeconds(so, s.Pointer, "Seconds", CodeInvalidWait)
	var present []string
	for _, k := range waitFields {
		if so.Has(k) {
			present = append(present, k)
		}
	}
	if len(present) == 0 {
		if !v.c.schemaBad[s.Pointer] {
			v.c.keyErrorf(s.Pointer, CodeInvalidWait, "Wait state %q needs one of Seconds, SecondsPath, Timestamp or TimestampPath", s.Name)
		}
		return
	}
	for _, k := range present[1:] {
		v.c.keyErrorf(s.Pointer+"/"+k, CodeInvalidWait, "Wait state %q has both %s and %s; use exactly one of Seconds, SecondsPath, Timestamp and TimestampPath", s.Name, present[0], k)
	}
}

// maxSeconds refuses a number of seconds k of the object at ptr above
// MaxSeconds, AWS's bound, including integers too large for any integer
// type (1e30): the engine would otherwise wrap the duration and finish a
// 400-year Wait at once. Values below the minimum are the schema's to report.
func (v *validator) maxSeconds(o *value.Object, ptr, k, code string) {
	raw, ok := o.Get(k)
	n, isNum := raw.(value.Number)
	if !ok || !isNum || !n.IsInteger() || v.c.schemaBad[ptr+"/"+k] {
		return
	}
	if i, fits := n.Int64(); fits && i <= MaxSeconds || n.Float64() < 0 {
		return
	}
	v.c.errorf(ptr+"/"+k, code, "%s must be at most %d seconds (a little over 3 years, AWS's limit), got %s", k, MaxSeconds, n)
}

// exclusive reports a field given both literally and as a path.
func (v *validator) exclusive(s *State, so *value.Object, code, lit, path string) {
	if so.Has(lit) && so.Has(path) && !v.c.schemaBad[s.Pointer+"/"+path] {
		v.c.keyErrorf(s.Pointer+"/"+path, code, "%s and %s are mutually exclusive; keep one", lit, path)
	}
}

func (v *validator) retry(s *State, so *value.Object) {
	list, _ := getArray(so, "Retry")
	for i, r := range list {
		ro, ok := r.(*value.Object)
		if !ok {
			continue
		}
		ptr := fmt.Sprintf("%s/Retry/%d", s.Pointer, i)
		v.errorEquals(ro, ptr, "retrier", i == len(list)-1)
		v.inRange(ro, ptr, "IntervalSeconds", 1, maxRetryNumber, "a positive number of seconds")
		v.inRange(ro, ptr, "MaxAttempts", 0, maxRetryNumber, "a number of retries (0 never retries)")
		if n, ok := ro.Get("BackoffRate"); ok {
			if num, isNum := n.(value.Number); isNum && num.Float64() < 1 && !v.c.schemaBad[ptr+"/BackoffRate"] {
				v.c.errorf(ptr+"/BackoffRate", CodeInvalidRetrier, "BackoffRate must be 1.0 or more, got %s", num)
			}
		}
		v.inRange(ro, ptr, "MaxDelaySeconds", 1, maxDelaySeconds, "a positive number of seconds")
		v.inRange(ro, ptr, "MaxElapsedSeconds", 1, maxRetryNumber, "a positive number of seconds")
	}
}

// AWS's limits on a retrier's integers (the schema has the same bounds):
// IntervalSeconds and MaxAttempts at most 99999999, MaxDelaySeconds more
// than 0 and less than 31622401.
const (
	maxRetryNumber  = 99999999
	maxDelaySeconds = 31622400
)

// inRange reports an integer retrier field outside [min, max].
func (v *validator) inRange(ro *value.Object, ptr, k string, min, max int64, want string) {
	if i, ok := getInt(ro, k); ok && (i < min || i > max) && !v.c.schemaBad[ptr+"/"+k] {
		v.c.errorf(ptr+"/"+k, CodeInvalidRetrier, "%s must be %s from %d to %d, got %d", k, want, min, max, i)
	}
}

func (v *validator) catch(m *Machine, s *State, so *value.Object) {
	list, _ := getArray(so, "Catch")
	for i, r := range list {
		co, ok := r.(*value.Object)
		if !ok {
			continue
		}
		ptr := fmt.Sprintf("%s/Catch/%d", s.Pointer, i)
		v.errorEquals(co, ptr, "catcher", i == len(list)-1)
		if n, ok := co.Get("Next"); ok {
			if name, isStr := n.(string); isStr {
				v.target(m, ptr+"/Next", "Next", name)
			}
		} else if !v.c.schemaBad[ptr] {
			v.c.keyErrorf(ptr, CodeInvalidTransition, "a catcher needs Next: the state to run when it catches an error")
		}
	}
}

// errorEquals checks one retrier's or catcher's ErrorEquals.
func (v *validator) errorEquals(o *value.Object, ptr, what string, last bool) {
	c := v.c
	eptr := ptr + "/ErrorEquals"
	raw, ok := o.Get("ErrorEquals")
	if !ok {
		if !c.schemaBad[ptr] {
			c.keyErrorf(ptr, CodeInvalidErrorEquals, "a %s needs ErrorEquals, e.g. [\"States.ALL\"]", what)
		}
		return
	}
	list, ok := raw.([]any)
	if !ok || c.schemaBad[eptr] {
		return
	}
	if len(list) == 0 {
		c.errorf(eptr, CodeInvalidErrorEquals, "ErrorEquals must name at least one error, e.g. \"States.ALL\"")
		return
	}
	for j, e := range list {
		if e != errorAll {
			continue
		}
		jptr := fmt.Sprintf("%s/%d", eptr, j)
		switch {
		case len(list) > 1:
			c.errorf(jptr, CodeInvalidErrorEquals, "States.ALL matches every error, so it must be alone in ErrorEquals; remove the other names or use a separate %s", what)
		case !last:
			c.errorf(jptr, CodeInvalidErrorEquals, "States.ALL matches every error, so it must be in the last %s; the ones after it would never run", what)
		}
	}
}

// closeNames returns up to three names near name, nearest first: a small
// edit distance (ignoring case) or a prefix.
func closeNames(name string, names []string) []string {
	type cand struct {
		n string
		d int
	}
	var cs []cand
	lower := strings.ToLower(name)
	for _, n := range names {
		d := editDistance(lower, strings.ToLower(n))
		// A third of the name may be mistyped, but never all of it:
		// "X" is not a typo of "A".
		limit := max(1, utf8.RuneCountInString(name)/3)
		typo := d <= limit && d < utf8.RuneCountInString(n) && d < utf8.RuneCountInString(name)
		if typo || (len(lower) >= 3 && strings.HasPrefix(strings.ToLower(n), lower)) {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].n)
	}
	return out
}

// editDistance is the optimal string alignment distance between a and b, in
// runes: insertions, deletions, substitutions and swaps of neighbours each
// count one, since "Chrage" is one slip away from "Charge".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// quoteList quotes names and joins them: "a", "b" and "c".
func quoteList(names []string, conj string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

func getObject(o *value.Object, k string) (*value.Object, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Get(k)
	if !ok {
		return nil, false
	}
	vo, ok := v.(*value.Object)
	return vo, ok
}

func getArray(o *value.Object, k string) ([]any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Get(k)
	if !ok {
		return nil, false
	}
	a, ok := v.([]any)
	return a, ok
}

func getInt(o *value.Object, k string) (int64, bool) {
	v, ok := o.Get(k)
	if !ok {
		return 0, false
	}
	return numberInt(v)
}

func numberInt(v value.Value) (int64, bool) {
	n, ok := v.(value.Number)
	if !ok {
		return 0, false
	}
	return n.Int64()
}

// lookupObject follows a JSON Pointer from root to an object.
func lookupObject(root *value.Object, ptr string) *value.Object {
	var cur value.Value = root
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			if strings.Contains(tok, "~") {
				tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			}
			switch t := cur.(type) {
			case *value.Object:
				next, ok := t.Get(tok)
				if !ok {
					return nil
				}
				cur = next
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(t) {
					return nil
				}
				cur = t[i]
			default:
				return nil
			}
		}
	}
	o, _ := cur.(*value.Object)
	return o
}
