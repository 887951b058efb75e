package awsjson

import "context"

// The operations of Step Functions whose features sfn does not have yet.
// They answer UnsupportedOperation naming what is missing, so that a client
// learns why instead of meeting UnknownOperationException (an operation the
// SDK knows, refused as if it did not exist) or a 404. Step Functions' own
// errors have no exception for this; UnsupportedOperation is the name AWS
// services use for it (SQS, FSx), and an SDK reports it as an API error with
// that code and the message.

func init() {
	register(map[string]op{
		"TestState": {role: RoleAdmin, fn: unsupported("TestState",
			"testing one state outside an execution is not implemented yet; run the state in a state machine (StartExecution, or StartSyncExecution for an EXPRESS one) instead")},
	})
}

// unsupported is the handler of an operation sfn does not implement.
func unsupported(operation, why string) func(*Server, context.Context, *call) (any, error) {
	return func(*Server, context.Context, *call) (any, error) {
		return nil, errorf(excUnsupportedOperation, "sfn does not support %s: %s", operation, why)
	}
}
