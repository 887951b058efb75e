package awsjson

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store"
)

func init() {
	register(map[string]op{
		"TagResource":         {role: RoleAdmin, fn: (*Server).tagResource},
		"UntagResource":       {role: RoleAdmin, fn: (*Server).untagResource},
		"ListTagsForResource": {role: RoleReader, fn: (*Server).listTagsForResource},
	})
}

// tagIn is the tags member of requests.
type tagIn struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// maxTags is AWS's limit of tags per resource.
const maxTags = 50

func checkTags(arnStr string, have []awsmeta.Tag, add []tagIn) ([]awsmeta.Tag, error) {
	out := append([]awsmeta.Tag(nil), have...)
	for _, t := range add {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, errorf(excValidation, "1 validation error detected: tag key %q or its value is outside the limits (key 1-128, value 0-256 characters)", t.Key)
		}
		replaced := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, replaced = t.Value, true
			}
		}
		if !replaced {
			out = append(out, awsmeta.Tag{Key: t.Key, Value: t.Value})
		}
	}
	if len(out) > maxTags {
		return nil, &Error{Type: excTooManyTags, Message: fmt.Sprintf("Too many tags: '%s' would have %d tags, the limit is %d", arnStr, len(out), maxTags)}
	}
	return out, nil
}

func resourceNotFound(arnStr string) *Error {
	return errorf(excResourceNotFound, "Resource not found: '%s'", arnStr)
}

// taggable resolves a resource ARN that carries tags: a state machine (not
// a version or an alias: AWS answers ResourceNotFound for those) or an
// activity, that exists.
func (s *Server) taggable(ctx context.Context, str string) (arn.ARN, error) {
	a, found, err := s.parseARN("resourceArn", str, arn.StateMachine, arn.Version, arn.Alias, arn.Activity)
	if err != nil {
		return arn.ARN{}, err
	}
	if !found || a.Kind == arn.Version || a.Kind == arn.Alias {
		return arn.ARN{}, resourceNotFound(str)
	}
	if a.Kind == arn.Activity {
		_, err = s.meta.Activity(ctx, a.Name)
	} else {
		_, err = s.eng.Store().GetStateMachine(ctx, a.Name, 0)
	}
	if errors.Is(err, store.ErrNotFound) {
		return arn.ARN{}, resourceNotFound(str)
	}
	return a, err
}

// changeTags applies change to the tags of the resource a names. A
// resource deleted since taggable looked is ResourceNotFound.
func (s *Server) changeTags(ctx context.Context, a arn.ARN, arnStr string, change func([]awsmeta.Tag) ([]awsmeta.Tag, error)) error {
	err := s.applyTags(ctx, a, change)
	if errors.Is(err, store.ErrNotFound) {
		return resourceNotFound(arnStr)
	}
	return err
}

func (s *Server) applyTags(ctx context.Context, a arn.ARN, change func([]awsmeta.Tag) ([]awsmeta.Tag, error)) error {
	if a.Kind == arn.Activity {
		var cerr error
		err := s.meta.UpdateActivity(ctx, a.Name, func(act *awsmeta.Activity) {
			if tags, err := change(act.Tags); err != nil {
				cerr = err
			} else {
				act.Tags = tags
			}
		})
		if cerr != nil {
			return cerr
		}
		return err
	}
	_, err := s.meta.UpdateMachine(ctx, a.Name, func(mc *awsmeta.Machine) error {
		tags, err := change(mc.Tags)
		mc.Tags = tags
		return err
	})
	return err
}

func (s *Server) tagResource(ctx context.Context, c *call) (any, error) {
	var in struct {
		ResourceArn string  `json:"resourceArn"`
		Tags        []tagIn `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.taggable(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, a, in.ResourceArn, func(have []awsmeta.Tag) ([]awsmeta.Tag, error) {
		return checkTags(in.ResourceArn, have, in.Tags)
	})
}

func (s *Server) untagResource(ctx context.Context, c *call) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.taggable(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		drop[k] = true
	}
	return nil, s.changeTags(ctx, a, in.ResourceArn, func(have []awsmeta.Tag) ([]awsmeta.Tag, error) {
		out := make([]awsmeta.Tag, 0, len(have))
		for _, t := range have {
			if !drop[t.Key] {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

func (s *Server) listTagsForResource(ctx context.Context, c *call) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.taggable(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	var tags []awsmeta.Tag
	if a.Kind == arn.Activity {
		act, err := s.meta.Activity(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		tags = act.Tags
	} else {
		mc, err := s.meta.Machine(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		tags = mc.Tags
	}
	if tags == nil {
		tags = []awsmeta.Tag{}
	}
	return struct {
		Tags []awsmeta.Tag `json:"tags"`
	}{tags}, nil
}
