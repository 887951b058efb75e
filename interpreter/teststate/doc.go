// Package teststate runs one state of a definition the way the engine
// would, without a store or an execution, and answers as AWS's TestState
// API does: the state's status, output or error, the next state, and at
// DEBUG and TRACE each stage of its data flow and an HTTP Task's request
// and response. A Task's work is mocked, or for http:invoke made for real.
package teststate
