package dsl

import (
	"time"

	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// Kind is a state's Type.
type Kind string

// The state kinds of the States Language.
const (
	Pass     Kind = "Pass"
	Task     Kind = "Task"
	Choice   Kind = "Choice"
	Wait     Kind = "Wait"
	Succeed  Kind = "Succeed"
	Fail     Kind = "Fail"
	Parallel Kind = "Parallel"
	Map      Kind = "Map"
)

// Definition is a compiled state machine definition: every path, template,
// intrinsic call and choice rule is parsed once, here, and the interpreter
// runs the result without parsing again.
type Definition struct {
	Machine
	Comment        string
	Version        string
	TimeoutSeconds int64 // 0: no execution timeout
	// Source is the definition as a JSON value: members in source order,
	// numbers as written (a template or Result keeps both).
	Source value.Value
	// Format is the syntax Source was read from: JSON or YAML, also when
	// Load was asked to sniff; Sniff for LoadValue, which reads no text.
	Format Format
	// Activities names every activity the definition uses, in order of appearance.
	Activities []string
}

// Machine is a scope of states: the top level, a Parallel branch or a Map
// processor. Transitions never leave their scope.
type Machine struct {
	StartAt string
	States  map[string]*State
	// Names lists the states in source order.
	Names []string
	// Pointer is the JSON Pointer of the scope's object ("" for the top level).
	Pointer string
}

// TaskStates returns every Task state of the machine by name, those in
// Parallel branches and Map processors too (state names are unique within
// a definition).
func (m *Machine) TaskStates() map[string]*State {
	out := map[string]*State{}
	m.taskStates(out)
	return out
}

func (m *Machine) taskStates(out map[string]*State) {
	for _, name := range m.Names {
		s := m.States[name]
		if s == nil {
			continue
		}
		if s.Kind == Task && s.Task != nil {
			out[s.Name] = s
		}
		for _, b := range s.Branches {
			b.taskStates(out)
		}
		if s.Processor != nil {
			s.Processor.taskStates(out)
		}
	}
}

// State is one compiled state. Fields that do not apply to its Kind are zero.
type State struct {
	Name    string
	Kind    Kind
	Pointer string // JSON Pointer of the state, e.g. "/States/Charge"
	Comment string

	Next string
	End  bool

	// UsesContext is false when nothing in the state reads the context
	// object ($$), so the interpreter can skip building it.
	UsesContext bool

	// Data flow. A nil *Path means the default "$"; Null* means the field
	// was JSON null (discard input / keep input / empty output).
	InputPath      *Path
	InputPathNull  bool
	OutputPath     *Path
	OutputPathNull bool
	ResultPath     *jsonpath.Path // reference path; nil means "$"
	ResultPathNull bool
	Parameters     *Template // also Map's ItemSelector (and legacy Parameters)
	ResultSelector *Template
	Result         value.Value // Pass
	HasResult      bool

	// Task.
	Task                 *TaskSpec
	TimeoutSeconds       int64 // Task: 0 means AWS's default (99999999)
	TimeoutSecondsPath   *Path
	HeartbeatSeconds     int64
	HeartbeatSecondsPath *Path
	Retry                []*Retrier // Task, Parallel, Map
	Catch                []*Catcher // Task, Parallel, Map

	// Assign is the state's workflow variables (Pass, Task, Choice, Wait,
	// Parallel, Map); nil without the field.
	Assign *Assign

	// Choice.
	Choices []*ChoiceRule
	Default string

	// Wait: exactly one of these is set.
	Seconds       *int64
	SecondsPath   *Path
	Timestamp     *time.Time
	TimestampPath *Path

	// Fail.
	Error     string
	Cause     string
	ErrorExpr *Expr // ErrorPath: a path or an intrinsic function
	CauseExpr *Expr // CausePath

	// Parallel.
	Branches []*Machine

	// Map.
	Processor                      *Machine
	ItemsPath                      *Path
	MaxConcurrency                 int64
	MaxConcurrencyPath             *Path
	ToleratedFailurePercentage     float64
	HasToleratedFailurePercentage  bool
	ToleratedFailurePercentagePath *Path
	ToleratedFailureCount          int64
	HasToleratedFailureCount       bool
	ToleratedFailureCountPath      *Path
	// Distributed is set for a Map whose ItemProcessor.ProcessorConfig.Mode
	// is DISTRIBUTED: each item (or batch) runs as a child execution.
	Distributed *DistributedMap

	// QueryLanguage JSONata. A JSONata state has none of the JSONPath
	// fields above that end in Path, nor Parameters, ResultSelector or
	// Result; these take their place. A field written as a plain number
	// or string keeps its JSONPath-state home (MaxConcurrency, Seconds,
	// Timestamp, Error …); one written as an expression is here.
	JSONata bool
	// Output is the state's output (every kind but Fail); nil: the
	// default (the result, or the input for Pass, Wait, Choice, Succeed).
	Output *QueryTemplate
	// Arguments is a Task's parameters or a Parallel's branch input.
	Arguments *QueryTemplate
	// Items is the array a Map iterates; nil: the state's input.
	Items *QueryTemplate
	// ItemSelector builds each Map iteration's input.
	ItemSelector *QueryTemplate

	MaxConcurrencyQuery             *QueryTemplate
	ToleratedFailurePercentageQuery *QueryTemplate
	ToleratedFailureCountQuery      *QueryTemplate
	SecondsQuery                    *QueryTemplate
	TimestampQuery                  *QueryTemplate
	TimeoutSecondsQuery             *QueryTemplate
	HeartbeatSecondsQuery           *QueryTemplate
	ErrorQuery                      *QueryTemplate
	CauseQuery                      *QueryTemplate
}

// IsTerminal reports whether the state ends its scope (Succeed, Fail, or End).
func (s *State) IsTerminal() bool {
	return s.End || s.Kind == Succeed || s.Kind == Fail
}

// TaskKind is how a Task reaches its worker.
type TaskKind string

// The task resources sfn runs.
const (
	HTTPTask     TaskKind = "http"
	ActivityTask TaskKind = "activity"
	HandlerTask  TaskKind = "handler"
	// ExecutionTask starts a child execution
	// (arn:aws:states:::states:startExecution).
	ExecutionTask TaskKind = "execution"
)

// TaskSpec is a Task state's parsed Resource.
type TaskSpec struct {
	Resource     string // as written
	Kind         TaskKind
	Name         string // the activity or handler name; "invoke" for HTTP
	WaitForToken bool   // the ".waitForTaskToken" integration pattern
	// Sync is the run-a-job pattern of a child execution: 1 for ".sync"
	// (the child's input and output as JSON text), 2 for ".sync:2" (as
	// JSON values); 0 returns once the child is started.
	Sync int
}

// Retrier is one element of a Retry list.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64   // default 1
	MaxAttempts     int64   // default 3; 0 never retries
	BackoffRate     float64 // default 2.0
	MaxDelaySeconds int64   // 0: no cap
	JitterFull      bool    // JitterStrategy FULL
	// MaxElapsedSeconds (an sfn extension, not portable to AWS) is a
	// retry budget in time: no further attempt starts once that many
	// seconds have passed since the state was entered (its first
	// attempt); the error then goes to Catch. 0: no budget.
	MaxElapsedSeconds int64
}

// Catcher is one element of a Catch list.
type Catcher struct {
	ErrorEquals    []string
	Next           string
	ResultPath     *jsonpath.Path // nil means "$"
	ResultPathNull bool
	// Assign replaces the state's Assign when this catcher applies; nil
	// without one.
	Assign *Assign
	// Output is a JSONata catcher's output; nil: the error output.
	Output *QueryTemplate
}

// DistributedMap is what a distributed Map adds to a Map state.
type DistributedMap struct {
	// ExecutionType of the child executions: "STANDARD" or "EXPRESS".
	ExecutionType string
	// Label names the Map Run and its children (…:<sm>/<Label>:…); "" for none.
	Label string
	// Batcher groups items into batches, one child per batch; nil: one
	// child per item.
	Batcher *ItemBatcher
	// Reader reads the items from outside (ItemReader); nil: from the input.
	Reader *ItemReader
	// Writer writes the results outside (ResultWriter); nil: the state's
	// result is the array of child outputs.
	Writer *ResultWriter
}

// ItemBatcher is a distributed Map's ItemBatcher. A bound is set either
// literally, by a path (JSONPath) or by an expression (JSONata), never two
// of them; zero and nil: no bound.
type ItemBatcher struct {
	MaxItems      int64
	MaxItemsPath  *Path
	MaxItemsQuery *QueryTemplate
	MaxBytes      int64
	MaxBytesPath  *Path
	MaxBytesQuery *QueryTemplate
	// BatchInput is added to every batch as "BatchInput" (a template over
	// the state's effective input); nil: none.
	BatchInput      *Template
	BatchInputQuery *QueryTemplate
}

// ItemReader is a distributed Map's ItemReader.
type ItemReader struct {
	Resource string // arn:aws:states:::s3:getObject, …:s3:listObjectsV2, …:http:invoke
	// Parameters (JSONPath) or Arguments (JSONata) name what to read.
	Parameters *Template
	Arguments  *QueryTemplate
	// ReaderConfig.
	InputType         string // JSON, JSONL, CSV, MANIFEST, PARQUET; "" for listObjectsV2
	CSVHeaderLocation string // FIRST_ROW or GIVEN
	CSVHeaders        []string
	CSVDelimiter      string // COMMA (default), PIPE, SEMICOLON, SPACE, TAB
	MaxItems          int64
	MaxItemsPath      *Path
	MaxItemsQuery     *QueryTemplate
}

// ResultWriter is a distributed Map's ResultWriter.
type ResultWriter struct {
	Resource   string // arn:aws:states:::s3:putObject
	Parameters *Template
	Arguments  *QueryTemplate
	// WriterConfig.
	OutputType     string // JSON (default) or JSONL
	Transformation string // NONE (default), COMPACT, FLATTEN
}
