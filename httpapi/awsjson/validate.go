package awsjson

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
)

// ValidateStateMachineDefinition runs the validation that every PUT of a
// definition runs (dsl.Load: the same findings as `sfn validate` and the
// REST API's POST /v1/validate) and answers them as AWS's diagnostics.
// InvalidDefinition errors from Create and Update say the same things.

func init() {
	register(map[string]op{
		"ValidateStateMachineDefinition": {role: RoleReader, fn: (*Server).validateStateMachineDefinition},
	})
}

// Severities and results, as AWS names them.
const (
	severityError   = "ERROR"
	severityWarning = "WARNING"
	resultOK        = "OK"
	resultFail      = "FAIL"
)

// Diagnostic codes that sfn's validation has no name for.
const (
	codeInvalidJSON = "INVALID_JSON_DESCRIPTION"
	codeSchema      = dsl.CodeSchema
)

// maxDiagnostics is ValidateStateMachineDefinition's default and largest
// maxResults.
const maxDiagnostics = 100

// awsCodes are the diagnostic codes AWS documents
// (ValidateStateMachineDefinitionDiagnostic) that sfn's validation also
// uses, for the same mistakes. sfn's finer codes (INVALID_JSON_PATH,
// INVALID_CHOICE_RULE, INVALID_JSONATA, …) are schema problems to AWS.
var awsCodes = map[string]bool{
	dsl.CodeSchema:          true,
	dsl.CodeMissingTarget:   true,
	dsl.CodeInvalidResource: true,
	dsl.CodeInvalidName:     true,
	dsl.CodeDuplicateName:   true,
	dsl.CodeMissingEnd:      true,
	codeInvalidJSON:         true,
}

// diagnostic is one finding, as ValidateStateMachineDefinition lists it.
type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// missingField matches the schema's message for a missing required member.
var missingField = regexp.MustCompile(`^missing required field "([^"]+)"`)

// diagnostics turns sfn's problems into AWS's diagnostics: AWS's codes, JSON
// Pointer locations ("/" for the root), and the required members missing
// from one object in one diagnostic ("These fields are required: [A, B]").
func diagnostics(problems dsl.Problems) []diagnostic {
	out := make([]diagnostic, 0, len(problems))
	required := map[string]int{} // location -> index in out of its "required" diagnostic
	fields := map[int][]string{} // that index -> the fields missing there
	for _, p := range problems {
		d := diagnostic{Severity: severityError, Code: p.Code, Message: p.Message, Location: location(p.Path)}
		if p.Severity == dsl.SeverityWarning {
			d.Severity = severityWarning
		}
		switch {
		case p.Code == dsl.CodeSyntax:
			d.Code, d.Location = codeInvalidJSON, fmt.Sprintf("line: %d, column: %d", p.Line, p.Column)
		case !awsCodes[p.Code]:
			d.Code = codeSchema
		}
		if m := missingField.FindStringSubmatch(p.Message); m != nil && p.Code == dsl.CodeSchema && d.Severity == severityError {
			i, seen := required[d.Location]
			if !seen {
				i = len(out)
				required[d.Location] = i
				out = append(out, d)
			}
			fields[i] = append(fields[i], m[1])
			out[i].Message = "These fields are required: [" + strings.Join(fields[i], ", ") + "]"
			continue
		}
		out = append(out, d)
	}
	return out
}

// location is a problem's JSON Pointer as AWS writes it.
func location(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

// expressMessages are AWS's words for what an EXPRESS state machine cannot
// run (express.Problems finds them): activities and the .waitForTaskToken
// (callback) integration pattern, which both wait on something outside the
// run for longer than an Express run may last.
var expressMessages = map[string]string{
	express.ReasonActivity:     "Express state machine does not support activities",
	express.ReasonWaitForToken: "Express state machine does not support '.waitForTaskToken' service integration",
}

// expressProblems lists what an EXPRESS state machine cannot run, as
// diagnostics at each Task's Resource.
func expressProblems(m *dsl.Machine) []diagnostic {
	var out []diagnostic
	for _, p := range express.Problems(m) {
		msg, ok := expressMessages[p.Reason]
		if !ok {
			msg = p.Error()
		}
		out = append(out, diagnostic{Severity: severityError, Code: codeSchema, Location: p.Pointer + "/Resource", Message: msg})
	}
	return out
}

// validateDefinition returns every diagnostic of a definition text for a
// state machine of type typ (STANDARD or EXPRESS).
func validateDefinition(text, typ string) []diagnostic {
	if strings.TrimSpace(text) == "" {
		return []diagnostic{{Severity: severityError, Code: codeSchema, Message: "Definition must be a valid JSON object"}}
	}
	def, problems := dsl.Load([]byte(text), dsl.Options{Format: dsl.JSON})
	out := diagnostics(problems)
	if def != nil && typ == awsmeta.Express {
		out = append(out, expressProblems(&def.Machine)...)
	}
	return out
}

// expressError is InvalidDefinition for a definition that an EXPRESS state
// machine cannot run, nil when it can (or when it does not load: PUT
// reports that).
func expressError(text string) error {
	def, problems := dsl.Load([]byte(text), dsl.Options{Format: dsl.JSON})
	if def == nil || problems.HasErrors() {
		return nil
	}
	if ds := expressProblems(&def.Machine); len(ds) > 0 {
		return invalidDefinition(ds)
	}
	return nil
}

type validateIn struct {
	Definition *string `json:"definition"`
	Type       string  `json:"type"`
	Severity   string  `json:"severity"`
	MaxResults int     `json:"maxResults"`
}

func (s *Server) validateStateMachineDefinition(ctx context.Context, c *call) (any, error) {
	var in validateIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, errorf(excValidation, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	typ, err := machineType(in.Type)
	if err != nil {
		return nil, err
	}
	switch in.Severity {
	case "", severityError, severityWarning:
	default:
		return nil, errorf(excValidation, "1 validation error detected: Value '%s' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]", in.Severity)
	}
	if in.MaxResults < 0 || in.MaxResults > maxDiagnostics {
		return nil, errorf(excValidation, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", in.MaxResults, maxDiagnostics)
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = maxDiagnostics
	}
	all := validateDefinition(*in.Definition, typ)
	result := resultOK
	shown := make([]diagnostic, 0, len(all))
	for _, d := range all {
		if d.Severity == severityError {
			result = resultFail
		}
		// ERROR (the default) shows errors only; WARNING shows both.
		if d.Severity == severityError || in.Severity == severityWarning {
			shown = append(shown, d)
		}
	}
	truncated := len(shown) > limit
	if truncated {
		shown = shown[:limit]
	}
	return struct {
		Result      string       `json:"result"`
		Diagnostics []diagnostic `json:"diagnostics"`
		Truncated   bool         `json:"truncated"`
	}{result, shown, truncated}, nil
}

// invalidDefinition is AWS's InvalidDefinition exception for diagnostics:
// "Invalid State Machine Definition: 'CODE: message at /pointer, …'".
func invalidDefinition(ds []diagnostic) *Error {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		if d.Severity != severityError {
			continue
		}
		part := d.Code + ": " + d.Message
		if d.Location != "" {
			part += " at " + d.Location
		}
		parts = append(parts, part)
	}
	return errorf(excInvalidDefinition, "Invalid State Machine Definition: '%s'", strings.Join(parts, ", "))
}

// definitionError turns the engine's refusal of a definition
// (PutStateMachine) into AWS's exception: InvalidDefinition naming every
// problem, InvalidName for a name sfn cannot store. Other errors are
// returned as they are.
func (s *Server) definitionError(err error) error {
	var ide *interpreter.InvalidDefinitionError
	if errors.As(err, &ide) {
		return invalidDefinition(diagnostics(ide.Problems))
	}
	if errors.Is(err, interpreter.ErrInvalidName) {
		return errorf(excInvalidName, "Invalid Name: %v", err)
	}
	return err
}
