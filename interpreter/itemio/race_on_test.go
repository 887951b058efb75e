//go:build race

package itemio

// raceDetector: the race detector multiplies time and memory, so tests
// that read large objects read smaller ones.
const raceDetector = true
