package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/teststate"
)

// POST /v1/test-state runs one state outside any execution: AWS's TestState
// request and answer (package teststate). It needs the admin role, as it
// runs any definition with the server's HTTP connections.

// Limits of a TestState request.
const (
	// testStateBody bounds the whole body: a definition, a payload and
	// the envelope with the smaller fields.
	testStateBody = maxDefinitionBody + maxPayload + envelopeAllowance
	// testStateLimit is how long one test may run, as on AWS; a state
	// still running then fails with States.Timeout.
	testStateLimit = 5 * time.Minute
)

// testStateDocuments are the request's fields that hold JSON text, as on
// AWS. This API also takes each as the JSON value itself (an object, an
// array, a number...): a string is always JSON text.
var testStateDocuments = []string{"definition", "input", "variables", "context"}

func (s *server) testState(w http.ResponseWriter, r *http.Request) {
	req, err := decodeTestState(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), testStateLimit)
	defer cancel()
	extendDeadline(w, testStateLimit+30*time.Second)
	ans, err := teststate.Run(ctx, req, teststate.Options{HTTP: s.engine.HTTPClient()})
	if err != nil {
		s.writeError(w, r, s.testStateError(ctx, err))
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// testStateError turns Run's refusal into the contract's errors: a bad
// definition is a ValidationError with its problems in details (the first
// one, with its place, in the message), any other bad field InvalidInput
// naming the field.
func (s *server) testStateError(ctx context.Context, err error) error {
	var ve *teststate.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Problems) > 0:
		ae := s.classify(ctx, &interpreter.InvalidDefinitionError{Problems: ve.Problems})
		ae.Message = "definition: " + ve.Problems[0].String()
		if len(ve.Problems) > 1 {
			ae.Message += fmt.Sprintf(" (and %d more problems, see details)", len(ve.Problems)-1)
		}
		return ae
	case errors.As(err, &ve) && ve.Definition:
		return errf(codeValidation, ve.Error())
	case errors.As(err, &ve):
		return errf(codeInvalidInput, ve.Error())
	case errors.Is(err, context.Canceled):
		// The client went away during an HTTP Task's call.
		return errf(codeUnavailable, "the test was cancelled")
	}
	return err
}

// decodeTestState reads the request: AWS's TestState request, where the
// JSON documents may also be given as JSON values.
func decodeTestState(w http.ResponseWriter, r *http.Request) (teststate.Request, error) {
	var req teststate.Request
	if err := requireJSON(r); err != nil {
		return req, err
	}
	body, err := readBody(w, r, testStateBody)
	if err != nil {
		return req, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, errf(codeInvalidInput, `the request body is empty: send a TestState request, {"definition": ..., "input": ...}`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return req, envelopeError(err)
	}
	if fields == nil {
		return req, errf(codeInvalidInput, "the request body must be a JSON object")
	}
	for _, k := range testStateDocuments {
		if raw, ok := fields[k]; ok {
			fields[k] = asText(raw)
		}
	}
	if m := bytes.TrimSpace(fields["mock"]); len(m) > 0 && m[0] == '{' {
		var mock map[string]json.RawMessage
		if err := json.Unmarshal(m, &mock); err != nil {
			return req, envelopeError(err)
		}
		if raw, ok := mock["result"]; ok {
			mock["result"] = asText(raw)
		}
		fields["mock"], _ = json.Marshal(mock) // raw messages that were just parsed
	}
	text, _ := json.Marshal(fields)
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, envelopeError(err)
	}
	if req.Definition == "" {
		return req, errf(codeInvalidInput, `field "definition" is required: the state to test (an object with "Type"), or a state machine and "stateName"`)
	}
	return req, testStateSizes(req)
}

// testStateSizes refuses a document over its limit, naming it: the
// definition as PUT's, the JSON documents as an execution's payload.
func testStateSizes(req teststate.Request) error {
	type sized struct {
		field, text string
		limit       int
	}
	fields := []sized{{"definition", req.Definition, maxDefinitionBody}, {"input", req.Input, maxPayload},
		{"variables", req.Variables, maxPayload}, {"context", req.Context, maxPayload}}
	if req.Mock != nil {
		fields = append(fields, sized{"mock.result", req.Mock.Result, maxPayload})
	}
	for _, f := range fields {
		if len(f.text) > f.limit {
			return errf(codeTooLarge, fmt.Sprintf("field %q is %d bytes, over the limit of %d", f.field, len(f.text), f.limit))
		}
	}
	return nil
}

// asText returns a JSON document field as a JSON string: a string (or
// null) as it is, any other value as its text.
func asText(raw json.RawMessage) json.RawMessage {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || v[0] == '"' || bytes.Equal(v, []byte("null")) {
		return raw
	}
	text, _ := json.Marshal(string(v)) // a string always encodes
	return text
}
