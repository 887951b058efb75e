// Package mockconfig reads AWS Step Functions Local's mock configuration
// file (MockConfigFile.json) and answers a test case's mocked task calls.
//
// The file names, per state machine, test cases; a test case maps state
// names to mocked responses; a mocked response maps call numbers of the
// state ("0", "1-2": from 0, inclusive ranges) to a Return (the task's
// result) or a Throw (an error and a cause):
//
//	{"StateMachines": {"Order": {"TestCases": {"HappyPath": {"Charge": "ChargeOK"}}}},
//	 "MockedResponses": {"ChargeOK": {"0": {"Return": {"status": "APPROVED"}}}}}
//
// A state that a test case does not name is not mocked: it runs for real.
// Every attempt of a state is a call, retries included, so that a Retry
// consumes call numbers as on AWS.
//
// One extension to AWS's format: an answer may have "Delay" (seconds,
// a number from 0 to 86400) next to its Return or Throw; the mocked call
// then answers that long after it is made (on the engine's clock), so
// that a mocked callback or activity can be slower than a timeout or a
// heartbeat, as the real one may be.
package mockconfig

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/source"
	"github.com/sfn-project/sfn/dsl/value"
)

// Config is a parsed mock configuration file.
type Config struct {
	machines  map[string]map[string]*TestCase // state machine -> test case
	responses map[string]*response
}

// TestCase is the mocks of one test case: a mocked response by state name.
type TestCase struct {
	Name   string
	states map[string]*response
}

// response is one mocked response: its answers by ranges of call numbers,
// sorted and disjoint.
type response struct {
	name    string
	answers []answer
}

// answer is a Return (result) or a Throw (err) for calls lo..hi, given
// after delay.
type answer struct {
	lo, hi int
	result json.RawMessage
	err    *failure.Error
	delay  time.Duration
}

// MaxDelay is the longest Delay an answer may have.
const MaxDelay = 24 * time.Hour

// Problem is one thing wrong in a mock configuration file, at a place in
// it: the file, the line and column, and the JSON Pointer.
type Problem struct {
	File    string
	Pos     source.Pos
	Pointer string
	Message string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Pos.Line, p.Pos.Column, pointerText(p.Pointer), p.Message)
}

func pointerText(ptr string) string {
	if ptr == "" {
		return "(root)"
	}
	return ptr
}

// Problems is every problem Parse found, in the order of the file's parts.
type Problems []*Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// parser collects problems with the positions of the parsed document.
type parser struct {
	file     string
	doc      *source.Document
	problems Problems
}

func (p *parser) bad(ptr, format string, a ...any) {
	p.problems = append(p.problems, &Problem{File: p.file, Pos: p.doc.ValuePos(ptr), Pointer: ptr, Message: fmt.Sprintf(format, a...)})
}

// badKey is a problem with a member's key rather than its value.
func (p *parser) badKey(ptr, format string, a ...any) {
	p.problems = append(p.problems, &Problem{File: p.file, Pos: p.doc.KeyPos(ptr), Pointer: ptr, Message: fmt.Sprintf(format, a...)})
}

// object is the value at ptr as an object, or a problem.
func (p *parser) object(v value.Value, ptr, what string) (*value.Object, bool) {
	o, ok := v.(*value.Object)
	if !ok {
		p.bad(ptr, "%s must be an object", what)
	}
	return o, ok
}

// Parse reads a mock configuration file (JSON, as AWS has it; YAML is read
// too). file names the file in problems. The error is Problems when the
// file can be read but is not a valid mock configuration.
func Parse(data []byte, file string) (*Config, error) {
	doc, syntax := source.Parse(data, source.Sniff)
	if len(syntax) > 0 {
		ps := make(Problems, len(syntax))
		for i, s := range syntax {
			ps[i] = &Problem{File: file, Pos: s.Pos, Pointer: s.Path, Message: s.Message}
		}
		return nil, ps
	}
	p := &parser{file: file, doc: doc}
	c := &Config{machines: map[string]map[string]*TestCase{}, responses: map[string]*response{}}
	root, ok := p.object(doc.Root, "", "a mock configuration")
	if !ok {
		return nil, p.problems
	}
	var machines, responses value.Value
	hasMachines, hasResponses := false, false
	for _, m := range root.Members() {
		switch m.Key {
		case "StateMachines":
			machines, hasMachines = m.Value, true
		case "MockedResponses":
			responses, hasResponses = m.Value, true
		default:
			p.badKey(source.Child("", m.Key), "unknown field %q: a mock configuration has StateMachines and MockedResponses", m.Key)
		}
	}
	if hasResponses {
		p.responses(c, responses)
	}
	if hasMachines {
		p.machines(c, machines)
	}
	if len(p.problems) > 0 {
		// MockedResponses are read first; report in the file's order.
		sort.SliceStable(p.problems, func(i, j int) bool {
			a, b := p.problems[i].Pos, p.problems[j].Pos
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, p.problems
	}
	return c, nil
}

// machines reads StateMachines; the mocked responses are read already, so
// that a test case's references are checked here.
func (p *parser) machines(c *Config, v value.Value) {
	const at = "/StateMachines"
	obj, ok := p.object(v, at, "StateMachines")
	if !ok {
		return
	}
	for _, sm := range obj.Members() {
		smPtr := source.Child(at, sm.Key)
		smObj, ok := p.object(sm.Value, smPtr, "a state machine")
		if !ok {
			continue
		}
		cases := map[string]*TestCase{}
		c.machines[sm.Key] = cases
		var tcs value.Value
		for _, f := range smObj.Members() {
			if f.Key != "TestCases" {
				p.badKey(source.Child(smPtr, f.Key), "unknown field %q: a state machine has TestCases", f.Key)
				continue
			}
			tcs = f.Value
		}
		if tcs == nil {
			p.bad(smPtr, "state machine %q has no TestCases", sm.Key)
			continue
		}
		tcsPtr := source.Child(smPtr, "TestCases")
		tcsObj, ok := p.object(tcs, tcsPtr, "TestCases")
		if !ok {
			continue
		}
		for _, tc := range tcsObj.Members() {
			tcPtr := source.Child(tcsPtr, tc.Key)
			tcObj, ok := p.object(tc.Value, tcPtr, "a test case (state names to mocked response names)")
			if !ok {
				continue
			}
			if tcObj.Len() == 0 {
				p.bad(tcPtr, "test case %q mocks no state", tc.Key)
				continue
			}
			t := &TestCase{Name: tc.Key, states: map[string]*response{}}
			cases[tc.Key] = t
			for _, st := range tcObj.Members() {
				stPtr := source.Child(tcPtr, st.Key)
				name, ok := st.Value.(string)
				if !ok {
					p.bad(stPtr, "state %q: give the name of a mocked response", st.Key)
					continue
				}
				r := c.responses[name]
				if r == nil {
					p.bad(stPtr, "unknown mocked response %q (MockedResponses has %s)", name, known(c.responses))
					continue
				}
				t.states[st.Key] = r
			}
		}
	}
}

// rangeKey is a call number ("3") or an inclusive range ("1-2"), without
// signs or leading zeros.
var rangeKey = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})(?:-(0|[1-9][0-9]{0,8}))?$`)

// responses reads MockedResponses.
func (p *parser) responses(c *Config, v value.Value) {
	const at = "/MockedResponses"
	obj, ok := p.object(v, at, "MockedResponses")
	if !ok {
		return
	}
	for _, mr := range obj.Members() {
		mrPtr := source.Child(at, mr.Key)
		mrObj, ok := p.object(mr.Value, mrPtr, "a mocked response (call numbers to Return or Throw)")
		if !ok {
			continue
		}
		// Known even when it has problems: a test case naming it must not
		// add a second, misleading problem.
		r := &response{name: mr.Key}
		c.responses[mr.Key] = r
		if mrObj.Len() == 0 {
			p.bad(mrPtr, "mocked response %q answers no call", mr.Key)
			continue
		}
		keyOf := map[int]string{} // answer index -> its key, for overlap problems
		for _, k := range mrObj.Members() {
			kPtr := source.Child(mrPtr, k.Key)
			m := rangeKey.FindStringSubmatch(k.Key)
			if m == nil {
				p.badKey(kPtr, "%q is not a call number or range: use \"0\", \"1\" or \"1-3\" (calls count from 0)", k.Key)
				continue
			}
			lo, _ := strconv.Atoi(m[1])
			hi := lo
			if m[2] != "" {
				hi, _ = strconv.Atoi(m[2])
			}
			if hi < lo {
				p.badKey(kPtr, "range %q ends before it starts", k.Key)
				continue
			}
			a, ok := p.answer(k.Value, kPtr)
			if !ok {
				continue
			}
			a.lo, a.hi = lo, hi
			clash := -1
			for i, b := range r.answers {
				if a.lo <= b.hi && b.lo <= a.hi {
					clash = i
					break
				}
			}
			if clash >= 0 {
				p.badKey(kPtr, "calls %q overlap calls %q of the same mocked response", k.Key, keyOf[clash])
				continue
			}
			keyOf[len(r.answers)] = k.Key
			r.answers = append(r.answers, a)
		}
		sort.Slice(r.answers, func(i, j int) bool { return r.answers[i].lo < r.answers[j].lo })
	}
}

// answer reads {"Return": ANY} or {"Throw": {"Error": ..., "Cause": ...}}.
func (p *parser) answer(v value.Value, ptr string) (answer, bool) {
	obj, ok := p.object(v, ptr, "an answer ({\"Return\": ...} or {\"Throw\": {\"Error\": ..., \"Cause\": ...}})")
	if !ok {
		return answer{}, false
	}
	var ret, throw value.Value
	hasReturn, hasThrow := false, false
	var delay time.Duration
	for _, f := range obj.Members() {
		switch f.Key {
		case "Return":
			ret, hasReturn = f.Value, true
		case "Throw":
			throw, hasThrow = f.Value, true
		case "Delay":
			d, ok := p.delay(f.Value, source.Child(ptr, f.Key))
			if !ok {
				return answer{}, false
			}
			delay = d
		default:
			p.badKey(source.Child(ptr, f.Key), "unknown field %q: an answer has Return or Throw (and, an sfn extension, Delay)", f.Key)
			return answer{}, false
		}
	}
	switch {
	case hasReturn && hasThrow:
		p.bad(ptr, "an answer has Return or Throw, not both")
		return answer{}, false
	case hasReturn:
		return answer{result: json.RawMessage(value.Marshal(ret)), delay: delay}, true
	case !hasThrow:
		p.bad(ptr, "an answer needs Return or Throw")
		return answer{}, false
	}
	tPtr := source.Child(ptr, "Throw")
	tObj, ok := p.object(throw, tPtr, "Throw ({\"Error\": ..., \"Cause\": ...})")
	if !ok {
		return answer{}, false
	}
	e := &failure.Error{}
	for _, f := range tObj.Members() {
		fPtr := source.Child(tPtr, f.Key)
		s, isString := f.Value.(string)
		switch {
		case f.Key != "Error" && f.Key != "Cause":
			p.badKey(fPtr, "unknown field %q: Throw has Error and Cause", f.Key)
			return answer{}, false
		case !isString:
			p.bad(fPtr, "%s must be a string", f.Key)
			return answer{}, false
		case f.Key == "Error":
			e.Name = s
		default:
			e.Cause = s
		}
	}
	if e.Name == "" {
		p.bad(tPtr, "Throw needs an Error name")
		return answer{}, false
	}
	return answer{err: e.Capped(), delay: delay}, true
}

// delay reads an answer's Delay: seconds, from 0 to MaxDelay, fractions
// allowed (to the millisecond).
func (p *parser) delay(v value.Value, ptr string) (time.Duration, bool) {
	n, ok := v.(value.Number)
	if !ok {
		p.bad(ptr, "Delay must be a number of seconds")
		return 0, false
	}
	secs, err := strconv.ParseFloat(string(n), 64)
	if err != nil || secs < 0 || secs > MaxDelay.Seconds() {
		p.bad(ptr, "Delay must be from 0 to %d seconds", int(MaxDelay.Seconds()))
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)).Round(time.Millisecond), true
}

// known lists names for messages, sorted and quoted.
func known[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, strconv.Quote(n))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// StateMachines is the names of the state machines in the file, sorted.
func (c *Config) StateMachines() []string {
	return sortedNames(c.machines)
}

// TestCase is the test case named testCase of stateMachine; the error
// lists the known names when either is unknown.
func (c *Config) TestCase(stateMachine, testCase string) (*TestCase, error) {
	cases, ok := c.machines[stateMachine]
	if !ok {
		return nil, fmt.Errorf("the mock configuration has no state machine %q (it has %s)", stateMachine, known(c.machines))
	}
	tc, ok := cases[testCase]
	if !ok {
		return nil, fmt.Errorf("state machine %q has no test case %q (it has %s)", stateMachine, testCase, known(cases))
	}
	return tc, nil
}

// States is the names of the states the test case mocks, sorted.
func (t *TestCase) States() []string {
	return sortedNames(t.states)
}

// sortedNames is the names m has, sorted (empty, not nil, when none).
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Answer is the mocked answer to call number call (from 0, every attempt
// counted) of state: its result, or its error as a *failure.Error. mocked
// is false when the test case does not mock the state, which then runs for
// real.
//
// AWS's page asks for an answer to every call of a mocked state: a call
// that no range covers (past the last range, or in a gap) fails the
// execution, with States.Runtime and a cause naming the mocked response.
func (t *TestCase) Answer(state string, call int) (result json.RawMessage, err error, mocked bool) {
	m, ok := t.Mock(state, call)
	if !ok {
		return nil, nil, false
	}
	if m.Err != nil {
		return nil, m.Err, true
	}
	return m.Result, nil, true
}

// Mocked is a mocked call's answer, with the name of the mocked response
// that gave it (histories show it) and the delay before it is given.
type Mocked struct {
	Response string
	Result   json.RawMessage // nil when Err is set
	Err      *failure.Error
	Delay    time.Duration
}

// Mock is Answer with the mocked response's name and delay; ok is false
// when the test case does not mock the state.
func (t *TestCase) Mock(state string, call int) (m Mocked, ok bool) {
	r, ok := t.states[state]
	if !ok {
		return Mocked{}, false
	}
	var a *answer
	for i := range r.answers {
		if r.answers[i].lo <= call && call <= r.answers[i].hi {
			a = &r.answers[i]
			break
		}
	}
	m.Response = r.name
	switch {
	case a == nil:
		m.Err = failure.Newf(failure.Runtime, "mocked response %q of test case %q has no answer for call %d of state %q (calls count from 0, retries included)", r.name, t.Name, call, state)
	case a.err != nil:
		e := *a.err
		m.Err, m.Delay = &e, a.delay
	default:
		m.Result, m.Delay = append(json.RawMessage(nil), a.result...), a.delay
	}
	return m, true
}
