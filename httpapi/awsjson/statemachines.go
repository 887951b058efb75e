package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"CreateStateMachine":               {role: RoleAdmin, fn: (*Server).createStateMachine},
		"DescribeStateMachine":             {role: RoleReader, fn: (*Server).describeStateMachine},
		"UpdateStateMachine":               {role: RoleAdmin, fn: (*Server).updateStateMachine},
		"DeleteStateMachine":               {role: RoleAdmin, fn: (*Server).deleteStateMachine},
		"ListStateMachines":                {role: RoleReader, fn: (*Server).listStateMachines},
		"DescribeStateMachineForExecution": {role: RoleReader, fn: (*Server).describeStateMachineForExecution},
	})
}

// loggingConfig is a loggingConfiguration member, decoded into its typed
// shape so that what is stored (and shown to every client later) is
// always what the SDKs can read back.
type loggingConfig struct {
	Level                string           `json:"level"`
	IncludeExecutionData bool             `json:"includeExecutionData"`
	Destinations         []logDestination `json:"destinations,omitempty"`
}

type logDestination struct {
	CloudWatchLogsLogGroup *struct {
		LogGroupArn string `json:"logGroupArn,omitempty"`
	} `json:"cloudWatchLogsLogGroup,omitempty"`
}

type tracingConfig struct {
	Enabled bool `json:"enabled"`
}

// defaultRoleArn is the role a state machine shows when it was made without
// one (through the REST API): sfn assumes no roles, so any well-formed ARN
// will do, and this one says where it came from.
func (s *Server) defaultRoleArn() string {
	return "arn:" + arn.Partition(s.space.Region) + ":iam::" + s.space.Account + ":role/sfn-default"
}

func (s *Server) roleArn(mc awsmeta.Machine) string {
	if mc.RoleArn != "" {
		return mc.RoleArn
	}
	return s.defaultRoleArn()
}

// orDefault is b, or def when b is empty.
func orDefault(b, def json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return def
	}
	return b
}

func logging(mc awsmeta.Machine) json.RawMessage {
	if len(mc.Logging) > 0 {
		return mc.Logging
	}
	return json.RawMessage(`{"level":"OFF","includeExecutionData":false}`)
}

func tracing(mc awsmeta.Machine) json.RawMessage {
	if len(mc.Tracing) > 0 {
		return mc.Tracing
	}
	return json.RawMessage(`{"enabled":false}`)
}

// definitionText is a revision's definition as AWS shows it: the text as
// uploaded when it was JSON, and a YAML upload as JSON with its key order
// and numbers kept.
func definitionText(sm store.StateMachine) string {
	if sm.SourceFormat == "json" && len(sm.Source) > 0 {
		return string(sm.Source)
	}
	return string(interpreter.DefinitionJSON(sm))
}

// machineType checks a type member (empty: STANDARD).
func machineType(t string) (string, error) {
	switch t {
	case "", awsmeta.Standard:
		return awsmeta.Standard, nil
	case awsmeta.Express:
		return awsmeta.Express, nil
	}
	return "", errorf(excValidation, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", t)
}

// loggingJSON checks a loggingConfiguration and returns it as stored: nil
// when absent.
func loggingJSON(lc *loggingConfig) (json.RawMessage, error) {
	if lc == nil {
		return nil, nil
	}
	switch lc.Level {
	case "":
		lc.Level = "OFF"
	case "ALL", "ERROR", "FATAL", "OFF":
	default:
		return nil, errorf(excValidation, "1 validation error detected: Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", lc.Level)
	}
	if lc.Level != "OFF" && len(lc.Destinations) == 0 {
		return nil, errorf(excInvalidLoggingConfig, "Invalid Logging Configuration: Must specify exactly one Log Destination if logging level is not OFF.")
	}
	b, err := json.Marshal(lc)
	return b, err
}

// tracingJSON returns a tracingConfiguration as stored: nil when absent.
func tracingJSON(tc *tracingConfig) json.RawMessage {
	if tc == nil {
		return nil
	}
	b, _ := json.Marshal(tc)
	return b
}

type createStateMachineIn struct {
	Name                 string         `json:"name"`
	Definition           *string        `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	Type                 string         `json:"type"`
	LoggingConfiguration *loggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig `json:"tracingConfiguration"`
	Tags                 []tagIn        `json:"tags"`
	Publish              bool           `json:"publish"`
	VersionDescription   string         `json:"versionDescription"`
}

type createStateMachineOut struct {
	StateMachineArn        string `json:"stateMachineArn"`
	CreationDate           *Epoch `json:"creationDate"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

func (s *Server) createStateMachine(ctx context.Context, c *call) (any, error) {
	var in createStateMachineIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := validName("state machine", in.Name); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, errorf(excValidation, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	if in.RoleArn == "" {
		return nil, errorf(excValidation, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	typ, err := machineType(in.Type)
	if err != nil {
		return nil, err
	}
	logJSON, err := loggingJSON(in.LoggingConfiguration)
	if err != nil {
		return nil, err
	}
	traceJSON := tracingJSON(in.TracingConfiguration)
	tags, err := checkTags(s.space.StateMachine(in.Name), nil, in.Tags)
	if err != nil {
		return nil, err
	}
	smArn := s.space.StateMachine(in.Name)
	if cur, err := s.eng.Store().GetStateMachine(ctx, in.Name, 0); err == nil {
		// AWS: the same name, definition, role and type again is the same
		// state machine; anything else is a conflict.
		mc, err := s.meta.Machine(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		// AWS's idempotency check: name, definition, type, logging and
		// tracing; "a different roleArn or tags" are ignored (and not
		// updated).
		if definitionText(cur) != *in.Definition || mc.Type != typ ||
			!bytes.Equal(logging(mc), orDefault(logJSON, logging(awsmeta.Machine{}))) ||
			!bytes.Equal(tracing(mc), orDefault(traceJSON, tracing(awsmeta.Machine{}))) {
			return nil, errorf(excSMAlreadyExists, "State Machine Already Exists: '%s'", smArn)
		}
		out := createStateMachineOut{StateMachineArn: smArn, CreationDate: epoch(cur.CreatedAt)}
		if in.Publish {
			p, err := s.publish(ctx, in.Name, cur.Version, in.VersionDescription)
			if err != nil {
				return nil, err
			}
			out.StateMachineVersionArn = s.space.Version(in.Name, p.Number)
		}
		return out, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// As every upload: the type settled and checked, a fresh document
	// written before the definition (a name deleted and made again keeps
	// none of the old one's tags, versions or aliases), the activities'
	// documents made.
	res, err := s.meta.PutDefinition(ctx, s.eng, awsmeta.Definition{
		Name: in.Name, Source: []byte(*in.Definition), Format: dsl.JSON, Type: typ,
		Fresh:        awsmeta.Machine{RoleArn: in.RoleArn, Tags: tags, Logging: logJSON, Tracing: traceJSON},
		CheckExpress: func(src []byte, _ dsl.Format) error { return expressError(string(src)) },
		Now:          s.cfg.Now(),
	})
	var typeErr *awsmeta.TypeError
	if errors.As(err, &typeErr) {
		// Another create of this name, of the other type, got there first.
		return nil, errorf(excSMAlreadyExists, "State Machine Already Exists: '%s'", smArn)
	}
	if err != nil {
		return nil, s.definitionError(err)
	}
	switch res.Outcome {
	case store.NewVersion:
		// Another create of this name got there between the look above
		// and the put, with another definition (which this put has now
		// followed with a revision of its own): the name is taken.
		return nil, errorf(excSMAlreadyExists, "State Machine Already Exists: '%s'", smArn)
	case store.Unchanged:
		// Another create with the same definition got there first: this
		// one is its repetition.
		return createStateMachineOut{StateMachineArn: smArn, CreationDate: epoch(res.StateMachine.CreatedAt)}, nil
	}
	out := createStateMachineOut{StateMachineArn: smArn, CreationDate: epoch(res.StateMachine.CreatedAt)}
	if in.Publish {
		p, err := s.publish(ctx, in.Name, res.StateMachine.Version, in.VersionDescription)
		if err != nil {
			return nil, err
		}
		out.StateMachineVersionArn = s.space.Version(in.Name, p.Number)
	}
	return out, nil
}

type describeStateMachineOut struct {
	StateMachineArn      string          `json:"stateMachineArn"`
	Name                 string          `json:"name"`
	Status               string          `json:"status"`
	Definition           string          `json:"definition"`
	RoleArn              string          `json:"roleArn"`
	Type                 string          `json:"type"`
	CreationDate         *Epoch          `json:"creationDate"`
	LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
	TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
	RevisionID           string          `json:"revisionId,omitempty"`
	Description          string          `json:"description,omitempty"`
}

func (s *Server) describeStateMachine(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.parseARN("stateMachineArn", in.StateMachineArn, arn.StateMachine, arn.Version)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noStateMachine(in.StateMachineArn)
	}
	latest, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noStateMachine(in.StateMachineArn)
	}
	if err != nil {
		return nil, err
	}
	mc, err := s.meta.Machine(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	sm, created, description := latest, latest.CreatedAt, ""
	if a.Kind == arn.Version {
		p, ok := mc.Version(a.Version)
		if !ok {
			return nil, noStateMachine(in.StateMachineArn)
		}
		if sm, err = s.eng.Store().GetStateMachineVersion(ctx, a.Name, p.Revision); err != nil {
			return nil, err
		}
		created, description = p.CreatedAt, p.Description
	}
	return describeStateMachineOut{
		StateMachineArn: in.StateMachineArn, Name: a.Name, Status: "ACTIVE", Definition: definitionText(sm),
		RoleArn: s.roleArn(mc), Type: mc.Type, CreationDate: epoch(created),
		LoggingConfiguration: logging(mc), TracingConfiguration: tracing(mc),
		RevisionID: revisionID(sm), Description: description,
	}, nil
}

type updateStateMachineIn struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Definition           *string        `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	LoggingConfiguration *loggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig `json:"tracingConfiguration"`
	Publish              bool           `json:"publish"`
	VersionDescription   string         `json:"versionDescription"`
}

type updateStateMachineOut struct {
	UpdateDate             *Epoch `json:"updateDate"`
	RevisionID             string `json:"revisionId,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

func (s *Server) updateStateMachine(ctx context.Context, c *call) (any, error) {
	var in updateStateMachineIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	// A version or alias cannot be updated: AWS answers as if no such
	// state machine existed.
	a, found, err := s.parseARN("stateMachineArn", in.StateMachineArn, arn.StateMachine, arn.Version, arn.Alias)
	if err != nil {
		return nil, err
	}
	if !found || a.Kind != arn.StateMachine {
		return nil, noStateMachine(in.StateMachineArn)
	}
	if in.Definition == nil && in.RoleArn == "" && in.LoggingConfiguration == nil && in.TracingConfiguration == nil && !in.Publish {
		return nil, errorf(excMissingRequiredParameter, "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	logJSON, err := loggingJSON(in.LoggingConfiguration)
	if err != nil {
		return nil, err
	}
	traceJSON := tracingJSON(in.TracingConfiguration)
	sm, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noStateMachine(in.StateMachineArn)
	}
	if err != nil {
		return nil, err
	}
	if in.Definition != nil && *in.Definition != definitionText(sm) {
		res, err := s.meta.PutDefinition(ctx, s.eng, awsmeta.Definition{
			Name: a.Name, Source: []byte(*in.Definition), Format: dsl.JSON, Existing: true,
			CheckExpress: func(src []byte, _ dsl.Format) error { return expressError(string(src)) },
			Now:          s.cfg.Now(),
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil, noStateMachine(in.StateMachineArn)
		}
		if err != nil {
			return nil, s.definitionError(err)
		}
		sm = res.StateMachine
	}
	_, err = s.meta.UpdateMachine(ctx, a.Name, func(mc *awsmeta.Machine) error {
		if in.RoleArn != "" {
			mc.RoleArn = in.RoleArn
		}
		if logJSON != nil {
			mc.Logging = logJSON
		}
		if traceJSON != nil {
			mc.Tracing = traceJSON
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := updateStateMachineOut{UpdateDate: epoch(sm.UpdatedAt), RevisionID: revisionID(sm)}
	if in.Publish {
		p, err := s.publish(ctx, a.Name, sm.Version, in.VersionDescription)
		if err != nil {
			return nil, err
		}
		out.StateMachineVersionArn = s.space.Version(a.Name, p.Number)
	}
	return out, nil
}

func (s *Server) deleteStateMachine(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.parseARN("stateMachineArn", in.StateMachineArn, arn.StateMachine, arn.Version, arn.Alias)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	if a.Kind != arn.StateMachine {
		return nil, errorf(excValidation, "Invalid Arn: '%s': DeleteStateMachine takes a state machine ARN; delete versions with DeleteStateMachineVersion and aliases with DeleteStateMachineAlias", in.StateMachineArn)
	}
	// Running executions finish on their pinned revision, as with the REST
	// API's DELETE; deleting an absent machine is not an error (AWS).
	if err := s.eng.DeleteStateMachine(ctx, a.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := s.meta.DeleteMachine(ctx, a.Name); err != nil {
		return nil, err
	}
	return nil, nil
}

type stateMachineItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    *Epoch `json:"creationDate"`
}

func (s *Server) listStateMachines(ctx context.Context, c *call) (any, error) {
	var in struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	cursor, err := s.openToken("machines", in.NextToken)
	if err != nil {
		return nil, err
	}
	sms, next, err := s.eng.Store().ListStateMachines(ctx, cursor, pageSize(in.MaxResults))
	if errors.Is(err, store.ErrInvalidCursor) {
		return nil, invalidToken(in.NextToken)
	}
	if err != nil {
		return nil, err
	}
	items := make([]stateMachineItem, 0, len(sms))
	for _, sm := range sms {
		mc, err := s.meta.Machine(ctx, sm.Name)
		if err != nil {
			return nil, err
		}
		items = append(items, stateMachineItem{StateMachineArn: s.space.StateMachine(sm.Name), Name: sm.Name, Type: mc.Type,
			CreationDate: epoch(sm.CreatedAt)})
	}
	return struct {
		StateMachines []stateMachineItem `json:"stateMachines"`
		NextToken     string             `json:"nextToken,omitempty"`
	}{items, s.sealToken("machines", next)}, nil
}

func (s *Server) describeStateMachineForExecution(ctx context.Context, c *call) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ex, err := s.execution(ctx, "executionArn", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if s.childMapRunARN(ex) != "" {
		return s.describeMapRunChildMachine(ctx, ex) // maprun.go
	}
	sm, err := s.eng.Store().GetStateMachineVersion(ctx, ex.StateMachine, ex.Version)
	if err != nil {
		return nil, err
	}
	mc, err := s.meta.Machine(ctx, ex.StateMachine)
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		UpdateDate           *Epoch          `json:"updateDate"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		RevisionID           string          `json:"revisionId,omitempty"`
	}{s.space.StateMachine(ex.StateMachine), ex.StateMachine, definitionText(sm), s.roleArn(mc), epoch(sm.UpdatedAt),
		logging(mc), tracing(mc), revisionID(sm)}, nil
}
