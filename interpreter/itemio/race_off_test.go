//go:build !race

package itemio

// raceDetector: see race_on_test.go.
const raceDetector = false
