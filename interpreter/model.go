package interpreter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// encodingVersion is the newest record encoding this node reads; a record
// says which it was written in (header.Enc) so that nodes of two releases
// can tell each other's records apart during a rolling upgrade.
//
//	1  the first
//	2  workflow variables: thread.Vars and resumePoint.Vars
//	3  ARN ids: header.ARNIDs (the context object names the execution
//	   and its state machine by ARN)
//	4  child executions: header.Parent and Notified (a child's link to its
//	   parent), taskWait.Submitted and Child, childrenWait.Run (a
//	   distributed Map's Map Run)
//	5  mocked executions: header.Mock (the test case of the mock
//	   configuration whose answers its task calls get, and its call
//	   counts), taskWait.Mock and MockCall
//	6  call limits: taskWait.LimitWait, LimitKey and LimitWaited (an
//	   attempt waiting for its key's limit, its timeouts suspended)
//
// A record is written in the oldest encoding that holds it
// (docs/architecture.md, Encoding versions): encodingBase until a state
// assigns a variable, encodingVariables from then on. So an execution
// without variables stays readable by a node of the previous release
// during a rolling upgrade, and one with variables is refused by it
// rather than run, and rewritten, without them. The same holds for an
// execution whose context object holds ARNs (encodingARNIDs): a node of an
// earlier release would show it the old ids, and drop the flag.
const (
	encodingVersion   = encodingLimits
	encodingBase      = 1
	encodingVariables = 2
	encodingARNIDs    = 3
	encodingChildren  = 4
	encodingMocks     = 5
	encodingLimits    = 6
)

// jv carries a value.Value through encoding/json with its key order intact.
type jv struct{ V value.Value }

func (j jv) MarshalJSON() ([]byte, error) { return value.Marshal(j.V), nil }

func (j *jv) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		// Most of a large Map's results are null until their iteration
		// ends: no decoder for them.
		j.V = nil
		return nil
	}
	v, err := value.Decode(b)
	j.V = v
	return err
}

// lazyJV is a JSON value a thread carries unchanged from step to step
// (a Map's items and its effective input): decoding a thread keeps its
// bytes, and only a step that reads it decodes them, once. A Map over
// 120,000 items otherwise decoded and re-encoded them in every step of
// its thousands of iterations. The stored form is the JSON value itself,
// as jv's.
type lazyJV struct {
	raw []byte      // the encoded value, when it came from a record and is not decoded yet
	v   value.Value // the value, once decoded or when set
	// at is where Index stopped scanning raw: the element number and the
	// offset it starts at, so that consecutive indexes scan on.
	atIndex, atOffset int
}

func lazyOf(v value.Value) lazyJV { return lazyJV{v: v} }

// Get returns the value, decoding it on first use.
func (l *lazyJV) Get() value.Value {
	if l.raw != nil {
		v, err := value.Decode(l.raw)
		if err != nil {
			v = nil // stored by this engine, so valid; a damaged record reads as null
		}
		// The caller may change what it got (as with jv): from now on the
		// value, not the bytes, is what the thread holds.
		l.v, l.raw = v, nil
	}
	return l.v
}

// Index returns element i of an array value without decoding the others;
// ok is false past its end or when the value is no array.
func (l *lazyJV) Index(i int) (v value.Value, ok bool) {
	if l.raw == nil {
		a, isArray := l.v.([]any)
		if !isArray || i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	if i < 0 {
		return nil, false
	}
	if l.atOffset == 0 || i < l.atIndex {
		start := skipSpace(l.raw, 0)
		if start >= len(l.raw) || l.raw[start] != '[' {
			return nil, false
		}
		l.atIndex, l.atOffset = 0, start+1
	}
	for l.atIndex < i {
		end := skipJSON(l.raw, l.atOffset)
		if end < 0 {
			return nil, false
		}
		end = skipSpace(l.raw, end)
		if end >= len(l.raw) || l.raw[end] != ',' {
			return nil, false // the array ended
		}
		l.atIndex, l.atOffset = l.atIndex+1, end+1
	}
	first := skipSpace(l.raw, l.atOffset)
	if first >= len(l.raw) || l.raw[first] == ']' {
		return nil, false
	}
	end := skipJSON(l.raw, first)
	if end < 0 {
		return nil, false
	}
	v, err := value.Decode(l.raw[first:end])
	if err != nil {
		return nil, false
	}
	return v, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipJSON returns the offset just past the JSON value that starts at b[i]
// (after white space), or -1 when b ends first. b is JSON this engine
// encoded, so it only needs to find the value's end, not to check it.
func skipJSON(b []byte, i int) int {
	i = skipSpace(b, i)
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '[', '{':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipJSON(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	for i < len(b) && b[i] != ',' && b[i] != ']' && b[i] != '}' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

func (l lazyJV) MarshalJSON() ([]byte, error) {
	if l.raw != nil {
		return l.raw, nil
	}
	return value.Marshal(l.v), nil
}

// UnmarshalJSON keeps b in the form the thread encoder writes (compact,
// with <, >, & and U+2028/9 escaped as encoding/json escapes them), so that
// a thread decoded and encoded again reads the same whether or not this
// value was decoded in between.
func (l *lazyJV) UnmarshalJSON(b []byte) error {
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	raw := buf.Bytes()
	if bytes.IndexAny(raw, "<>&\u2028\u2029") >= 0 {
		var esc bytes.Buffer
		json.HTMLEscape(&esc, raw)
		raw = esc.Bytes()
	}
	*l = lazyJV{raw: raw}
	return nil
}

// header is the execution-wide part of the engine's state.
type header struct {
	Enc          int       `json:"enc"`
	LastTime     time.Time `json:"lastTime"`
	NextThread   int       `json:"nextThread"`
	TimeoutAt    time.Time `json:"timeoutAt,omitzero"`
	RedriveCount int       `json:"redriveCount,omitempty"`
	// Failed is the thread whose state did not succeed, for redrive.
	Failed int `json:"failed,omitempty"`
	// ARNIDs: $$.Execution.Id and $$.StateMachine.Id are ARNs. It is set
	// when the execution starts, so an execution keeps the ids it started
	// with: one started by an earlier release (no flag) keeps
	// "<state machine>:<name>" and "<state machine>:<version>".
	ARNIDs bool `json:"arnIds,omitempty"`
	// Parent links a child execution to what started it: a parent's
	// startExecution task or a distributed Map's Map Run (encoding 4).
	Parent *parentLink `json:"parent,omitempty"`
	// Notified: the parent has been told of this execution's end (the
	// outbox entry is delivered). A redrive clears it.
	Notified bool `json:"notified,omitempty"`
	// Mock: the execution was started with a test case of the server's
	// mock configuration (encoding 5). A node of an earlier release
	// refuses it rather than make its mocked calls for real.
	Mock *mockRun `json:"mock,omitempty"`
}

// mockRun is a mocked execution's test case and how many calls each of
// its states has made so far: the next call's number (every attempt
// counts, retries included, as on AWS).
type mockRun struct {
	Case  string         `json:"case"`
	Calls map[string]int `json:"calls,omitempty"`
}

// caseName is the test case; "" for an execution that is not mocked.
func (m *mockRun) caseName() string {
	if m == nil {
		return ""
	}
	return m.Case
}

type phase string

const (
	phaseReady    phase = ""         // runnable
	phaseTask     phase = "task"     // waiting for a task's result
	phaseWait     phase = "wait"     // a Wait state
	phaseBackoff  phase = "backoff"  // waiting to retry
	phaseChildren phase = "children" // Parallel/Map waiting for its threads
	phaseDone     phase = "done"     // finished (Result or Err set)
)

// scopeStep locates a thread's state machine: the state (of the parent's
// scope) that started it, and which branch.
type scopeStep struct {
	State  string `json:"s"`
	Branch int    `json:"b"`
}

// thread is one line of control: the execution's top level, a Parallel
// branch or a Map iteration.
type thread struct {
	ID     int         `json:"id"`
	Parent int         `json:"parent"` // -1 for the top level
	Index  int         `json:"index"`  // branch or item index in the parent
	Scope  []scopeStep `json:"scope,omitempty"`
	Phase  phase       `json:"phase,omitempty"`

	State     string    `json:"state"`
	Input     lazyJV    `json:"input"`   // the current state's raw input (a Map's may be large: decoded when read)
	Entered   bool      `json:"entered"` // the state's Entered event is written
	EnteredID int64     `json:"enteredId"`
	EnteredAt time.Time `json:"enteredAt"`
	Prev      int64     `json:"prev"` // the thread's last event id
	Attempts  int       `json:"attempts,omitempty"`
	Retries   []int64   `json:"retries,omitempty"`
	WakeAt    time.Time `json:"wakeAt,omitzero"`
	Pending   jv        `json:"pending"` // Wait's output, kept until it ends

	Task     *taskWait     `json:"task,omitempty"`
	Children *childrenWait `json:"children,omitempty"`

	// MapItem is set on Map iterations: $$.Map.Item.Value.
	MapItem jv `json:"mapItem"`

	Result jv             `json:"result"`
	Err    *failure.Error `json:"err,omitempty"`

	// Keep holds what the succeeded branches or iterations of a Parallel or
	// Map that failed produced, so that a redrive does not run them again.
	Keep *keptChildren `json:"keep,omitempty"`

	// Vars are the workflow variables this thread's states assigned (an
	// object; nil before any): the scope of the top level, a branch or an
	// iteration (variables.go). Encoding 2.
	Vars *jv `json:"vars,omitempty"`
}

// keptChildren are the results of the children that succeeded, and where
// the others stopped.
type keptChildren struct {
	Succeeded []bool `json:"succeeded"`
	Results   []jv   `json:"results"`
	// Resume says, per child that did not succeed, the state it failed or
	// was stopped in and that state's input, so that a redrive resumes it
	// there (nil: from the start). It nests: a resumed Parallel or Map keeps
	// its own children's results.
	Resume []*resumePoint `json:"resume,omitempty"`
	// Run is a distributed Map's Map Run (encoding 4): a redrive runs it
	// again, its children that did not succeed redriven.
	Run *mapRun `json:"run,omitempty"`
}

// resumePoint is where a branch or iteration resumes after a redrive.
type resumePoint struct {
	State string        `json:"state"`
	Input jv            `json:"input"`
	Keep  *keptChildren `json:"keep,omitempty"`
	// Vars are the child's own variables where it stopped (encoding 2).
	Vars *jv `json:"vars,omitempty"`
}

// taskWait is a scheduled task attempt.
type taskWait struct {
	ScheduledID int64     `json:"scheduledId"`
	ScheduledAt time.Time `json:"scheduledAt,omitzero"`
	Resource    string    `json:"resource"`
	Params      jv        `json:"params"`
	Secret      string    `json:"secret"` // part of the task token
	Started     bool      `json:"started,omitempty"`
	Worker      string    `json:"worker,omitempty"`
	TimeoutAt   time.Time `json:"timeoutAt,omitzero"`
	HeartbeatAt time.Time `json:"heartbeatAt,omitzero"`
	Heartbeat   int64     `json:"heartbeat,omitempty"`
	Timeout     int64     `json:"timeout,omitempty"`
	// Events is the prefix of this attempt's event names, fixed when it is
	// scheduled: "Activity" for an activity task, "" (Task…) otherwise. An
	// activity attempt scheduled by a release that wrote Task… events for
	// activities has none stored, and ends with Task… events as it began.
	Events string `json:"events,omitempty"`
	// Submitted: the attempt's TaskSubmitted is written (a callback or a
	// .sync child whose start was acknowledged).
	Submitted bool `json:"submitted,omitempty"`
	// Child is the id of the child execution a startExecution attempt
	// started (encoding 4): stopped when the attempt is withdrawn.
	Child string `json:"child,omitempty"`
	// Mock names the mocked response that answers this attempt, and
	// MockCall its call number (encoding 5): a node that takes the
	// attempt over answers it from the same place.
	Mock     string `json:"mock,omitempty"`
	MockCall int    `json:"mockCall,omitempty"`
	// LimitWait is when the attempt began to wait for a slot of LimitKey
	// (encoding 6); zero once it has one. Its TimeoutAt and HeartbeatAt
	// are zero while it waits, and set again, from then, when it gets
	// its slot. LimitWaited is how long it waited (ms), for TaskStarted.
	LimitWait   time.Time `json:"limitWait,omitzero"`
	LimitKey    string    `json:"limitKey,omitempty"`
	LimitWaited int64     `json:"limitWaited,omitempty"`
}

// childrenWait is a Parallel or Map waiting for its threads.
type childrenWait struct {
	StartedID int64    `json:"startedId"` // ParallelStateStarted / MapStateStarted
	Kids      intList  `json:"kids"`      // thread id per index; 0 before it starts
	Results   jvList   `json:"results"`
	Done      boolList `json:"done"`
	Succeeded []bool   `json:"succeeded,omitempty"`
	// Resume holds, per child, where it resumes after a redrive (see keptChildren).
	Resume    []*resumePoint `json:"resume,omitempty"`
	Running   int            `json:"running"`
	NextIndex int            `json:"next"`
	Failed    int            `json:"failed"`
	MaxConc   int64          `json:"maxConc,omitempty"`
	Effective lazyJV         `json:"effective"`
	Items     lazyJV         `json:"items"`
	TolPct    float64        `json:"tolPct,omitempty"`
	HasPct    bool           `json:"hasPct,omitempty"`
	TolCount  int64          `json:"tolCount,omitempty"`
	HasCount  bool           `json:"hasCount,omitempty"`
	// LastEvent is the last event of a child to end (ParallelStateSucceeded follows it).
	LastEvent int64 `json:"lastEvent"`
	// FirstErr is the first error of a failed child.
	FirstErr *failure.Error `json:"firstErr,omitempty"`
	// Run is a distributed Map's Map Run (encoding 4): its children are
	// executions, Kids[i] is 1 once child i is started, and Items holds
	// the children's inputs (items, or batches).
	Run *mapRun `json:"run,omitempty"`
}

func threadKey(id int) string { return strconv.Itoa(id) }

func decodeThread(b []byte) (*thread, error) {
	t := &thread{}
	if err := json.Unmarshal(b, t); err != nil {
		return nil, err
	}
	return t, nil
}

// machineOf finds the scope a thread runs in.
func machineOf(def *dsl.Definition, scope []scopeStep) *dsl.Machine {
	m := &def.Machine
	for _, st := range scope {
		s := m.States[st.State]
		if s == nil {
			return nil
		}
		switch s.Kind {
		case dsl.Parallel:
			if st.Branch >= len(s.Branches) {
				return nil
			}
			m = s.Branches[st.Branch]
		case dsl.Map:
			m = s.Processor
		default:
			return nil
		}
		if m == nil {
			return nil
		}
	}
	return m
}
