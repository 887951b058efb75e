// Package storetest is the conformance suite of the store contract: every
// store.Store implementation runs Run against fresh instances of itself, so
// that the in-memory store cannot hide a behaviour Redis would show, nor the
// other way round. It also holds the shared benchmarks.
package storetest
