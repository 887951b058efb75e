// Package faultstore wraps a store.Store and injects faults into it, for
// tests of what the engine does when its store misbehaves: errors, delays,
// and ambiguous writes (the write is applied, then an error is returned, as
// when a reply to a Redis call is lost after the server ran it).
//
// Faults are rules chosen by operation, with a probability and a count.
// The wrapper forwards store.Leaser and store.NodeRegistry (with faults of
// their own) exactly when the wrapped store has them, so an engine on the
// wrapper shares work as it would on the store itself.
package faultstore
