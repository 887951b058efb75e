package awsjson

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRevisionID(t *testing.T) {
	base := store.StateMachine{Name: "orders", Version: 3, DefinitionSHA256: strings.Repeat("ab", 32)}
	id := revisionID(base)
	if !uuidShape.MatchString(id) {
		t.Fatalf("revisionID = %q, want a UUID (version 8, RFC 9562 variant)", id)
	}
	same := base
	same.Source, same.UpdatedAt = []byte("other text"), same.UpdatedAt.AddDate(1, 0, 0)
	if revisionID(same) != id {
		t.Fatalf("revisionID changed with what does not identify the revision")
	}
	for _, other := range []store.StateMachine{
		{Name: "orders", Version: 4, DefinitionSHA256: base.DefinitionSHA256},
		{Name: "invoices", Version: 3, DefinitionSHA256: base.DefinitionSHA256},
		{Name: "orders", Version: 3, DefinitionSHA256: strings.Repeat("cd", 32)},
	} {
		if revisionID(other) == id {
			t.Errorf("revisionID(%s@%d %s…) = revisionID(%s@%d %s…)", other.Name, other.Version, other.DefinitionSHA256[:4], base.Name, base.Version, base.DefinitionSHA256[:4])
		}
	}
}

func TestDefinitionError(t *testing.T) {
	s := &Server{}
	_, problems := dsl.Load([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Pass","Foo":1,"End":true}}}`), dsl.Options{Format: dsl.JSON})
	if len(problems.Errors()) < 2 {
		t.Fatalf("want at least two problems to join, got %v", problems)
	}
	err := s.definitionError(fmt.Errorf("put: %w", &interpreter.InvalidDefinitionError{Problems: problems.Errors()}))
	var e *Error
	if !errors.As(err, &e) || e.Type != excInvalidDefinition {
		t.Fatalf("definitionError = %v, want InvalidDefinition", err)
	}
	ds := diagnostics(problems.Errors())
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Code + ": " + d.Message + " at " + d.Location
	}
	if want := "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"; e.Message != want {
		t.Fatalf("message = %q, want %q", e.Message, want)
	}
	if !strings.Contains(e.Message, "MISSING_TRANSITION_TARGET: ") || !strings.Contains(e.Message, " at /States/C/Foo'") {
		t.Fatalf("message = %q, want both problems in AWS's form", e.Message)
	}

	if err := s.definitionError(fmt.Errorf("name: %w", interpreter.ErrInvalidName)); !errors.As(err, &e) || e.Type != excInvalidName {
		t.Fatalf("definitionError(ErrInvalidName) = %v, want InvalidName", err)
	}
	other := errors.New("the store is down")
	if err := s.definitionError(other); err != other {
		t.Fatalf("definitionError(other) = %v, want it unchanged", err)
	}
}

// TestEverySDKOperationIsServed: every operation of the SDK's Step Functions
// client is registered, so none answers UnknownOperationException (those
// sfn lacks answer UnsupportedOperation).
func TestEverySDKOperationIsServed(t *testing.T) {
	ct := reflect.TypeOf(&sfn.Client{})
	count := 0
	for i := 0; i < ct.NumMethod(); i++ {
		m := ct.Method(i)
		// An operation is func(*Client, context.Context, *<Op>Input, ...func(*Options)).
		if m.Type.NumIn() != 4 || m.Type.In(2).Kind() != reflect.Pointer || m.Type.In(2).Elem().Name() != m.Name+"Input" {
			continue
		}
		count++
		if _, ok := operations[m.Name]; !ok {
			t.Errorf("the SDK's operation %s is not registered", m.Name)
		}
	}
	if count < 37 {
		t.Fatalf("found %d operations on the SDK client, want the 37 of service/sfn v1.41.2 or more", count)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	before := operations["TestState"]
	defer func() {
		if recover() == nil {
			t.Fatalf("registering TestState a second time did not panic")
		}
		if reflect.ValueOf(operations["TestState"].fn).Pointer() != reflect.ValueOf(before.fn).Pointer() {
			t.Fatalf("the second registration replaced the first")
		}
	}()
	register(map[string]op{"TestState": {role: RoleReader}})
}

// TestExpressError: the check that CreateStateMachine can run for an
// EXPRESS state machine.
func TestExpressError(t *testing.T) {
	if err := expressError(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`); err != nil {
		t.Fatalf("expressError(a Pass state) = %v", err)
	}
	err := expressError(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"activity:work","End":true}}}`)
	var e *Error
	if !errors.As(err, &e) || e.Type != excInvalidDefinition ||
		e.Message != "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support activities at /States/A/Resource'" {
		t.Fatalf("expressError(an activity) = %v", err)
	}
	if err := expressError(`{"StartAt":`); err != nil {
		t.Fatalf("expressError(not JSON) = %v, want nil (PutStateMachine reports it)", err)
	}
}
