package awsjson

import (
	"context"
	"errors"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// parseARN parses s as an ARN of one of the kinds given, answering AWS's
// InvalidArn otherwise. An ARN of another region or account is not
// invalid, just absent: the caller answers its DoesNotExist error (found
// is false).
func (s *Server) parseARN(what, str string, kinds ...arn.Kind) (a arn.ARN, found bool, err error) {
	if str == "" {
		return arn.ARN{}, false, errorf(excValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", what)
	}
	a, err = arn.Parse(str)
	if err != nil {
		var ae *arn.Error
		if errors.As(err, &ae) {
			return arn.ARN{}, false, errorf(excInvalidArn, "Invalid Arn: '%s'", ae.Reason)
		}
		return arn.ARN{}, false, errorf(excInvalidArn, "Invalid Arn: '%s'", str)
	}
	ok := false
	for _, k := range kinds {
		ok = ok || a.Kind == k
	}
	if !ok {
		return arn.ARN{}, false, errorf(excInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", str)
	}
	return a, s.space.Owns(a), nil
}

// stateMachineARN parses a state machine ARN: unqualified, or a version's or
// an alias's when qualified is true.
func (s *Server) stateMachineARN(what, str string, qualified bool) (arn.ARN, bool, error) {
	if qualified {
		return s.parseARN(what, str, arn.StateMachine, arn.Version, arn.Alias)
	}
	return s.parseARN(what, str, arn.StateMachine)
}

// executionID parses an execution ARN and returns the stored id
// ("<state machine>:<name>"), or ExecutionDoesNotExist for an ARN of
// another region or account.
func (s *Server) executionID(what, str string) (string, error) {
	a, found, err := s.parseARN(what, str, arn.Execution)
	if err != nil {
		return "", err
	}
	if !found {
		return "", noExecution(str)
	}
	return a.ExecutionID(), nil
}

// execution reads the execution an execution ARN names, answering
// ExecutionDoesNotExist when there is none.
func (s *Server) execution(ctx context.Context, member, arnStr string) (*interpreter.Execution, error) {
	id, err := s.executionID(member, arnStr)
	if err != nil {
		return nil, err
	}
	ex, err := s.eng.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noExecution(arnStr)
	}
	return ex, err
}

func noExecution(arnStr string) *Error {
	return errorf(excExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arnStr)
}

func noStateMachine(arnStr string) *Error {
	return errorf(excSMDoesNotExist, "State Machine Does Not Exist: '%s'", arnStr)
}

func noActivity(arnStr string) *Error {
	return errorf(excActivityDoesNotExist, "Activity Does Not Exist: '%s'", arnStr)
}

// validName checks a resource name, in AWS's words: AWS takes 1-80
// characters without white space, brackets, wildcards, special or control
// characters; sfn's own names are stricter (interpreter.ValidName), and a
// name must also be one sfn can store. The length is checked first, to say
// what was wrong.
func validName(kind, name string) error {
	if name == "" || len(name) > 80 {
		return errorf(excInvalidName, "Invalid Name: '%s' (%s names are 1-80 characters)", name, kind)
	}
	if !interpreter.ValidName(name) {
		return errorf(excInvalidName, "Invalid Name: '%s'", name)
	}
	return nil
}

// checkMax checks a maxResults member: 0 (the default) to 1000.
func checkMax(member string, v int) error {
	if v < 0 || v > 1000 {
		return errorf(excValidation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to 1000", v, member)
	}
	return nil
}

// pageSize is maxResults with its default (100).
func pageSize(v int) int {
	if v == 0 {
		return 100
	}
	return v
}
