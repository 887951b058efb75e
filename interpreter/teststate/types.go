package teststate

import (
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter/httptask"
)

// InspectionLevel says how much of the state's work an Answer shows.
type InspectionLevel string

// The inspection levels of AWS's TestState.
const (
	// Info: status, nextState, output, error and cause; no inspection data.
	Info InspectionLevel = "INFO"
	// Debug adds the data-flow stages and the variables.
	Debug InspectionLevel = "DEBUG"
	// Trace adds an HTTP Task's request and response.
	Trace InspectionLevel = "TRACE"
)

// Status is how the tested state ended.
type Status string

// The statuses of AWS's TestState.
const (
	Succeeded Status = "SUCCEEDED"
	Failed    Status = "FAILED"
	// Retriable: the state failed and one of its Retriers would retry it.
	Retriable Status = "RETRIABLE"
	// CaughtError: the state failed and one of its Catchers matched.
	CaughtError Status = "CAUGHT_ERROR"
)

// FieldValidationMode says how strictly a mocked result is checked.
type FieldValidationMode string

// The field validation modes of AWS's MockInput (default STRICT).
const (
	Strict  FieldValidationMode = "STRICT"
	Present FieldValidationMode = "PRESENT"
	None    FieldValidationMode = "NONE"
)

// Request is AWS's TestState request. JSON documents (input, variables,
// context, a mocked result) travel as strings holding JSON text, as on AWS.
type Request struct {
	// Definition is one state (an object with "Type") or a whole state
	// machine (with "States"), in JSON (YAML is accepted too).
	Definition string `json:"definition"`
	// RoleArn is accepted and ignored (sfn has no IAM roles).
	RoleArn string `json:"roleArn,omitempty"`
	// Input is the state's raw input; empty is {}.
	Input           string          `json:"input,omitempty"`
	InspectionLevel InspectionLevel `json:"inspectionLevel,omitempty"`
	// RevealSecrets shows, at TRACE, what a connection adds to an HTTP
	// request (authorization headers, API keys, OAuth tokens, query
	// parameters); they are redacted otherwise.
	RevealSecrets bool `json:"revealSecrets,omitempty"`
	// Variables is a JSON object of the variables in scope.
	Variables string `json:"variables,omitempty"`
	// StateName picks the state of a whole state machine definition
	// (default: its StartAt); it must be empty for a single state.
	StateName string `json:"stateName,omitempty"`
	Mock      *Mock  `json:"mock,omitempty"`
	// Context is the context object ($$) as JSON.
	Context            string              `json:"context,omitempty"`
	StateConfiguration *StateConfiguration `json:"stateConfiguration,omitempty"`
}

// Mock is AWS's MockInput: the result of the state's work, or its error,
// instead of a call. Exactly one of Result and ErrorOutput is given.
type Mock struct {
	// Result is the JSON text of the mocked result.
	Result              string              `json:"result,omitempty"`
	ErrorOutput         *MockErrorOutput    `json:"errorOutput,omitempty"`
	FieldValidationMode FieldValidationMode `json:"fieldValidationMode,omitempty"`
}

// MockErrorOutput is the error a mocked state fails with.
type MockErrorOutput struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateConfiguration is AWS's TestStateConfiguration.
type StateConfiguration struct {
	// RetrierRetryCount is how many retries the matching Retrier has
	// already made.
	RetrierRetryCount int `json:"retrierRetryCount,omitempty"`
	// ErrorCausedByState names the state inside a Map or Parallel that
	// the mocked error comes from.
	ErrorCausedByState string `json:"errorCausedByState,omitempty"`
	// MapIterationFailureCount is how many Map iterations failed.
	MapIterationFailureCount int `json:"mapIterationFailureCount,omitempty"`
	// MapItemReaderData is the JSON text a Distributed Map's ItemReader
	// read, as found in its source.
	MapItemReaderData string `json:"mapItemReaderData,omitempty"`
}

// Answer is AWS's TestState answer.
type Answer struct {
	// Output is the state's output JSON (SUCCEEDED, CAUGHT_ERROR).
	Output string `json:"output,omitempty"`
	// Error and Cause are the state's error (FAILED, RETRIABLE,
	// CAUGHT_ERROR).
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	InspectionData *InspectionData `json:"inspectionData,omitempty"`
	// NextState is the state that would run next (a Catcher's Next when
	// caught); empty when the state failed or would be retried, as AWS
	// answers.
	NextState string `json:"nextState,omitempty"`
	Status    Status `json:"status"`
}

// InspectionData is AWS's InspectionData: the stages of the state's data
// flow, as JSON text, at DEBUG and TRACE.
type InspectionData struct {
	Input               string `json:"input,omitempty"`
	AfterInputPath      string `json:"afterInputPath,omitempty"`
	AfterParameters     string `json:"afterParameters,omitempty"`
	AfterArguments      string `json:"afterArguments,omitempty"`
	Result              string `json:"result,omitempty"`
	AfterResultSelector string `json:"afterResultSelector,omitempty"`
	AfterResultPath     string `json:"afterResultPath,omitempty"`
	// Variables are the variables after the state's Assign.
	Variables string `json:"variables,omitempty"`

	// HTTP Tasks, at TRACE.
	Request  *InspectionDataRequest  `json:"request,omitempty"`
	Response *InspectionDataResponse `json:"response,omitempty"`

	ErrorDetails *InspectionErrorDetails `json:"errorDetails,omitempty"`

	// Map states.
	AfterItemsPath             string   `json:"afterItemsPath,omitempty"`
	AfterItemsPointer          string   `json:"afterItemsPointer,omitempty"`
	AfterItemSelector          string   `json:"afterItemSelector,omitempty"`
	AfterItemBatcher           string   `json:"afterItemBatcher,omitempty"`
	ToleratedFailureCount      *int     `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage,omitempty"`
	MaxConcurrency             *int     `json:"maxConcurrency,omitempty"`
}

// InspectionErrorDetails says which Retrier or Catcher handled the error.
type InspectionErrorDetails struct {
	CatchIndex                  *int `json:"catchIndex,omitempty"`
	RetryIndex                  *int `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
}

// InspectionDataRequest is an HTTP Task's request as sent.
type InspectionDataRequest struct {
	Protocol string `json:"protocol,omitempty"`
	Method   string `json:"method,omitempty"`
	URL      string `json:"url,omitempty"`
	Headers  string `json:"headers,omitempty"`
	Body     string `json:"body,omitempty"`
}

// InspectionDataResponse is an HTTP Task's response as received.
type InspectionDataResponse struct {
	Protocol      string `json:"protocol,omitempty"`
	StatusCode    string `json:"statusCode,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	Headers       string `json:"headers,omitempty"`
	Body          string `json:"body,omitempty"`
}

// Options is what Run may use besides the request.
type Options struct {
	// HTTP makes an unmocked http:invoke Task's call (its allow-list
	// and connections apply); nil refuses such a Task with a validation
	// error.
	HTTP *httptask.Client
	// Now is the clock ($$.State.EnteredTime, Wait's timestamps);
	// nil is time.Now.
	Now func() time.Time
	// Random is in [0,1): a FULL-jitter retry's back-off and
	// States.MathRandom; nil is math/rand.
	Random func() float64
	// UUID makes States.UUID's values; nil is a random version 4 UUID.
	UUID func() string
}

// ValidationError is a request Run refuses: a bad definition, an unknown
// state name, a field that is not JSON, a mock that does not fit the
// state. Callers answer it as a client error (HTTP 400, AWS's
// ValidationException or, when Definition is set, InvalidDefinition).
type ValidationError struct {
	// Field is the request field at fault ("definition", "input",
	// "mock.result", "stateName"...).
	Field string
	// Message says what is wrong and where.
	Message string
	// Definition is true when the definition itself is invalid
	// (AWS's InvalidDefinition).
	Definition bool
	// Problems are the definition's problems, each with its JSON Pointer
	// and line:column in Request.Definition, as dsl reports them.
	Problems dsl.Problems
}

func (e *ValidationError) Error() string {
	return e.Field + ": " + e.Message
}
