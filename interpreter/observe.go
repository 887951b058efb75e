package interpreter

import (
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl"
)

// Observer receives what the engine did, for metrics. Calls come after the
// commit they describe, on the goroutine that committed; implementations
// must be fast and must not block.
type Observer interface {
	// StepCommitted reports one committed step of an execution.
	StepCommitted(StepReport)
	// TimerFired reports how late a timer was handled.
	TimerFired(lag time.Duration)
}

// StepReport summarises one committed step.
type StepReport struct {
	StateMachine string
	ExecutionID  string
	// Events are the types of the step's history events, in order.
	Events []string
	// Transitions are the kinds of the states entered, in order.
	Transitions []dsl.Kind
	Retries     []RetryNote
	// Catches are the error names caught by a Catch.
	Catches []string
	Tasks   []TaskNote
	// Status is the execution's status after the step.
	Status string
}

// RetryNote is one retry: the state and the error that caused it.
type RetryNote struct {
	State string
	Error string
}

// TaskNote is one finished task attempt.
type TaskNote struct {
	Kind    dsl.TaskKind
	Outcome string // "succeeded", "failed", "timed_out"
	Latency time.Duration
}

// report collects a step's facts while it runs (only when observed).
type report struct {
	on          bool
	events      []string
	transitions []dsl.Kind
	retries     []RetryNote
	catches     []string
	tasks       []TaskNote
}

func (r *run) noteEvent(typ string) {
	if !r.rep.on {
		return
	}
	r.rep.events = append(r.rep.events, typ)
	if kind, ok := strings.CutSuffix(typ, "StateEntered"); ok {
		r.rep.transitions = append(r.rep.transitions, dsl.Kind(kind))
	}
}

func (r *run) noteRetry(state, errName string) {
	if r.rep.on {
		r.rep.retries = append(r.rep.retries, RetryNote{State: state, Error: errName})
	}
}

func (r *run) noteCatch(errName string) {
	if r.rep.on {
		r.rep.catches = append(r.rep.catches, errName)
	}
}

func (r *run) noteTask(s *dsl.State, tw *taskWait, outcome string) {
	if !r.rep.on || s == nil || s.Task == nil || tw == nil {
		return
	}
	var lat time.Duration
	if !tw.ScheduledAt.IsZero() {
		lat = r.now.Sub(tw.ScheduledAt)
	}
	r.rep.tasks = append(r.rep.tasks, TaskNote{Kind: s.Task.Kind, Outcome: outcome, Latency: lat})
}

func (r *run) stepReport() StepReport {
	return StepReport{StateMachine: r.smName, ExecutionID: r.id, Events: r.rep.events, Transitions: r.rep.transitions,
		Retries: r.rep.retries, Catches: r.rep.catches, Tasks: r.rep.tasks, Status: r.status}
}
