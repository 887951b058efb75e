package interpreter

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// encodingVersion is written into every record so that nodes of two releases
// can tell each other's records apart during a rolling upgrade.
const encodingVersion = 1

// jv carries a value.Value through encoding/json with its key order intact.
type jv struct{ V value.Value }

func (j jv) MarshalJSON() ([]byte, error) { return value.Marshal(j.V), nil }

func (j *jv) UnmarshalJSON(b []byte) error {
	v, err := value.Decode(b)
	j.V = v
	return err
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
	Input     jv        `json:"input"`   // the current state's raw input
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
}

// resumePoint is where a branch or iteration resumes after a redrive.
type resumePoint struct {
	State string        `json:"state"`
	Input jv            `json:"input"`
	Keep  *keptChildren `json:"keep,omitempty"`
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
}

// childrenWait is a Parallel or Map waiting for its threads.
type childrenWait struct {
	StartedID int64  `json:"startedId"` // ParallelStateStarted / MapStateStarted
	Kids      []int  `json:"kids"`      // thread id per index; 0 before it starts
	Results   []jv   `json:"results"`
	Done      []bool `json:"done"`
	Succeeded []bool `json:"succeeded,omitempty"`
	// Resume holds, per child, where it resumes after a redrive (see keptChildren).
	Resume    []*resumePoint `json:"resume,omitempty"`
	Running   int            `json:"running"`
	NextIndex int            `json:"next"`
	Failed    int            `json:"failed"`
	MaxConc   int64          `json:"maxConc,omitempty"`
	Effective jv             `json:"effective"`
	Items     jv             `json:"items"`
	TolPct    float64        `json:"tolPct,omitempty"`
	HasPct    bool           `json:"hasPct,omitempty"`
	TolCount  int64          `json:"tolCount,omitempty"`
	HasCount  bool           `json:"hasCount,omitempty"`
	// LastEvent is the last event of a child to end (ParallelStateSucceeded follows it).
	LastEvent int64 `json:"lastEvent"`
	// FirstErr is the first error of a failed child.
	FirstErr *failure.Error `json:"firstErr,omitempty"`
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
