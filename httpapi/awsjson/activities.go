package awsjson

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"CreateActivity":    {role: RoleAdmin, fn: (*Server).createActivity},
		"DescribeActivity":  {role: RoleReader, fn: (*Server).describeActivity},
		"DeleteActivity":    {role: RoleAdmin, fn: (*Server).deleteActivity},
		"ListActivities":    {role: RoleReader, fn: (*Server).listActivities},
		"GetActivityTask":   {role: RoleWorker, long: true, fn: (*Server).getActivityTask},
		"SendTaskSuccess":   {role: RoleWorker, fn: (*Server).sendTaskSuccess},
		"SendTaskFailure":   {role: RoleWorker, fn: (*Server).sendTaskFailure},
		"SendTaskHeartbeat": {role: RoleWorker, fn: (*Server).sendTaskHeartbeat},
	})
}

type activityOut struct {
	ActivityArn  string `json:"activityArn"`
	Name         string `json:"name,omitempty"`
	CreationDate *Epoch `json:"creationDate"`
}

func (s *Server) createActivity(ctx context.Context, c *call) (any, error) {
	var in struct {
		Name string  `json:"name"`
		Tags []tagIn `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := validName("activity", in.Name); err != nil {
		return nil, err
	}
	tags, err := checkTags(s.space.Activity(in.Name), nil, in.Tags)
	if err != nil {
		return nil, err
	}
	// Creating an existing activity answers with it (AWS): CreateActivity
	// is idempotent.
	a, _, err := s.meta.CreateActivity(ctx, in.Name, awsmeta.Activity{CreatedAt: s.cfg.Now().UTC(), Tags: tags})
	if err != nil {
		return nil, err
	}
	return activityOut{ActivityArn: s.space.Activity(in.Name), CreationDate: epoch(a.CreatedAt)}, nil
}

// activityName parses an activity ARN; found is false for an ARN of
// another region or account.
func (s *Server) activityName(str string) (string, bool, error) {
	a, found, err := s.parseARN("activityArn", str, arn.Activity)
	return a.Name, found, err
}

func (s *Server) describeActivity(ctx context.Context, c *call) (any, error) {
	var in struct {
		ActivityArn string `json:"activityArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	name, found, err := s.activityName(in.ActivityArn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noActivity(in.ActivityArn)
	}
	a, err := s.meta.Activity(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noActivity(in.ActivityArn)
	}
	if err != nil {
		return nil, err
	}
	return activityOut{ActivityArn: s.space.Activity(name), Name: name, CreationDate: epoch(a.CreatedAt)}, nil
}

func (s *Server) deleteActivity(ctx context.Context, c *call) (any, error) {
	var in struct {
		ActivityArn string `json:"activityArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	name, found, err := s.activityName(in.ActivityArn)
	if err != nil || !found {
		return nil, err
	}
	return nil, s.meta.DeleteActivity(ctx, name)
}

func (s *Server) listActivities(ctx context.Context, c *call) (any, error) {
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
	cursor, err := s.openToken("activities", in.NextToken)
	if err != nil {
		return nil, err
	}
	list, next, err := s.meta.ListActivities(ctx, cursor, pageSize(in.MaxResults))
	if err != nil {
		return nil, err
	}
	items := make([]activityOut, 0, len(list))
	for _, a := range list {
		items = append(items, activityOut{ActivityArn: s.space.Activity(a.Name), Name: a.Name, CreationDate: epoch(a.CreatedAt)})
	}
	return struct {
		Activities []activityOut `json:"activities"`
		NextToken  string        `json:"nextToken,omitempty"`
	}{items, s.sealToken("activities", next)}, nil
}

func (s *Server) getActivityTask(ctx context.Context, c *call) (any, error) {
	var in struct {
		ActivityArn string `json:"activityArn"`
		WorkerName  string `json:"workerName"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.WorkerName) > 80 {
		return nil, errorf(excValidation, "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80")
	}
	name, found, err := s.activityName(in.ActivityArn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noActivity(in.ActivityArn)
	}
	lookup, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	_, err = s.meta.Activity(lookup, name)
	cancel()
	if errors.Is(err, store.ErrNotFound) {
		return nil, noActivity(in.ActivityArn)
	}
	if err != nil {
		return nil, err
	}
	poll, cancel := context.WithTimeout(ctx, s.cfg.MaxPollWait)
	defer cancel()
	token, input, err := s.eng.PollActivity(poll, name, in.WorkerName)
	if errors.Is(err, interpreter.ErrTaskNotFound) || err != nil && interpreter.PollEnded(poll) {
		// Nothing arrived within the long poll: AWS answers 200 with no
		// token, and the worker polls again.
		return struct{}{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	return struct {
		TaskToken string `json:"taskToken"`
		Input     string `json:"input"`
	}{token, string(input)}, nil
}

// taskError answers an error of a task answer as AWS does: a token that
// does not parse, or names nothing sfn knows, is InvalidToken; a token of
// a task that has ended is TaskTimedOut ("The task token has either
// expired or the task associated with the token has already been
// closed"). The retry of an answer that was applied is a success.
func taskError(token string, err error) error {
	var ended *interpreter.TaskEndedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ended):
		if ended.Applied {
			return nil
		}
		return errorf(excTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	case errors.Is(err, interpreter.ErrTaskNotFound):
		if _, ok := interpreter.ParseToken(token); !ok {
			return errorf(excInvalidToken, "Invalid Token: 'Invalid token'")
		}
		return errorf(excTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return err
}

func checkToken(token string) error {
	if token == "" {
		return errorf(excValidation, "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null")
	}
	if len(token) > 2048 {
		return errorf(excInvalidToken, "Invalid Token: 'Invalid token'")
	}
	if _, ok := interpreter.ParseToken(token); !ok {
		return errorf(excInvalidToken, "Invalid Token: 'Invalid token'")
	}
	return nil
}

func (s *Server) sendTaskSuccess(ctx context.Context, c *call) (any, error) {
	var in struct {
		TaskToken string  `json:"taskToken"`
		Output    *string `json:"output"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	if in.Output == nil {
		return nil, errorf(excValidation, "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null")
	}
	if len(*in.Output) > maxPayload {
		return nil, errorf(excValidation, "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to %d", maxPayload)
	}
	if _, err := value.Decode([]byte(*in.Output)); err != nil {
		return nil, errorf(excInvalidOutput, "Invalid Output: '%v'", err)
	}
	return nil, taskError(in.TaskToken, s.eng.TaskSuccess(ctx, in.TaskToken, json.RawMessage(*in.Output)))
}

func (s *Server) sendTaskFailure(ctx context.Context, c *call) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	if failure.TooLong(in.Error, failure.MaxName) || failure.TooLong(in.Cause, failure.MaxCause) {
		return nil, errorf(excValidation, "1 validation error detected: error is at most %d characters and cause at most %d", failure.MaxName, failure.MaxCause)
	}
	return nil, taskError(in.TaskToken, s.eng.TaskFailure(ctx, in.TaskToken, in.Error, in.Cause))
}

func (s *Server) sendTaskHeartbeat(ctx context.Context, c *call) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	return nil, taskError(in.TaskToken, s.eng.TaskHeartbeat(ctx, in.TaskToken))
}
