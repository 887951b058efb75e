package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sfn-project/sfn/interpreter/teststate"
)

// TestState runs one state outside any execution (package teststate, the
// same as the REST API's POST /v1/test-state). It needs the admin role:
// it runs any definition with the server's HTTP connections.

func init() {
	register(map[string]op{
		"TestState": {role: RoleAdmin, long: true, fn: (*Server).testState},
	})
}

// testStateLimit is how long one test may run, as on AWS.
const testStateLimit = 5 * time.Minute

// maxDefinition is AWS's limit of a definition's length.
const maxDefinition = 1 << 20

func (s *Server) testState(ctx context.Context, c *call) (any, error) {
	var req teststate.Request
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var present struct {
		Definition *string `json:"definition"`
	}
	_ = json.Unmarshal(c.body, &present) // decoded above
	if present.Definition == nil {
		return nil, errorf(excValidation, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	if err := testStateLengths(req); err != nil {
		return nil, err
	}
	if req.RoleArn != "" && !roleARN(req.RoleArn) {
		return nil, errorf(excInvalidArn, "Invalid Arn: '%s' is not the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)", req.RoleArn)
	}
	ctx, cancel := context.WithTimeout(ctx, testStateLimit)
	defer cancel()
	ans, err := teststate.Run(ctx, req, teststate.Options{HTTP: s.eng.HTTPClient()})
	if err != nil {
		return nil, testStateError(err)
	}
	return ans, nil
}

// testStateLengths checks AWS's length constraints of the request's
// documents.
func testStateLengths(req teststate.Request) error {
	if req.Definition == "" {
		return errorf(excValidation, "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	type sized struct {
		name, text string
		limit      int
	}
	fields := []sized{{"definition", req.Definition, maxDefinition}, {"input", req.Input, maxPayload},
		{"variables", req.Variables, maxPayload}, {"context", req.Context, maxPayload}}
	if req.Mock != nil {
		fields = append(fields, sized{"mock.result", req.Mock.Result, maxPayload})
	}
	for _, f := range fields {
		if len(f.text) > f.limit {
			return errorf(excValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", f.name, f.limit)
		}
	}
	return nil
}

// roleARN reports whether s has the shape of an IAM role's ARN; sfn
// assumes no role, so nothing more is checked.
func roleARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == "iam" && strings.HasPrefix(parts[5], "role/")
}

// testStateError is AWS's exception for Run's refusal: InvalidDefinition
// for the definition (each problem at its JSON Pointer, as
// CreateStateMachine names them), InvalidExecutionInput for the input,
// ValidationException for any other field. Other errors are the server's.
func testStateError(err error) error {
	var ve *teststate.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Problems) > 0:
		return invalidDefinition(diagnostics(ve.Problems))
	case errors.As(err, &ve) && ve.Definition:
		return errorf(excInvalidDefinition, "Invalid State Machine Definition: '%s'", ve.Error())
	case errors.As(err, &ve) && ve.Field == "input":
		return errorf(excInvalidExecutionInput, "Invalid State Machine Execution Input: '%s'", ve.Message)
	case errors.As(err, &ve):
		return errorf(excValidation, "%s", ve.Error())
	case errors.Is(err, context.Canceled):
		// The client went away during an HTTP Task's call.
		return &Error{Type: excServiceUnavailable, Message: "the test was cancelled", Status: http.StatusServiceUnavailable}
	}
	return err
}
