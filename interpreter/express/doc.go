// Package express runs EXPRESS executions: in this node's memory, not
// checkpointed per step, at most five minutes each, with no history kept
// once they end (their end is logged instead, as AWS sends Express
// executions to its logs).
//
// A Runner is a second interpreter.Engine over a private in-memory store.
// It copies each definition version it runs from the shared store, capped
// at the Express time limit, and forgets every execution seconds after it
// ends. Names are not idempotent: every start is a new execution with its
// own id.
//
// Two start modes, with AWS's guarantees:
//   - StartSync waits for the end and returns it. At most once: if the node
//     dies meanwhile, the run is lost and the caller sees the error.
//   - StartAsync returns at once. At least once: the start is written to the
//     shared store first (a small store.Docs document naming this node,
//     and its input in one of its own) and removed when the run ends; the
//     Runners of the other nodes run again the starts of a node whose
//     heartbeat has lapsed (recovery.go).
//
// Activities and .waitForTaskToken tasks are refused (Problems, Check), as
// on AWS: their answers arrive through the shared store, which an Express
// run never reaches.
package express
