// Package states is the meaning of each state kind as code without I/O:
// given a compiled state, its input and the context object, it says what the
// state produces — an output, an error, a time to wait until, the inputs of
// branches or iterations. It never reads the clock, makes calls or starts
// goroutines; the interpreter performs what it returns.
//
// One state kind per file; dataflow.go holds the input and output processing
// every kind shares (InputPath → Parameters → work → ResultSelector →
// ResultPath → OutputPath), retry.go and catch.go the error handling.
package states
