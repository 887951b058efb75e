// Package interpreter is sfn's engine: it starts, advances, stops and
// redrives executions, performs their effects (task calls, timers), and
// commits each step through the store.
//
// A step (step.go) is pure: it decodes an execution, runs every state that
// has no outside effect in memory until each thread blocks — on a task, a
// timer, its branches — or ends, and yields the step's history events, the
// new record and the effects to perform. The engine (engine.go) commits all
// of it in one atomic, compare-and-set write and only then performs the
// effects, so a task is never called before its TaskScheduled is durable, and
// a crash repeats at most the uncommitted step.
package interpreter
