// Package metrics exports what sfn does as Prometheus series under sfn_:
// an interpreter.Observer that counts executions, transitions, task calls,
// retries, catches and timer lag; a store.Store wrapper that times every
// store operation and counts its errors; and a gauge of the executions open
// right now, read from the store's indexes rather than counted in process,
// so that it stays right across restarts and nodes.
//
// Labels are bounded: no execution ids, and every label whose values come
// from definitions or workers (state machine, state, error name) keeps at
// most a fixed number of distinct values, after which new ones read "other".
package metrics
