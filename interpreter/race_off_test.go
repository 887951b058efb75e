//go:build !race

package interpreter_test

// raceDetector: the race detector multiplies memory and time, so tests
// that measure them relax their bounds.
const raceDetector = false
