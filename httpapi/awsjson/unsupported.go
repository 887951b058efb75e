package awsjson

import "context"

// The operations of Step Functions whose features sfn does not have yet
// answer UnsupportedOperation naming what is missing, so that a client
// learns why instead of meeting UnknownOperationException (an operation the
// SDK knows, refused as if it did not exist) or a 404. Step Functions' own
// errors have no exception for this; UnsupportedOperation is the name AWS
// services use for it (SQS, FSx), and an SDK reports it as an API error with
// that code and the message.
//
// Every operation of the SDK's client is served today (TestState, the last
// one missing, is in teststate.go); an operation AWS adds is registered
// here with unsupported until sfn has it.

// unsupported is the handler of an operation sfn does not implement.
func unsupported(operation, why string) func(*Server, context.Context, *call) (any, error) {
	return func(*Server, context.Context, *call) (any, error) {
		return nil, errorf(excUnsupportedOperation, "sfn does not support %s: %s", operation, why)
	}
}
